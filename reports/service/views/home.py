"""The home page: the upload form and one's uploads; for a reviewer, every district's status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from indicators import load
from reports.html import STATUS_LABELS
from reports.service import review
from reports.service.auth import SignedIn
from reports.service.guards import size_in_words
from reports.service.reviewing import approved_reviews, latest_by_period
from reports.service.store import Account, Store, StoredSubmission
from reports.service.web import web_of

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, account: SignedIn):
    web = web_of(request)
    rows = web.store.submissions(account)
    catalog = load(account.catalog).catalog
    return web.render(
        "home.html",
        account=account,
        catalog=catalog,
        csrf=web.csrf(request),
        rows=rows,
        history=_by_period(rows),
        labels=STATUS_LABELS,
        board=_board(web.store, catalog, rows) if account.role == "reviewer" else None,
        upload_limit=web.upload_limit(),
        upload_limit_text=size_in_words(web.upload_limit()),
        review=_review(web.store, account, catalog, rows),
    )


def _review(store: Store, account: Account, catalog, rows: list[StoredSubmission]) -> dict:
    """The review loop on the home page: a district's periods (state, comments when returned);
    a reviewer's queue of 待审核, the deadlines, and each district's timeliness and first-pass
    rate for the latest period."""
    district = account.district if account.role == "district" else None
    reviews = review.reviews(store, account.catalog, district)
    due = review.deadlines(store, account.catalog)
    periods: list[dict] = []
    for found in sorted(reviews, key=lambda r: -r.period):
        comments = (
            review.comments_of(store, found.submission_id) if found.state == "returned" else []
        )
        periods.append({"review": found, "label": review.STATE_LABELS[found.state],
                        "comments": [c for c in comments if c.finding_key is None],
                        "due": due.get(found.period)})  # fmt: skip
    result: dict = {"periods": periods, "deadlines": sorted(due.items(), reverse=True)}
    if account.role != "reviewer":
        return result
    result["queue"] = [p for p in periods if p["review"].state == "submitted"]
    latest = max([r.period for r in reviews] + list(due), default=None)
    rates = review.first_pass_rates(rows)
    if latest is not None:
        states = {r.district: r for r in reviews if r.period == latest}
        timely = review.timeliness(store, account.catalog, latest)
        table = []
        for unit in catalog.reporting_units.all:
            state = states.get(unit)
            label, _at = timely.get(unit, (review.NOT_SUBMITTED, None))
            table.append({
                "district": unit,
                "state": review.STATE_LABELS[state.state] if state else review.STATE_LABELS["none"],
                "timeliness": label,
                "rate": _rate(rates.get((unit, latest))),
                "rate_all": _rate(rates.get((unit, None))),
            })  # fmt: skip
        result.update(period=latest, table=table, due=due.get(latest))
    return result


def _rate(tally: tuple[int, int] | None) -> str:
    """A first-pass rate as people read it: 75%（3/4）."""
    if not tally or not tally[1]:
        return "—"
    clean, total = tally
    return f"{clean / total:.0%}（{clean}/{total}）"


def _by_period(rows: list[StoredSubmission]) -> list[tuple]:
    """Uploads grouped by reporting period, newest period first; within one, in upload order,
    each with its number among the same district's uploads for that period."""
    periods: dict = {}
    counts: dict = {}
    for row in rows:
        counts[(row.period, row.district)] = counts.get((row.period, row.district), 0) + 1
        periods.setdefault(row.period, []).append((row, counts[(row.period, row.district)]))
    return sorted(periods.items(), key=lambda item: (item[0] is None, -(item[0] or 0)))


def _board(store: Store, catalog, rows: list[StoredSubmission]) -> dict:
    """The status per district and period of the upload that stands for it (the approved one,
    else the latest), and who has not submitted for the latest period."""
    latest = latest_by_period(rows, store)
    approved = {found.submission_id for found in approved_reviews(store, catalog.id)}
    periods = sorted({p for _, p in latest if p is not None}, reverse=True)
    current_period = periods[0] if periods else None
    units = list(catalog.reporting_units.required) + list(catalog.reporting_units.optional)
    others = sorted({d for d, _ in latest if d and d not in units})
    table = []
    for unit in units + others:
        table.append((unit, [latest.get((unit, p)) for p in periods]))
    missing = [u for u in catalog.reporting_units.required if (u, current_period) not in latest]
    return {
        "periods": periods,
        "table": table,
        "missing": missing,
        "current": current_period,
        "approved": approved,
    }
