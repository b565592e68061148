"""The home page: the upload form and one's uploads; for a reviewer, every district's status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from indicators import load
from reports.html import STATUS_LABELS
from reports.service.auth import SignedIn
from reports.service.guards import size_in_words
from reports.service.store import StoredSubmission
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
        board=_board(catalog, rows) if account.role == "reviewer" else None,
        upload_limit=web.upload_limit(),
        upload_limit_text=size_in_words(web.upload_limit()),
    )


def _by_period(rows: list[StoredSubmission]) -> list[tuple]:
    """Uploads grouped by reporting period, newest period first; within one, in upload order,
    each with its number among the same district's uploads for that period."""
    periods: dict = {}
    counts: dict = {}
    for row in rows:
        counts[(row.period, row.district)] = counts.get((row.period, row.district), 0) + 1
        periods.setdefault(row.period, []).append((row, counts[(row.period, row.district)]))
    return sorted(periods.items(), key=lambda item: (item[0] is None, -(item[0] or 0)))


def _board(catalog, rows: list[StoredSubmission]) -> dict:
    """Latest status per district and period, and who has not submitted for the latest period."""
    latest: dict[tuple, StoredSubmission] = {}
    for row in rows:
        latest[(row.district, row.period)] = row  # rows come in upload order: the last wins
    periods = sorted({p for _, p in latest if p is not None}, reverse=True)
    current_period = periods[0] if periods else None
    units = list(catalog.reporting_units.required) + list(catalog.reporting_units.optional)
    others = sorted({d for d, _ in latest if d and d not in units})
    table = []
    for unit in units + others:
        table.append((unit, [latest.get((unit, p)) for p in periods]))
    missing = [u for u in catalog.reporting_units.required if (u, current_period) not in latest]
    return {"periods": periods, "table": table, "missing": missing, "current": current_period}
