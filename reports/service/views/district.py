"""A district's page across periods: each indicator's reported value per period."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from indicators import load
from reports.html import STATUS_LABELS
from reports.service.auth import SignedIn
from reports.service.reviewing import district_view
from reports.service.web import web_of

router = APIRouter()


@router.get("/districts/{district}", response_class=HTMLResponse)
def district_history(request: Request, district: str, account: SignedIn):
    web = web_of(request)
    catalog = load(account.catalog).catalog
    own = account.role == "reviewer" or district == account.district
    if not own or district not in catalog.reporting_units.all:
        return web.render("error.html", 404, message="没有这个单位，或您无权查看。")
    view = district_view(web.store, account.catalog, district, web.store.submissions(account))
    return web.render(
        "district.html", account=account, catalog=catalog, csrf=web.csrf(request), view=view,
        labels=STATUS_LABELS,
    )  # fmt: skip
