"""The reading children: whatever a job does to its child, the parent gets a reason and goes on."""

import os
import time

import pytest

from submissions.reading.isolation import Failure, Job, Pool
from submissions.reading.limits import GiB, Limits
from tests.child_jobs import abort, answer, hang, pid, raise_bug, spin, swallow_memory


@pytest.fixture
def pool():
    made = Pool(Limits(memory=GiB, wall_seconds=3, cpu_seconds=2), size=1)
    yield made
    made.close()


def test_results_come_back_in_order_and_children_are_reused(pool):
    assert pool.run([Job(answer, (n,)) for n in range(5)]) == [0, 2, 4, 6, 8]
    first, second = pool.run([Job(pid, ()), Job(pid, ())])
    assert first == second != os.getpid()


# Each failure with limits under which only its own limit can be reached, whatever else the
# machine is doing: a spinning job on a busy 2-core machine gets half a core (1 s of CPU takes
# 2 s of wall time, so the wall limit is far), a hanging one uses no CPU at all.
ROOMY = {"memory": GiB, "wall_seconds": 60, "cpu_seconds": 60}


@pytest.mark.parametrize(
    ("job", "limits", "said"),
    [
        (hang, {**ROOMY, "wall_seconds": 2}, "秒仍未完成"),
        (spin, {**ROOMY, "cpu_seconds": 1}, "CPU 时间上限"),
        (abort, ROOMY, "被系统终止（信号 6）"),
        (swallow_memory, ROOMY, "内存超过上限"),
        (raise_bug, ROOMY, "内部错误，原因已写入日志"),
    ],
    ids=["wall-time", "cpu-time", "abort", "memory", "exception"],
)
def test_a_failing_job_is_a_reason_and_the_pool_goes_on(job, limits, said):
    started = time.monotonic()
    pool = Pool(Limits(**limits), size=1)
    try:
        failed, after = pool.run([Job(job, ()), Job(answer, (21,))])
    finally:
        pool.close()
    assert isinstance(failed, Failure) and said in failed.reason, failed
    if job is raise_bug:  # the library's words are kept for the log, not shown
        assert "ValueError: a bug in a reader" in failed.detail
    assert failed.started == 1  # it had reported starting its first item
    assert failed.transient == (job is hang)
    assert after == 42
    assert time.monotonic() - started < 60


def test_ticks_reach_the_caller_and_each_item_gets_its_own_wall_time(pool):
    from tests.child_jobs import slow_items

    ticks = []
    # four items of 1.5 s each: 6 s in all, past the 3 s wall limit, but never 3 s without a tick
    (done,) = pool.run([Job(slow_items, (4, 1.5))], on_tick=lambda job, item: ticks.append(item))
    assert done == 4 and ticks == [0, 1, 2, 3]


def test_a_job_the_child_cannot_load_is_a_reason(pool):
    from tests.child_jobs import Unloadable

    failed, after = pool.run([Job(answer, (Unloadable(),)), Job(answer, (1,))])
    assert isinstance(failed, Failure) and "内部错误" in failed.reason
    assert after == 2


def test_limits_from_the_environment_and_bad_values():
    from submissions.finding import CannotContinue

    limits = Limits.from_variables({"VALIDATE_LIMIT_MEMORY": "2147483648",
                                      "VALIDATE_LIMIT_WALL_SECONDS": "2.5"})  # fmt: skip
    assert (limits.memory, limits.wall_seconds, limits.cpu_seconds) == (2 * GiB, 2.5, 60)
    with pytest.raises(CannotContinue, match="VALIDATE_LIMIT_MEMORY"):
        Limits.from_variables({"VALIDATE_LIMIT_MEMORY": "lots"})
    with pytest.raises(CannotContinue, match="大于 0"):
        Limits.from_variables({"VALIDATE_LIMIT_CPU_SECONDS": "0"})
