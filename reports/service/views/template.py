"""The district's template to fill in, as a download."""

from __future__ import annotations

import datetime
import io
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from indicators import load
from reports.service.auth import SignedIn
from reports.service.web import XLSX, web_of

router = APIRouter()


@router.get("/template.xlsx")
def template(
    request: Request, account: SignedIn, district: str | None = None, year: int | None = None
):
    from submissions.template import write_template

    web = web_of(request)
    if year is not None and not 2000 <= year <= 2100:
        return web.render("error.html", 400, message="填报年度应为四位年份，如 2025。")
    catalog = load(account.catalog).catalog
    chosen = account.district if account.role == "district" else catalog.district(district or "")
    if chosen is None:
        return web.render("error.html", 400, message="请选择报送单位。")
    year = year or min(datetime.date.today().year - 1, catalog.last_target_year)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        path = write_template(Path(folder) / "t.xlsx", catalog, chosen, year)
        buffer.write(path.read_bytes())
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="template-{year}.xlsx"'},
    )
