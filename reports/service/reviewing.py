"""What the service reads back of stored uploads for reviewers and later checks: a district's
earlier reports (revision checks), its values across periods, the evaluation. All of it from
the reported_values and findings rows, never from a page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.rules.revision import HISTORY_COLUMNS
from indicators import load
from reports.evaluation_page import evaluation_page
from reports.evaluation_report import target_label
from reports.html import progress_chart, shown_number
from submissions.finding import DATA_ERROR_CATEGORIES, ERROR

if TYPE_CHECKING:
    import pandas as pd

    from reports.service.store import Account, Store, StoredSubmission

# Values that were reported as figures of the past: an upload before reported_values had
# roles keeps such values as "reported".
PAST_ROLES = ("actual", "baseline", "reported")


def latest_by_period(
    rows: list[StoredSubmission], store: Store | None = None
) -> dict[tuple, StoredSubmission]:
    """(district, period) → the upload that stands for it: where the period is approved (with
    `store`, reports.service.review), the approved upload; else the last upload taken (rows
    come in upload order; one refused for a locked period never stands)."""
    latest: dict[tuple, StoredSubmission] = {}
    by_id = {}
    for row in rows:
        by_id[row.id] = row
        if not row.refused:
            latest[(row.district, row.period)] = row
    if store is not None and rows:
        for approved in approved_reviews(store, rows[0].catalog):
            if approved.submission_id in by_id:
                latest[(approved.district, approved.period)] = by_id[approved.submission_id]
    return latest


def approved_reviews(store: Store, catalog: str) -> list:
    from reports.service.review import APPROVED, reviews

    return [found for found in reviews(store, catalog) if found.state == APPROVED]


def reported_by_file(table: pd.DataFrame | None, submissions) -> dict[str, list[dict]]:
    """Every value cell of each readable upload (an indicator of the catalog), by file, as
    reported_values rows: worked out once for a whole pass. `usable`: a number that is not
    impossible (as the revision checks want their past values)."""
    import numpy as np

    readable = {s.file for s in submissions if not s.unreadable}
    if table is None or table.empty or not readable:
        return {}
    mine = (table["indicator"].notna() & table["file"].isin(list(readable))).to_numpy(bool)
    rows = table.loc[mine, ["file", "indicator", "role", "year", "value", "raw", "sheet", "cell",
                            "impossible"]]  # fmt: skip
    value = rows["value"].to_numpy(float)
    usable = ~np.isnan(value) & ~rows["impossible"].to_numpy(bool)
    years = rows["year"].astype("Float64")
    found: dict[str, list[dict]] = {}
    for row, year, number, fine in zip(
        rows.itertuples(index=False), years, value, usable, strict=True
    ):
        found.setdefault(row.file, []).append(
            {
                "indicator": row.indicator,
                "role": row.role,
                "year": None if year is None or year != year else int(year),
                "value": None if number != number else float(number),
                "raw": None if row.raw is None or row.raw != row.raw else str(row.raw),
                "sheet": row.sheet,
                "cell": row.cell,
                "usable": bool(fine),
            }
        )
    return found


def earlier_reports(
    store: Store, catalog_id: str, wanted: list[tuple[str, int]]
) -> dict[tuple[str, int], pd.DataFrame]:
    """For each (district, year) wanted: what the district reported in its latest readable
    upload of each period before that year, as revision checks compare (HISTORY_COLUMNS).
    Two queries for all of them (a pass of twenty uploads asked twenty times)."""
    import pandas as pd

    districts = sorted({district for district, _year in wanted})
    latest_year = max((year for _district, year in wanted), default=0)
    rows = store.district_submissions(catalog_id, districts, before=latest_year)
    standing = latest_by_period(rows, store)
    latest = {key: row for key, row in standing.items() if key[1] is not None}
    by_upload: dict[int, list[dict]] = {}
    for value in store.values_of([row.id for row in latest.values()]):
        by_upload.setdefault(value["submission_id"], []).append(value)
    records: dict[tuple[str, int], list[dict]] = {}
    for (district, period), row in latest.items():
        file = f"{row.original_name}（第{row.id}号上传）"
        records[(district, period)] = [
            {
                "file": file, "district": district, "report_year": period,
                "indicator": value["indicator"], "year": value["year"], "value": value["value"],
                "raw": value["raw"], "sheet": value["sheet"], "cell": value["cell"],
            }
            for value in by_upload.get(row.id, [])
            if value["usable"] and value["role"] in PAST_ROLES
            and value["year"] is not None and value["year"] <= period
        ]  # fmt: skip
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


def stored_evaluation(store: Store, account: Account, year: int | None):
    """Every district's approved (else latest) upload of each period, judged as
    `validate.py evaluate` judges a folder, from what the uploads reported and what was found
    in them (nothing re-read); with the uploads it used."""
    from expectations.evaluation import judge

    loaded = load(account.catalog)
    rows = sorted(
        (r for r in latest_by_period(store.submissions(account), store).values() if r.district),
        key=lambda r: (r.period or 0, r.id),
    )
    return judge(reported_in_store(store, rows), loaded.catalog, year), rows


def evaluation_view(store: Store, account: Account, year: int | None) -> dict:
    """The evaluation page of the stored uploads, saying which upload of each period it used."""
    evaluation, rows = stored_evaluation(store, account, year)
    page = evaluation_page(evaluation)
    page["dashboard_link"] = "/"
    page["docx_link"] = "/evaluation.docx" + (f"?year={year}" if year else "")
    approved = {found.submission_id for found in approved_reviews(store, account.catalog)}
    page["used"] = [
        {"district": row.district, "period": row.period, "id": row.id,
         "which": "已通过审核的上传" if row.id in approved else "最新上传（未审核通过）"}
        for row in rows
    ]  # fmt: skip
    return page


def reported_in_store(store: Store, rows: list[StoredSubmission]):
    """Stored uploads as an evaluation reads them: ranked by period, then upload order."""
    import pandas as pd

    from expectations.evaluation import Reported

    names = {row.id: f"{row.district}-{row.period or '年度未知'}-第{row.id}号" for row in rows}
    ranks = {row.id: (row.period or 0, row.id) for row in rows}
    districts = {row.id: row.district for row in rows}
    values = [
        {
            "file": names[value["submission_id"]],
            "district": districts[value["submission_id"]],
            "indicator": value["indicator"],
            # a past value of an upload stored before roles were kept: judged as an actual
            "role": "actual" if value["role"] == "reported" else value["role"],
            "year": float("nan") if value["year"] is None else float(value["year"]),
            "value": float("nan") if value["value"] is None else value["value"],
            "cell": value["cell"],
            "sheet": value["sheet"],
            "rank": ranks[value["submission_id"]],
        }
        for value in store.values_of([row.id for row in rows])
    ]
    wrong = {
        (names[submission], finding["sheet"], finding["cell"])
        for submission, findings in store.findings_by_submission([r.id for r in rows]).items()
        for finding in findings
        if finding["cell"]
        and finding["severity"] == ERROR
        and finding["category"] in DATA_ERROR_CATEGORIES
    }
    return Reported(
        values=pd.DataFrame(values, columns=list(Reported.COLUMNS)),
        wrong_cells=wrong,
        received={row.district for row in rows if row.district},
        readable={row.district for row in rows if row.district and row.status != "unreadable"},
        unreadable_files=sum(row.status == "unreadable" for row in rows),
    )


def district_view(store: Store, catalog_id: str, district: str, rows: list) -> dict:
    """Each indicator's value for each period, from that period's latest upload: as the
    district reported it (its number, or what it typed where no number could be read)."""
    catalog = load(catalog_id).catalog
    latest = latest_by_period([r for r in rows if r.district == district], store)
    periods = sorted(p for _d, p in latest if p is not None)
    upload_of = {latest[(district, p)].id: p for p in periods}
    shown: dict[str, dict[int, str]] = {}
    numbers: dict[str, dict[int, float]] = {}
    for value in store.values_of(list(upload_of)):
        period = upload_of[value["submission_id"]]
        if value["role"] not in ("actual", "reported") or value["year"] != period:
            continue
        code = value["indicator"]
        if value["usable"]:
            numbers.setdefault(code, {})[period] = value["value"]
            shown.setdefault(code, {})[period] = shown_number(value["value"])
        else:
            shown.setdefault(code, {})[period] = value["raw"] or "—"
    indicators = []
    for indicator in catalog.targeted:
        by_period = shown.get(indicator.code, {})
        if not indicator.required and not by_period:
            continue
        points = sorted(numbers.get(indicator.code, {}).items())
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
