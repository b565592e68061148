"""The review loop (审核): where each district's report for a period stands, who may move it,
explanations of warnings and the reviewer's verdicts, comments, deadlines. Every action goes
through `act` (or `reopen`), which checks it against one table of transitions and records it
as one event; the pages, the REST routes and `validate.py review` all call these."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from reports.clock import local, shown, stamped
from reports.service.store import (
    Account,
    Comment,
    Deadline,
    Event,
    Explanation,
    Remembered,
    Review,
    Store,
    StoredSubmission,
    _now,
    document_of,
)

NONE, UPLOADED, SUBMITTED, RETURNED, APPROVED = (
    "none",
    "uploaded",
    "submitted",
    "returned",
    "approved",
)
STATE_LABELS = {
    NONE: "未报送",
    UPLOADED: "已上传",
    SUBMITTED: "已报送·待审核",
    RETURNED: "已退回",
    APPROVED: "已通过",
}


def state_label(state: str) -> str:
    """Also for an upload that is not its period's: superseded, refused."""
    other = {"superseded": "已被更晚的上传取代", "refused": "未接收（该期已锁定）"}
    return STATE_LABELS.get(state) or other.get(state, state)


ACTION_LABELS = {
    "upload": "上传",
    "refused": "拒收上传",
    "explain": "填写说明",
    "submit": "报送",
    "accept": "认可说明",
    "reject": "不认可说明",
    "return": "退回",
    "approve": "审核通过",
    "reopen": "重新打开",
    "deadline": "设定截止日期",
}
DISTRICT, REVIEWER = "district", "reviewer"


@dataclass(frozen=True)
class Transition:
    """An action: the states it may be taken from, who may take it, the state it leads to
    (None: the state stays)."""

    action: str
    sources: frozenset[str]
    roles: frozenset[str]
    target: str | None


def _transition(action: str, sources: set[str], roles: set[str], target: str | None):
    return Transition(action, frozenset(sources), frozenset(roles), target)


# The one table of what may happen (DHIS2's data approval, 联网直报's 报送 and 退回).
TRANSITIONS = {
    t.action: t
    for t in (
        _transition(
            "upload", {NONE, UPLOADED, SUBMITTED, RETURNED}, {DISTRICT, REVIEWER}, UPLOADED
        ),
        _transition("explain", {UPLOADED, RETURNED}, {DISTRICT}, None),
        _transition("submit", {UPLOADED, RETURNED}, {DISTRICT}, SUBMITTED),
        _transition("accept", {SUBMITTED}, {REVIEWER}, None),
        _transition("reject", {SUBMITTED}, {REVIEWER}, None),
        _transition("return", {SUBMITTED}, {REVIEWER}, RETURNED),
        _transition("approve", {SUBMITTED}, {REVIEWER}, APPROVED),
        _transition("reopen", {APPROVED}, {REVIEWER}, SUBMITTED),
    )
}


class Refused(Exception):
    """An action that may not be taken now: a Chinese message and the HTTP status it is."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def finding_key(finding: dict) -> str:
    """What identifies a finding of an upload across re-checks of it (its row id does not)."""
    parts = (finding.get("rule"), finding.get("sheet"), finding.get("cell"),
             finding.get("indicator"), finding.get("year"))  # fmt: skip
    return "|".join("" if part is None else str(part) for part in parts)


def review_of(store: Store, catalog: str, district: str, period: int) -> Review | None:
    with store.session() as session:
        return session.scalar(
            select(Review).where(
                Review.catalog == catalog, Review.district == district, Review.period == period
            )
        )


def state_of(store: Store, row: StoredSubmission) -> str:
    """The state of the upload's period as this upload sees it: the period's state when it is
    the upload under review; superseded, refused or none otherwise."""
    if row.refused:
        return "refused"
    if not row.district or not row.period:
        return NONE
    review = review_of(store, row.catalog, row.district, row.period)
    if review is None:
        return NONE
    return review.state if review.submission_id == row.id else "superseded"


# Uploads -------------------------------------------------------------------------------------


def refusals(store: Store, catalog: str, places: set[tuple[str, int]]) -> dict[tuple, str]:
    """(district, period) → why an upload for it is not taken (the period is approved: locked);
    the approved ones among `places`, in two queries."""
    if not places:
        return {}
    districts = {district for district, _period in places}
    with store.session() as session:
        approved = {
            (r.district, r.period)
            for r in session.scalars(
                select(Review).where(Review.catalog == catalog, Review.state == APPROVED,
                                     Review.district.in_(districts))
            )
        } & places  # fmt: skip
        if not approved:
            return {}
        last: dict[tuple, Event] = {}
        for event in session.scalars(
            select(Event)
            .where(Event.catalog == catalog, Event.action == "approve",
                   Event.district.in_(districts))
            .order_by(Event.id)
        ):  # fmt: skip
            last[(event.district, event.period)] = event
    reasons = {}
    for district, period in approved:
        approval = last.get((district, period))
        who = f" {approval.account} 于 {shown(approval.at)} " if approval else ""
        reasons[(district, period)] = (
            f"{district} {period}年度的报送已由{who}审核通过并锁定，不能再上传；"
            "如需更正，请联系审核人重新打开该期"
        )
    return reasons


Taken = tuple[StoredSubmission, list[dict], Account | None]  # a row, its findings, uploader


def record_uploads(store: Store, taken: list[Taken]) -> None:
    """After a pass is stored, in one transaction: each upload an event; each taken upload of a
    known district and period becomes the one under review (state 已上传), with the
    explanations its file brings (_brought). Two processes recording the first upload of one
    period at once: the one whose row came second tries again, and finds the other's. Two
    recording first uploads of several periods: each inserts them in the same order (district,
    period), and should PostgreSQL still pick one as a deadlock victim, that one tries again."""
    for attempt in range(3):
        try:
            _record_uploads(store, taken)
            return
        except IntegrityError:
            if attempt == 2:
                raise
        except OperationalError as exc:
            if attempt == 2 or getattr(exc.orig, "sqlstate", None) not in RETRIED_STATES:
                raise


# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back
# whole, and doing it again is safe
RETRIED_STATES = ("40P01", "40001")


def _record_uploads(store: Store, taken: list[Taken]) -> None:
    if not taken:
        return
    catalog = taken[0][0].catalog
    districts = {row.district for row, _findings, _account in taken if row.district}
    with store.session.begin() as session:
        # the periods' rows locked until this commits (PostgreSQL; SQLite has one writer):
        # a reviewer approving one meanwhile waits, and is not undone
        reviews = {
            (r.district, r.period): r
            for r in session.scalars(
                select(Review)
                .where(Review.catalog == catalog, Review.district.in_(districts))
                .order_by(Review.district, Review.period)  # locked in one order by everyone
                .with_for_update()
            )
        }
        remembered = {
            (r.district, r.rule, r.indicator, r.year, r.value): r
            for r in session.scalars(
                select(Remembered)
                .where(Remembered.catalog == catalog, Remembered.district.in_(districts))
                .order_by(Remembered.id)
            )
        }
        # period by period, in one order for every process, so that two recording at once
        # insert new periods' rows in the same order (no deadlock on uq_reviews_period); within
        # a period by id, the later upload last
        in_order = sorted(
            taken, key=lambda item: (item[0].district or "", item[0].period or 0, item[0].id)
        )
        for row, findings, account in in_order:
            name, role = (account.name, account.role) if account else ("系统", REVIEWER)
            if row.refused:
                session.add(_row_event(row, name, role, "refused", APPROVED, APPROVED, row.refused))
                continue
            if not row.district or not row.period:
                session.add(_row_event(row, name, role, "upload", None, None, row.original_name))
                continue
            review = reviews.get((row.district, row.period))
            before = review.state if review is not None else NONE
            if review is None:
                review = Review(
                    catalog=row.catalog,
                    district=row.district,
                    period=row.period,
                    state=UPLOADED,
                    submission_id=row.id,
                    updated_at=_now(),
                )
                session.add(review)
                session.flush()  # a second first upload of the period fails here: tried again
                reviews[(row.district, row.period)] = review
            elif not _taken_over(session, review, row):  # approved while it was checked
                row.refused = (
                    f"{row.district} {row.period}年度的报送在这份文件校验期间已审核通过并锁定"
                )
                session.execute(
                    update(StoredSubmission)
                    .where(StoredSubmission.id == row.id)
                    .values(refused=row.refused)
                )
                session.add(_row_event(row, name, role, "refused", APPROVED, APPROVED, row.refused))
                continue
            session.add(_row_event(row, name, role, "upload", before, UPLOADED, row.original_name))
            session.add_all(_brought(row, findings, remembered))


def _taken_over(session, review: Review, row: StoredSubmission) -> bool:
    """The period's upload under review is now `row` (state 已上传), unless it is approved: the
    condition in the update itself, for a reviewer may approve between the read and now."""
    moved = session.execute(
        update(Review)
        .where(Review.id == review.id, Review.state != APPROVED)
        .values(state=UPLOADED, submission_id=row.id, updated_at=_now())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, moved).rowcount == 1


def _row_event(row, account: str, role: str, action: str, before, after, detail) -> Event:
    return Event(
        catalog=row.catalog,
        district=row.district,
        period=row.period,
        submission_id=row.id,
        account=account,
        role=role,
        action=action,
        from_state=before,
        to_state=after,
        detail=detail or None,
    )


def _brought(row: StoredSubmission, findings: list[dict], remembered: dict) -> list[Explanation]:
    """The explanations an upload brings for its warnings: its rows' 备注, else an explanation
    accepted before for the same district, rule, indicator, year and value (offered again:
    attached, and accepted as it was)."""
    brought = []
    for finding in findings:
        if finding["severity"] != "warning":
            continue
        key = finding_key(finding)
        if finding.get("explanation"):
            note = finding["explanation"]
            brought.append(
                Explanation(
                    submission_id=row.id, finding_key=key, source="note", text=note, by_name="备注"
                )
            )
            continue
        rule, indicator, year = finding["rule"], finding.get("indicator"), finding.get("year")
        earlier = remembered.get((row.district, rule, indicator, year, finding.get("value")))
        if earlier is not None:
            brought.append(
                Explanation(
                    submission_id=row.id,
                    finding_key=key,
                    source="remembered",
                    text=earlier.text,
                    by_name=f"沿用（{shown(earlier.accepted_at)[:10]}已认可）",
                    verdict="accepted",
                    verdict_by=earlier.accepted_by,
                    verdict_at=_now(),
                    reason="与此前认可的说明对应的数值相同",
                )
            )
    return brought


# Acting on an upload ---------------------------------------------------------------------------


def act(
    store: Store,
    account: Account,
    row: StoredSubmission,
    action: str,
    *,
    finding: int | None = None,
    text: str = "",
    verdict: str | None = None,
    comments: dict[int, str] | None = None,
) -> str:
    """Take `action` on the upload for `account` (after its may_see was checked): explain
    (`finding`, `text`), submit, accept/reject (`finding`, `text` = the reason), return
    (`text` = the comment, `comments` per finding id), approve. The period's new state; an
    event recorded. All of it in one transaction, the period's row locked (PostgreSQL; SQLite
    has one writer): two reviewers at once act one after the other, and a refused action
    leaves nothing behind. Refused (Chinese) if the action may not be taken now or by this
    account."""
    if action == "verdict":
        action = {"accepted": "accept", "rejected": "reject"}.get(verdict or "", "")
        if not action:
            raise Refused("verdict 应为 accepted 或 rejected", 400)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Refused(f"没有“{action}”这个操作", 400)
    if account.role not in transition.roles:
        who = "审核人" if REVIEWER in transition.roles else "报送单位"
        raise Refused(f"只有{who}可以{ACTION_LABELS[action]}", 403)
    if account.role == DISTRICT and row.district != account.district:
        raise Refused("只能处理本单位的报送", 404)
    findings = store.findings_of(row.id, with_ids=True)
    with store.session.begin() as session:
        review = _locked_review(session, row)
        state = _state_seen(row, review)
        if state not in transition.sources:
            raise Refused(_not_now(action, state, row))
        detail = _apply(session, account, row, findings, action, finding, text.strip(),
                        comments or {})  # fmt: skip
        target = transition.target or state
        if review is not None:
            # only if the period still stands as it was read (SQLite's driver reads it outside
            # the transaction): else the whole action, side effects too, is rolled back
            moved = session.execute(
                update(Review)
                .where(Review.id == review.id, Review.state == state,
                       Review.submission_id == row.id)
                .values(state=target, updated_at=_now())
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            if cast(CursorResult, moved).rowcount != 1:
                raise Refused("该期的状态刚被他人改变，请刷新页面后再试")
        session.add(_row_event(row, account.name, account.role, action, state, target, detail))
    return target


def _locked_review(session, row: StoredSubmission) -> Review | None:
    if not row.district or not row.period:
        return None
    return session.scalar(
        select(Review)
        .where(Review.catalog == row.catalog, Review.district == row.district,
               Review.period == row.period)
        .with_for_update()
    )  # fmt: skip


def _state_seen(row: StoredSubmission, review: Review | None) -> str:
    """state_of, from a review already read."""
    if row.refused:
        return "refused"
    if review is None:
        return NONE
    return review.state if review.submission_id == row.id else "superseded"


def _not_now(action: str, state: str, row: StoredSubmission) -> str:
    label = ACTION_LABELS[action]
    if state == "superseded":
        return f"第 {row.id} 号上传已被同期更晚的上传取代，请在最新的上传上{label}"
    if state == "refused":
        return f"第 {row.id} 号上传未被接收（{row.refused}）"
    if state == NONE:
        return f"第 {row.id} 号上传没有可确定的填报单位和年度，不能{label}"
    return f"该期目前为“{STATE_LABELS[state]}”，不能{label}"


def _apply(session, account, row, findings, action, finding, text, comments) -> str:
    """What the action does besides moving the state, in `session`; the event's detail."""
    explained = _explained(session, row.id)
    if action == "explain":
        key = _key_of(findings, finding, warnings_only=True)
        if not text:
            raise Refused("说明不能为空", 400)
        session.add(Explanation(submission_id=row.id, finding_key=key, text=text[:2000],
                                source="typed", by_name=account.name))  # fmt: skip
        return f"{key}：{text[:200]}"
    if action in ("accept", "reject"):
        key = _key_of(findings, finding)
        if key not in explained:
            raise Refused("这条问题还没有说明，无需认可", 409)
        return _verdict(session, account, row, findings, explained[key], action, text)
    if action == "submit":
        still_open = open_items(None, row, findings, explained)
        if still_open:
            raise Refused("还不能报送：" + "；".join(still_open))
        return ""
    if action == "return":
        if not text:
            raise Refused("退回时请写明需要修改的内容", 400)
        session.add(Comment(submission_id=row.id, finding_key=None, text=text[:4000],
                            by_name=account.name))  # fmt: skip
        for finding_id, comment in comments.items():
            if comment.strip():
                key = _key_of(findings, finding_id)
                session.add(Comment(submission_id=row.id, finding_key=key,
                                    text=comment.strip()[:2000], by_name=account.name))  # fmt: skip
        return text[:200]
    if action == "approve":
        rejected = [e for e in explained.values() if e.verdict == "rejected"]
        if rejected:
            raise Refused(f"有 {len(rejected)} 条说明未被认可：请退回，由报送单位修改或重新说明")
        for explanation in explained.values():
            if explanation.verdict is None:  # approving accepts what was not judged one by one
                _verdict(session, account, row, findings, explanation, "accept", "")
    return ""


def _explained(session, submission_id: int) -> dict[str, Explanation]:
    """finding key → its latest explanation, read in `session`."""
    rows = session.scalars(
        select(Explanation)
        .where(Explanation.submission_id == submission_id)
        .order_by(Explanation.id)
    )
    return {explanation.finding_key: explanation for explanation in rows}


def _verdict(session, account, row, findings, explanation: Explanation, action, reason) -> str:
    if action == "reject" and not reason:
        raise Refused("不认可时请写明理由", 400)
    explanation.verdict = "accepted" if action == "accept" else "rejected"
    explanation.verdict_by, explanation.verdict_at = account.name, _now()
    explanation.reason = reason or None
    if explanation.verdict == "accepted":
        found = next((f for f in findings if finding_key(f) == explanation.finding_key), None)
        if found is not None:
            session.add(
                Remembered(
                    catalog=row.catalog, district=row.district or "", rule=found["rule"],
                    indicator=found.get("indicator"), year=found.get("year"),
                    value=found.get("value"), text=explanation.text, accepted_by=account.name,
                )
            )  # fmt: skip
    return f"{explanation.finding_key}：{reason[:200]}" if reason else explanation.finding_key


def _key_of(findings: list[dict], finding: int | None, warnings_only=False) -> str:
    """The key of the upload's finding with row id `finding` (Refused if it has none)."""
    for found in findings:
        if found["id"] == finding:
            if warnings_only and found["severity"] != "warning":
                raise Refused("只有警告可以用说明解决；错误须改正后重新上传", 409)
            return finding_key(found)
    raise Refused("这份上传没有这条问题", 404)


def latest_explanations(store: Store, submission_id: int) -> dict[str, Explanation]:
    """finding key → its latest explanation."""
    with store.session() as session:
        rows = session.scalars(
            select(Explanation)
            .where(Explanation.submission_id == submission_id)
            .order_by(Explanation.id)
        )
        return {e.finding_key: e for e in rows}


def open_items(
    store: Store | None,
    row: StoredSubmission,
    findings: list[dict] | None = None,
    explained: dict[str, Explanation] | None = None,
) -> list[str]:
    """What stands between the upload and 报送, in words: errors to fix, warnings without an
    explanation or whose explanation was not accepted (`findings` and `explained`, if given,
    are the upload's, read already)."""
    if row.status == "unreadable":
        return ["文件无法读取，请重新上传"]
    if findings is None or explained is None:
        assert store is not None
        findings = store.findings_of(row.id) if findings is None else findings
        explained = latest_explanations(store, row.id) if explained is None else explained
    items = []
    errors = [f for f in findings if f["severity"] == "error"]
    if errors:
        items.append(f"有 {len(errors)} 条错误须改正后重新上传")
    unexplained, rejected = [], []
    for finding in findings:
        if finding["severity"] != "warning":
            continue
        name = finding.get("indicator_name") or finding["rule"]
        place = f"{name}（{finding.get('cell') or '—'}）"
        explanation = explained.get(finding_key(finding))
        if explanation is None:
            unexplained.append(place)
        elif explanation.verdict == "rejected":
            rejected.append(place)
    if unexplained:
        items.append(f"{len(unexplained)} 条警告没有说明：{'、'.join(unexplained[:10])}")
    if rejected:
        listed = "、".join(rejected[:10])
        items.append(f"{len(rejected)} 条说明未被认可，须改正数值或重新说明：{listed}")
    return items


def reopen(store: Store, account: Account, catalog: str, district: str, period: int) -> str:
    """An approved period opened again (by a reviewer of the catalog): 待审核 once more."""
    if account.role != REVIEWER:
        raise Refused("只有审核人可以重新打开", 403)
    with store.session.begin() as session:
        review = session.scalar(
            select(Review)
            .where(Review.catalog == catalog, Review.district == district, Review.period == period)
            .with_for_update()
        )
        if account.catalog != catalog or review is None:
            raise Refused(f"{district} {period}年度还没有报送", 404)
        transition = TRANSITIONS["reopen"]
        if review.state not in transition.sources:
            label = ACTION_LABELS["reopen"]
            raise Refused(f"该期目前为“{STATE_LABELS[review.state]}”，不能{label}")
        row = session.get(StoredSubmission, review.submission_id)
        moved = session.execute(
            update(Review)
            .where(Review.id == review.id, Review.state == review.state)
            .values(state=transition.target, updated_at=_now())
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult, moved).rowcount != 1:
            raise Refused("该期的状态刚被他人改变，请刷新页面后再试")
        event = _row_event(row, account.name, account.role, "reopen", review.state,
                           transition.target, "")  # fmt: skip
        session.add(event)
        return transition.target or review.state


# State and events -----------------------------------------------------------------------------


def events_of(store: Store, row: StoredSubmission) -> list[Event]:
    """The audit of an upload: its own events and its period's (before and after it)."""
    with store.session() as session:
        query = select(Event).where(Event.catalog == row.catalog)
        if row.district and row.period:
            query = query.where(
                (Event.submission_id == row.id)
                | ((Event.district == row.district) & (Event.period == row.period))
            )
        else:
            query = query.where(Event.submission_id == row.id)
        return list(session.scalars(query.order_by(Event.id)))


def comments_of(store: Store, submission_id: int) -> list[Comment]:
    with store.session() as session:
        return list(
            session.scalars(
                select(Comment).where(Comment.submission_id == submission_id).order_by(Comment.id)
            )
        )


def reviews(store: Store, catalog: str, district: str | None = None) -> list[Review]:
    with store.session() as session:
        query = select(Review).where(Review.catalog == catalog)
        if district is not None:
            query = query.where(Review.district == district)
        return list(session.scalars(query.order_by(Review.period, Review.district)))


# Deadlines and timeliness ---------------------------------------------------------------------


def set_deadline(store: Store, account: Account, period: int, due: datetime.date) -> None:
    if account.role != REVIEWER:
        raise Refused("只有审核人可以设定截止日期", 403)
    with store.session.begin() as session:
        existing = session.scalar(
            select(Deadline).where(Deadline.catalog == account.catalog, Deadline.period == period)
        )
        if existing is None:
            session.add(Deadline(catalog=account.catalog, period=period, due=due,
                                 set_by=account.name))  # fmt: skip
        else:
            existing.due, existing.set_by, existing.set_at = due, account.name, _now()
        session.add(
            Event(
                catalog=account.catalog, period=period, account=account.name,
                role=account.role, action="deadline", detail=f"{due:%Y-%m-%d}",
            )
        )  # fmt: skip


def deadlines(store: Store, catalog: str) -> dict[int, datetime.date]:
    with store.session() as session:
        return {
            d.period: d.due
            for d in session.scalars(select(Deadline).where(Deadline.catalog == catalog))
        }


ON_TIME, LATE, NOT_SUBMITTED = "按时报送", "逾期报送", "未报送"


def timeliness(store: Store, catalog: str, period: int) -> dict[str, tuple[str, datetime.datetime]]:
    """district → (按时报送 / 逾期报送, when first submitted) for the period; districts that
    have not submitted are not in it. On time: submitted by the end of the deadline's day."""
    due = deadlines(store, catalog).get(period)
    with store.session() as session:
        first: dict[str, datetime.datetime] = {}
        for event in session.scalars(
            select(Event)
            .where(Event.catalog == catalog, Event.period == period, Event.action == "submit")
            .order_by(Event.id)
        ):
            if event.district:
                first.setdefault(event.district, event.at)
    found = {}
    for district, at in first.items():
        on_time = due is None or local(at).date() <= due
        found[district] = (ON_TIME if on_time else LATE, at)
    return found


def first_pass_rates(rows: list[StoredSubmission]) -> dict[tuple[str, int | None], tuple[int, int]]:
    """(district, period) and (district, None) for all periods → (uploads without an error,
    uploads): the district's first-pass rate, its data-quality score."""
    counts: dict[tuple[str, int | None], list[int]] = {}
    for row in rows:
        if not row.district or row.refused:
            continue
        clean = int(row.status in ("ok", "warning"))
        for key in ((row.district, row.period), (row.district, None)):
            tally = counts.setdefault(key, [0, 0])
            tally[0] += clean
            tally[1] += 1
    return {key: (clean, total) for key, (clean, total) in counts.items()}


# What documents and pages show of it --------------------------------------------------------


def explanation_document(explanation: Explanation | None) -> dict | None:
    if explanation is None:
        return None
    return {
        "text": explanation.text,
        "source": explanation.source,
        "by": explanation.by_name,
        "at": stamped(explanation.at),
        "verdict": explanation.verdict,
        "verdict_by": explanation.verdict_by,
        "reason": explanation.reason,
    }


def service_document(store: Store, row: StoredSubmission) -> dict:
    """The JSON contract's submission object as the service gives it: each finding with its
    `id` and `explanation` (an object: text, source, by, at, verdict, verdict_by, reason; null
    where there is none) and the reviewers' `comments` on it; the upload's `state` (its
    period's, or superseded / refused / none), `comments` and what is `open` before 报送."""
    findings = store.findings_of(row.id, with_ids=True)
    explained = latest_explanations(store, row.id)
    notes: dict[str | None, list[dict]] = {}
    for comment in comments_of(store, row.id):
        notes.setdefault(comment.finding_key, []).append(
            {"text": comment.text, "by": comment.by_name,
             "at": stamped(comment.at)}
        )  # fmt: skip
    for finding in findings:
        key = finding_key(finding)
        finding["explanation"] = explanation_document(explained.get(key))
        finding["comments"] = notes.get(key, [])
    state = state_of(store, row)
    document = document_of(row, findings)
    document.update(
        findings=findings,
        state=state,
        state_label=state_label(state),
        comments=notes.get(None, []),
        open=open_items(store, row, findings, explained) if state in (UPLOADED, RETURNED) else [],
        refused=row.refused,
    )
    return document
