"""What reviewers read in the service: the evaluation of stored uploads, a district's periods."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from expectations.evaluation import evaluate
from expectations.rules.revision import HISTORY_COLUMNS, REPORTED_FROM, reported_values
from indicators import load
from reports.evaluation_page import evaluation_page
from reports.evaluation_report import target_label
from reports.html import progress_chart

if TYPE_CHECKING:
    import pandas as pd

    from reports.service.store import Account, Store, StoredSubmission


def latest_by_period(rows: list[StoredSubmission]) -> dict[tuple, StoredSubmission]:
    """(district, period) → the last upload for it (rows come in upload order)."""
    latest: dict[tuple, StoredSubmission] = {}
    for row in rows:
        latest[(row.district, row.period)] = row
    return latest


def evaluation_view(store: Store, account: Account, year: int | None) -> dict:
    """Every district's latest upload of each period, read again from the stored bytes and
    judged as `validate.py evaluate` judges a folder."""
    from reports.api import check_files

    loaded = load(account.catalog)
    rows = [r for r in latest_by_period(store.submissions(account)).values() if r.district]
    rows.sort(key=lambda r: (r.period or 0, r.id))
    outcome = check_files(
        [store.file_path(r.sha256) for r in rows],
        loaded,
        names=[f"{r.district}-{r.period or '年度未知'}-第{r.id}号" for r in rows],
        districts=[r.district for r in rows],
        across_districts=False,
    )
    page = evaluation_page(evaluate(outcome, year))
    page["dashboard_link"] = "/"
    return page


def district_view(catalog_id: str, district: str, rows: list[StoredSubmission]) -> dict:
    """Each indicator's value for each period, from that period's latest upload."""
    catalog = load(catalog_id).catalog
    latest = latest_by_period([r for r in rows if r.district == district])
    periods = sorted(p for _d, p in latest if p is not None)
    reported: dict[str, dict[int, float | str]] = {}
    for period in periods:
        page = json.loads(latest[(district, period)].page)
        for indicator in page.get("indicators", []):
            for actual in indicator.get("actuals", []):
                if actual.get("year") == period:
                    reported.setdefault(indicator["code"], {})[period] = actual.get("shown")
    indicators = []
    for indicator in catalog.targeted:
        by_period = reported.get(indicator.code, {})
        if not indicator.required and not by_period:
            continue
        numbers = [(p, _number(by_period.get(p))) for p in periods]
        points = [(p, v) for p, v in numbers if v is not None]
        base = indicator.baseline.value if indicator.baseline else None
        indicators.append(
            {
                "name": indicator.name,
                "unit": indicator.unit or "",
                "binding": indicator.binding,
                "target": target_label(indicator),
                "values": [by_period.get(p, "—") for p in periods],
                "chart": (
                    progress_chart(base, points, indicator.plan_target.value) if points else ""
                ),
            }
        )
    return {
        "district": district,
        "catalog": catalog,
        "periods": [(p, latest[(district, p)]) for p in periods],
        "indicators": indicators,
    }


def _number(shown) -> float | None:
    try:
        return float(str(shown).replace(",", ""))
    except (TypeError, ValueError):
        return None


def reported_by_file(table: pd.DataFrame | None, submissions) -> dict[str, list[dict]]:
    """Each readable upload's trustworthy past values, by file: kept with the upload so that a
    later upload of the same district can be checked for revisions without reading this file
    again. Worked out once for a whole pass (a pass per upload cost a quarter of a busy
    server's time)."""
    readable = [s for s in submissions if not s.unreadable]
    if table is None or table.empty or not readable:
        return {}
    rows = reported_values(table[REPORTED_FROM], readable)  # not every column
    found: dict[str, list[dict]] = {}
    for row in rows.itertuples(index=False):
        found.setdefault(row.file, []).append(
            {
                "indicator": row.indicator,
                "year": int(row.year),
                "value": float(row.value),
                "raw": None if row.raw is None else str(row.raw),
                "sheet": row.sheet,
                "cell": row.cell,
            }
        )
    return found


def earlier_reports(
    store: Store, catalog_id: str, wanted: list[tuple[str, int]]
) -> dict[tuple[str, int], pd.DataFrame]:
    """For each (district, year) wanted: what the district reported in its latest readable
    upload of each period before that year. Two queries for all of them (a pass of twenty
    uploads asked twenty times)."""
    import pandas as pd

    districts = sorted({district for district, _year in wanted})
    latest_year = max((year for _district, year in wanted), default=0)
    rows = store.district_submissions(catalog_id, districts, before=latest_year)
    latest = {key: row for key, row in latest_by_period(rows).items() if key[1] is not None}
    pages = store.pages([row.id for row in latest.values()])
    records: dict[tuple[str, int], list[dict]] = {}
    for (district, period), row in latest.items():
        file = f"{row.original_name}（第{row.id}号上传）"
        records[(district, period)] = [
            {**record, "file": file, "district": district, "report_year": period}
            for record in json.loads(pages[row.id]).get("reported", [])
        ]
    found = {}
    for district, year in wanted:
        mine = [
            record
            for (own, period), kept in records.items()
            if own == district and period < year
            for record in kept
        ]
        found[(district, year)] = pd.DataFrame(mine, columns=HISTORY_COLUMNS)
    return found
