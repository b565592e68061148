"""The review loop over REST: a district explains its warnings and submits, the reviewer judges,
returns, approves and reopens; who may do what; deadlines and first-pass rates; the audit."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, cell_of, csrf_of, district_file, post_file, signed_in

DECLINES = {"institution_beds": 3000, "public_beds": 1000}  # both fall from 2022: two warnings


def _file(tmp_path, yantai, name, district="芝罘区", year=2023, values=None):
    changes = {
        cell_of(yantai.catalog, year, code, year): value for code, value in (values or {}).items()
    }
    path = district_file(tmp_path, yantai, district=district, year=year, changes=changes, name=name)
    return path.read_bytes()


def _post(api, path, token, body=None):
    return api.post(path, headers=bearer(token), json=body or {})


def _warnings(document):
    return {f["indicator"]: f for f in document["findings"] if f["severity"] == "warning"}


def test_a_report_goes_round_the_loop_over_rest(tmp_path, service, yantai):
    app, store, names, tokens = service
    api = TestClient(app)
    zf, rev = tokens["zf"], tokens["rev"]
    first = post_file(
        api, "/api/submissions", zf, _file(tmp_path, yantai, "a.xlsx", values=DECLINES)
    )
    assert first.status_code == 201, first.text
    document = first.json()
    one = document["id"]
    warnings = _warnings(document)
    assert set(warnings) == set(DECLINES) and document["state"] == "uploaded"
    assert all(isinstance(f["id"], int) for f in document["findings"])
    # 报送 refused: both warnings are open, and the answer says which
    refused = _post(api, f"/api/submissions/{one}/submit", zf)
    assert refused.status_code == 409 and "2 条警告没有说明" in refused.json()["error"]
    assert "机构养老床位" in refused.json()["error"]
    for code, text in (("institution_beds", "床位整合"), ("public_beds", "公办改制")):
        done = _post(api, f"/api/submissions/{one}/explanations", zf,
                     {"finding": warnings[code]["id"], "text": text})  # fmt: skip
        assert done.status_code == 200, done.text
    submitted = _post(api, f"/api/submissions/{one}/submit", zf)
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    # the reviewer accepts one explanation, rejects the other, and returns the upload
    verdicts = f"/api/submissions/{one}/verdicts"
    beds, public = warnings["institution_beds"]["id"], warnings["public_beds"]["id"]
    assert _post(api, verdicts, rev, {"finding": beds, "verdict": "accepted"}).status_code == 200
    no_reason = _post(api, verdicts, rev, {"finding": public, "verdict": "rejected"})
    assert no_reason.status_code == 400 and "理由" in no_reason.json()["error"]
    rejected = _post(api, f"/api/submissions/{one}/verdicts", rev,
                     {"finding": warnings["public_beds"]["id"], "verdict": "rejected",
                      "reason": "公办床位不应减少，请核实"})  # fmt: skip
    assert rejected.status_code == 200
    returned = _post(api, f"/api/submissions/{one}/return", rev,
                     {"comment": "请核实公办床位数", "findings": {
                         str(warnings["public_beds"]["id"]): "与民政台账不符"}})  # fmt: skip
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    # the district reads the comments
    seen = api.get(f"/api/submissions/{one}", headers=bearer(zf)).json()
    assert [c["text"] for c in seen["comments"]] == ["请核实公办床位数"]
    public = _warnings(seen)["public_beds"]
    assert (
        public["explanation"]["verdict"] == "rejected"
        and public["comments"][0]["text"] == "与民政台账不符"
    )
    assert any("未被认可" in item for item in seen["open"])
    browser, _ = signed_in(app, names["zf"])
    assert "请核实公办床位数" in browser.get("/").text
    # a corrected file: public beds fixed; the accepted explanation is offered again
    corrected = _file(tmp_path, yantai, "b.xlsx", values={"institution_beds": 3000})
    second = post_file(api, "/api/submissions", zf, corrected).json()
    two = second["id"]
    carried = _warnings(second)["institution_beds"]["explanation"]
    assert carried["source"] == "remembered" and carried["verdict"] == "accepted"
    assert carried["text"] == "床位整合"
    assert _post(api, f"/api/submissions/{two}/submit", zf).json()["state"] == "submitted"
    approved = _post(api, f"/api/submissions/{two}/approve", rev)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    # the board and the evaluation use the approved upload and say so
    city, _ = signed_in(app, names["rev"])
    board = city.get("/").text.split('id="board"')[1]
    assert f'/submissions/{two}"' in board and "已通过" in board
    used = city.get("/evaluation").text.split('id="used-uploads"')[1]
    assert f"第 {two} 号" in used and "已通过审核的上传" in used
    # locked: the next upload for the period is kept but refused, naming who approved
    locked = post_file(api, "/api/submissions", zf, corrected)
    assert locked.status_code == 409
    assert names["rev"] in locked.json()["error"] and "审核通过" in locked.json()["error"]
    assert store.stored(locked.json()["id"]).refused
    reopened = _post(api, "/api/periods/芝罘区/2023/reopen", rev)
    assert reopened.status_code == 200 and reopened.json()["state"] == "submitted"
    third = post_file(api, "/api/submissions", zf, corrected)
    assert third.status_code == 201 and third.json()["state"] == "uploaded"
    # every action is one event, with its states
    from reports.service.review import events_of

    trail = [(e.action, e.from_state, e.to_state) for e in events_of(store, store.stored(two))]
    assert trail == [
        ("upload", "none", "uploaded"),
        ("explain", "uploaded", "uploaded"),
        ("explain", "uploaded", "uploaded"),
        ("submit", "uploaded", "submitted"),
        ("accept", "submitted", "submitted"),
        ("reject", "submitted", "submitted"),
        ("return", "submitted", "returned"),
        ("upload", "returned", "uploaded"),
        ("submit", "uploaded", "submitted"),
        ("approve", "submitted", "approved"),
        ("refused", "approved", "approved"),
        ("reopen", "approved", "submitted"),
        ("upload", "submitted", "uploaded"),
    ]
    audit = browser.get(f"/submissions/{two}/audit.csv")
    rows = list(csv.reader(io.StringIO(audit.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["时间", "账号", "角色", "操作"] and len(rows) == len(trail) + 1
    assert [row[3] for row in rows[1:5]] == ["上传", "填写说明", "填写说明", "报送"]


def test_who_may_act_on_a_submission(tmp_path, service, yantai):
    app, _store, _names, tokens = service
    api = TestClient(app)
    document = post_file(api, "/api/submissions", tokens["zf"],
                         _file(tmp_path, yantai, "a.xlsx", values=DECLINES)).json()  # fmt: skip
    one, finding = document["id"], _warnings(document)["institution_beds"]["id"]
    routes = {
        "explanations": {"finding": finding, "text": "x"},
        "submit": {},
        "verdicts": {"finding": finding, "verdict": "accepted"},
        "return": {"comment": "x"},
        "approve": {},
    }
    # another district's token and another catalog's reviewer: as if there were no such upload
    for token in (tokens["fs"], tokens["lz"]):
        for route, body in routes.items():
            answer = _post(api, f"/api/submissions/{one}/{route}", token, body)
            assert answer.status_code == 404, (route, answer.text)
    # the district itself on the reviewer's routes: forbidden
    for route in ("verdicts", "return", "approve"):
        answer = _post(api, f"/api/submissions/{one}/{route}", tokens["zf"], routes[route])
        assert answer.status_code == 403 and "审核人" in answer.json()["error"], route
    assert _post(api, "/api/periods/芝罘区/2023/reopen", tokens["zf"]).status_code == 403
    # the reviewer cannot explain or submit for a district
    assert _post(api, f"/api/submissions/{one}/submit", tokens["rev"]).status_code == 403
    # nor act out of turn: approve before anything was submitted
    early = _post(api, f"/api/submissions/{one}/approve", tokens["rev"])
    assert early.status_code == 409 and "已上传" in early.json()["error"]
    # an error cannot be explained away
    errors = post_file(api, "/api/submissions", tokens["zf"], _file(tmp_path, yantai, "e.xlsx",
                       values={"nursing_bed_share": 150})).json()  # fmt: skip
    wrong = next(f for f in errors["findings"] if f["severity"] == "error")
    refused = _post(api, f"/api/submissions/{errors['id']}/explanations", tokens["zf"],
                    {"finding": wrong["id"], "text": "x"})  # fmt: skip
    assert refused.status_code == 409 and "错误须改正" in refused.json()["error"]
    # forms without their CSRF token are refused
    browser, _ = signed_in(app, _names["zf"])
    forged = browser.post(f"/submissions/{one}/submit", data={"token": "forged"})
    assert forged.status_code == 403
    assert (
        browser.post(f"/submissions/{one}/submit", data={"token": csrf_of(browser)}).status_code
        == 409
    )


def test_deadlines_timeliness_and_first_pass_rates(tmp_path, service, yantai):
    app, store, names, tokens = service
    api = TestClient(app)
    today = datetime.date.today()
    assert api.post("/api/deadlines", headers=bearer(tokens["zf"]),
                    json={"year": 2023, "due": today.isoformat()}).status_code == 403  # fmt: skip
    # 2023 due today: 芝罘区 submits in time; 2025 was due yesterday: 福山区 submits late
    for year, due in ((2023, today), (2025, today - datetime.timedelta(days=1))):
        answer = api.post("/api/deadlines", headers=bearer(tokens["rev"]),
                          json={"year": year, "due": due.isoformat()})  # fmt: skip
        assert answer.status_code == 200
    broken = post_file(api, "/api/submissions", tokens["zf"], _file(tmp_path, yantai, "x.xlsx",
                       values={"nursing_bed_share": 150})).json()  # fmt: skip
    assert broken["status"] == "error"
    clean = post_file(
        api, "/api/submissions", tokens["zf"], _file(tmp_path, yantai, "c.xlsx")
    ).json()
    assert _post(api, f"/api/submissions/{clean['id']}/submit", tokens["zf"]).status_code == 200
    late = post_file(
        api,
        "/api/submissions",
        tokens["fs"],
        _file(tmp_path, yantai, "f.xlsx", district="福山区", year=2025),
    ).json()
    assert _post(api, f"/api/submissions/{late['id']}/submit", tokens["fs"]).status_code == 200
    from reports.service import review

    assert review.timeliness(store, "yantai", 2023) == {
        "芝罘区": (review.ON_TIME, review.timeliness(store, "yantai", 2023)["芝罘区"][1])
    }
    assert review.timeliness(store, "yantai", 2025)["福山区"][0] == review.LATE
    reviewer, _ = signed_in(app, names["rev"])
    home = reviewer.get("/").text
    table = home.split('id="timeliness"')[1].split("</table>")[0]
    rows = {cells[0]: cells for cells in (
        [c.split(">", 1)[1] for c in row.split("</td>")[:-1]]
        for row in table.split("<tr>")[2:])}  # fmt: skip
    assert rows["福山区"][2] == "逾期报送" and rows["牟平区"][2] == "未报送"
    # 2025 is the latest period shown; over all periods 芝罘区 got one upload of two through
    assert rows["芝罘区"][4] == "50%（1/2）" and rows["福山区"][4] == "100%（1/1）"
    assert "待审核" in home and f"/submissions/{clean['id']}" in home.split('id="queue"')[1]


def test_a_deadline_is_judged_on_the_citys_clock(service, monkeypatch):
    """Submitted at 23:30 UTC on 31 January is 07:30 on 1 February in Yantai: late for a
    deadline of 31 January; 15:30 UTC is 23:30 there: on time."""
    _app, store, _names, _tokens = service
    from reports.service import review
    from reports.service.store import Deadline, Event

    with store.session.begin() as session:
        session.add(Deadline(catalog="yantai", period=2025, due=datetime.date(2026, 1, 31),
                             set_by="city"))  # fmt: skip
        for district, at in (("芝罘区", datetime.datetime(2026, 1, 31, 15, 30)),
                             ("福山区", datetime.datetime(2026, 1, 31, 23, 30))):  # fmt: skip
            session.add(Event(catalog="yantai", district=district, period=2025, account="x",
                              role="district", action="submit", at=at))  # fmt: skip
    judged = review.timeliness(store, "yantai", 2025)
    assert (judged["芝罘区"][0], judged["福山区"][0]) == (review.ON_TIME, review.LATE)
    monkeypatch.setenv("VALIDATE_TIMEZONE", "UTC")
    judged = review.timeliness(store, "yantai", 2025)
    assert (judged["芝罘区"][0], judged["福山区"][0]) == (review.ON_TIME, review.ON_TIME)


def test_a_time_zone_that_does_not_exist_is_a_configuration_error():
    from submissions.finding import CannotContinue
    from submissions.settings import Settings

    with pytest.raises(CannotContinue, match="VALIDATE_TIMEZONE"):
        Settings.from_environment({"VALIDATE_TIMEZONE": "Mars/Olympus"})
    assert Settings.from_environment({}).timezone == "Asia/Shanghai"


def test_operators_review_from_the_command_line(tmp_path, yantai):
    """`validate.py review`: list by state, approve and return as a named reviewer, reopen; a
    refused action is one line and exit 1."""
    import subprocess
    import sys

    from reports.service.intake import intake
    from reports.service.store import Store
    from tests.conftest import PASSWORD, ROOT
    from tests.servers import server_env

    data = tmp_path / "data"
    env = server_env(data)
    store = Store(f"sqlite:///{data / 'validate.db'}", files=data / "files")
    store.migrate()
    district = store.add_account("zf", "district", "yantai", "芝罘区", PASSWORD)
    store.add_account("city", "reviewer", "yantai", None, PASSWORD)
    from reports.service import review

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VALIDATE_DATA_DIR", str(data))
        rows = [
            intake(store, district, f"{n}.xlsx", _file(tmp_path, yantai, f"{n}.xlsx", year=year))
            for n, year in ((1, 2023), (2, 2025))
        ]
    for row in rows:
        review.act(store, district, row, "submit")
    command = [sys.executable, str(ROOT / "validate.py"), "review"]

    def run(*args):
        return subprocess.run([*command, *args], capture_output=True, text=True, env=env)

    listed = run("list", "--state", "submitted", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(r["district"], r["year"]) for r in json.loads(listed.stdout)] == [
        ("芝罘区", 2023), ("芝罘区", 2025)]  # fmt: skip
    assert run("approve", str(rows[0].id), "--as", "city").returncode == 0
    assert run("return", str(rows[1].id), "--as", "city", "--comment", "请补充").returncode == 0
    twice = run("approve", str(rows[0].id), "--as", "city")
    assert twice.returncode == 1 and "已通过" in twice.stderr and "Traceback" not in twice.stderr
    assert run("approve", str(rows[0].id), "--as", "zf").returncode == 2  # not a reviewer
    assert run("reopen", "芝罘区", "2023", "--as", "city").returncode == 0
    states = {r.period: r.state for r in review.reviews(store, "yantai")}
    assert states == {2023: "submitted", 2025: "returned"}
    assert "已退回" in run("list").stdout


def test_two_reviewers_acting_at_once_act_one_after_the_other(tmp_path, service, yantai):
    """One approves while the other returns the same upload: one of them is done, the other is
    told the state has moved; the audit holds exactly one of the two, and no orphan comment."""
    import threading

    from reports.service import review

    app, store, _names, tokens = service
    api = TestClient(app)
    one = post_file(api, "/api/submissions", tokens["zf"], _file(tmp_path, yantai, "a.xlsx")).json()
    assert _post(api, f"/api/submissions/{one['id']}/submit", tokens["zf"]).status_code == 200
    reviewer = store.account(_names["rev"])
    row = store.stored(one["id"])
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(action: str, **detail) -> None:
        start.wait()
        try:
            outcomes[action] = review.act(store, reviewer, row, action, **detail)
        except review.Refused as refused:
            outcomes[action] = refused

    threads = [
        threading.Thread(target=attempt, args=("approve",)),
        threading.Thread(target=attempt, args=("return",), kwargs={"text": "请改"}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = {a: o for a, o in outcomes.items() if isinstance(o, str)}
    told = [o for o in outcomes.values() if isinstance(o, review.Refused)]
    assert len(done) == 1 and len(told) == 1
    assert "不能" in told[0].message or "刚被他人改变" in told[0].message
    actions = [e.action for e in review.events_of(store, row)]
    assert actions[-1] in ("approve", "return")
    assert ("approve" in actions) != ("return" in actions)
    assert len(review.comments_of(store, row.id)) == (1 if "return" in done else 0)


def test_an_upload_checked_while_its_period_was_approved_is_refused(tmp_path, service, yantai):
    """The pass looked before the approval and found the period open; by the time it records
    the upload the period is approved: the upload is refused then, the approval stands."""
    from reports.service import review

    app, store, names, tokens = service
    api = TestClient(app)
    clean = _file(tmp_path, yantai, "a.xlsx")
    first = post_file(api, "/api/submissions", tokens["zf"], clean).json()
    later = post_file(api, "/api/submissions", tokens["zf"], clean).json()  # the same period
    assert _post(api, f"/api/submissions/{later['id']}/submit", tokens["zf"]).status_code == 200
    assert _post(api, f"/api/submissions/{later['id']}/approve", tokens["rev"]).status_code == 200
    # as a pass that checked the first upload again and records it only now
    row = store.stored(first["id"])
    review.record_uploads(store, [(row, [], store.account(names["zf"]))])
    assert "审核通过并锁定" in store.stored(first["id"]).refused
    found = review.review_of(store, "yantai", "芝罘区", 2023)
    assert (found.state, found.submission_id) == ("approved", later["id"])


def test_each_role_sees_its_own_home(service):
    """A district uploads and gets its own template; a reviewer belongs to no district: no
    upload form, a template for any district of the catalog."""
    from bs4 import BeautifulSoup

    app, _store, names, _tokens = service
    district, _ = signed_in(app, names["zf"])
    own = BeautifulSoup(district.get("/").text, "html.parser")
    assert own.select_one("#upload-form") is not None
    assert own.select_one("a#template").get_text() == "下载芝罘区的填报模板"
    reviewer, _ = signed_in(app, names["rev"])
    city = BeautifulSoup(reviewer.get("/").text, "html.parser")
    assert city.select_one("#upload-form") is None and "上传填报表" not in city.get_text()
    choices = [o.get_text() for o in city.select("#template-district option")]
    assert choices[:2] == ["芝罘区", "福山区"] and len(choices) == 14
    made = reviewer.get("/template.xlsx", params={"district": "福山区"})
    assert made.status_code == 200 and made.content[:2] == b"PK"
