"""One upload's result page and its downloads: the annotated workbook, JSON and CSV."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from indicators import load
from reports.clock import shown
from reports.service import review
from reports.service.auth import SignedIn, Viewer
from reports.service.store import Account, Store, StoredSubmission
from reports.service.web import XLSX, web_of
from submissions import Finding

LOG = logging.getLogger("validate.service")
NOT_VISIBLE = "没有这份填报，或您无权查看。"

router = APIRouter()


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def result_page(request: Request, submission_id: int, account: SignedIn):
    web = web_of(request)
    row = web.store.submission(submission_id, account)
    if row is None:
        return web.render("error.html", 404, message=NOT_VISIBLE)
    page = page_of(web.store, row)
    page["dashboard_link"] = "/"
    page["downloads"] = [
        ("标注了问题的工作簿（.xlsx）", f"/submissions/{row.id}/annotated.xlsx"),
        ("JSON", f"/submissions/{row.id}/report.json"),
        ("问题清单（CSV）", f"/submissions/{row.id}/findings.csv"),
    ]
    page["file"] = f"{row.original_name}（第 {row.id} 号上传，{shown(row.uploaded_at)}）"
    page["review"] = review_view(web.store, account, row, web.csrf(request))
    for finding in page["findings"]:  # each listed finding with its review
        finding["review"] = page["review"]["by_key"].get(review.finding_key(finding))
    return HTMLResponse(web.templates.get_template("submission.html").render(page=page))


def review_view(store: Store, account: Account, row: StoredSubmission, csrf: str) -> dict:
    """What the page shows of the review and which of its forms this account may use."""
    state = review.state_of(store, row)
    explained = review.latest_explanations(store, row.id)
    comments: dict[str | None, list] = {}
    for comment in review.comments_of(store, row.id):
        comments.setdefault(comment.finding_key, []).append(comment)
    by_key = {}
    for finding in store.findings_of(row.id, with_ids=True):
        key = review.finding_key(finding)
        by_key[key] = {
            "id": finding["id"],
            "warning": finding["severity"] == "warning",
            "explanation": review.explanation_document(explained.get(key)),
            "comments": comments.get(key, []),
        }
    own = account.role == "reviewer" or row.district == account.district

    def may(action: str) -> bool:
        transition = review.TRANSITIONS[action]
        return own and account.role in transition.roles and state in transition.sources

    events = [
        {
            "at": shown(event.at),
            "account": event.account,
            "action": review.ACTION_LABELS.get(event.action, event.action),
            "from": review.STATE_LABELS.get(event.from_state or "", ""),
            "to": review.STATE_LABELS.get(event.to_state or "", ""),
            "upload": event.submission_id,
            "detail": event.detail or "",
        }
        for event in review.events_of(store, row)
    ]
    return {
        "id": row.id,
        "state": state,
        "state_label": review.state_label(state),
        "refused": row.refused,
        "district": row.district,
        "period": row.period,
        "open": review.open_items(store, row) if state in ("uploaded", "returned") else [],
        "can": {action: may(action) for action in review.TRANSITIONS if action != "upload"},
        "comments": comments.get(None, []),
        "events": events,
        "by_key": by_key,
        "csrf": csrf,
    }


def page_of(store: Store, row: StoredSubmission) -> dict:
    """The upload's page as the report writer makes it, from what is stored of it: its
    findings, the values it reported and the catalog as it is now (a change of the page's
    template or wording shows on every upload, old ones too)."""
    from expectations.engine import Outcome, Result
    from reports.html import submission_page
    from submissions.reading.submission import Submission
    from submissions.reading.tidy import EMPTY

    loaded = load(row.catalog)
    findings = findings_as_records(store.findings_of(row.id), row.original_name)
    submission = Submission(
        file=row.original_name, sha256=row.sha256, size=row.size, table=EMPTY,
        findings=findings, kind=row.kind, layout=row.layout, district=row.district,
        year=row.period, unreadable=row.status == "unreadable",
    )  # fmt: skip
    result = Result(submission, findings)
    values: dict[str, list[tuple]] = {}
    for value in store.values_of([row.id]):
        # a past value of an upload stored before roles were kept is shown as reported
        role = "actual" if value["role"] == "reported" else value["role"]
        year = float("nan") if value["year"] is None else float(value["year"])
        number = float("nan") if value["value"] is None else value["value"]
        values.setdefault(value["indicator"], []).append(
            (role, year, number, value["raw"], value["cell"])
        )
    outcome = Outcome(loaded, [result], [], EMPTY)
    checked = row.checked_at or row.uploaded_at
    return submission_page(outcome, result, values, shown(checked))


def findings_as_records(findings: list[dict], file: str) -> list[Finding]:
    """Stored findings (the contract's fields) as the Finding records writers take."""
    fields = Finding.__dataclass_fields__
    return [
        Finding(file=file, **{k: v for k, v in finding.items() if k in fields})
        for finding in findings
    ]


def _visible(request: Request, submission_id: int, who: Account | None):
    """The stored upload, if whoever asks (signed in, or with a token) may see it."""
    return web_of(request).store.submission(submission_id, who) if who else None


@router.get("/submissions/{submission_id}/report.json")
def report_json(request: Request, submission_id: int, who: Viewer):
    row = _visible(request, submission_id, who)
    if row is None:
        return JSONResponse({"error": "没有这份填报"}, status_code=404)
    return JSONResponse(web_of(request).store.document(row))


@router.get("/submissions/{submission_id}/findings.csv")
def report_csv(request: Request, submission_id: int, who: Viewer):
    row = _visible(request, submission_id, who)
    if row is None:
        return web_of(request).render("error.html", 404, message=NOT_VISIBLE)
    return Response(
        _csv(web_of(request).store.findings_of(row.id), row.original_name),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="findings-{row.id}.csv"'},
    )


@router.get("/submissions/{submission_id}/annotated.xlsx")
def annotated(request: Request, submission_id: int, who: Viewer):
    web = web_of(request)
    row = _visible(request, submission_id, who)
    if row is None:
        return web.render("error.html", 404, message=NOT_VISIBLE)
    if row.status == "unreadable":
        return web.render("error.html", 409, message="这个文件无法读取，没有可标注的副本。")
    target = web.config.data_dir / "annotated" / f"{row.id}.xlsx"
    if not target.exists() and not _annotate(web.store, row, target):
        return web.render("error.html", 500, message="无法为这个文件生成标注副本，请稍后再试。")
    return FileResponse(target, media_type=XLSX, filename=f"submission-{row.id}-annotated.xlsx")


def _csv(findings: list[dict], name: str) -> bytes:
    from reports.csv_report import write_findings

    buffer = io.StringIO(newline="")
    write_findings(buffer, ((name, finding) for finding in findings))
    return buffer.getvalue().encode("utf-8-sig")


def _annotate(store: Store, row: StoredSubmission, target: Path) -> bool:
    """The annotated copy of a stored upload, made by a reading child (openpyxl parses the
    district's file); False if it could not be made."""
    from reports.annotate import annotate_copy
    from submissions.reading.isolation import Failure, Job, shared_pool

    findings = findings_as_records(store.findings_of(row.id), row.original_name)
    source = store.file_path(row.sha256)
    job = Job(annotate_copy, (findings, row.kind, source, target))
    (made,) = shared_pool().run([job])
    if isinstance(made, Failure):
        LOG.warning("无法为第 %s 号上传写出标注副本：%s", row.id, made.reason)
        return False
    return True
