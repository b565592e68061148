"""The reports opened from disk in Debian's Chromium, the way a reviewer opens them."""

import os
import shutil
from pathlib import Path

import pytest

from reports.html import write_html
from tests.conftest import cell_of, district_file, run, serving

pytestmark = pytest.mark.browser


def test_pages_work_offline_with_no_requests(tmp_path, yantai, chromium):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    paths = [
        district_file(tmp_path, yantai),
        district_file(
            tmp_path, yantai, district="福山区", changes={cell: "<img src=x onerror=alert(1)>"}
        ),
    ]
    dashboard = write_html(run(paths, yantai), tmp_path / "html")
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    requests, dialogs = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(dashboard.as_uri())
    assert page.locator("#matrix tbody tr").count() == 2
    page.fill("input[data-filter-for='matrix']", "福山")
    assert page.locator("#matrix tbody tr:visible").count() == 1
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    page.click("#matrix tbody tr:visible a")
    page.wait_for_load_state()
    assert page.locator("#findings").is_visible()
    assert page.locator("#findings tbody tr").count() >= 1
    assert page.get_by_text(cell).first.is_visible()
    page.screenshot(path=str(tmp_path / "submission.png"), full_page=True)

    external = [url for url in requests if not url.startswith("file://")]
    assert external == [] and dialogs == []
    assert (tmp_path / "submission.png").stat().st_size > 10_000
    keep = os.environ.get("SCREENSHOT_DIR")
    if keep:
        for name in ("dashboard.png", "submission.png"):
            shutil.copy(tmp_path / name, Path(keep) / name)


FITS = """(element) => {
    const style = getComputedStyle(element);
    const context = document.createElement("canvas").getContext("2d");
    context.font = `${style.fontSize} ${style.fontFamily}`;
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = element.clientWidth - padding;
    return context.measureText(element.placeholder).width <= room;
}"""
WHOLE = """(span) => {
    const cell = span.parentElement.getBoundingClientRect();
    const text = span.getBoundingClientRect();
    return text.top >= cell.top - 1 && text.bottom <= cell.bottom + 1
        && text.left >= cell.left - 1 && text.right <= cell.right + 1;
}"""


def test_headers_wrap_and_placeholders_fit(tmp_path, yantai, chromium):
    """Long indicator names in the matrix's vertical headers wrap inside their cell, never cut
    (5千至1.2万人口规模的完整社区托育服务设施达标率); the filter boxes show their whole hint."""
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    paths = [district_file(tmp_path, yantai, changes={cell: 0.62})]
    dashboard = write_html(run(paths, yantai), tmp_path / "html")
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(dashboard.as_uri())
    headers = page.locator("#matrix th.indicator span")
    assert headers.count() == sum(1 for i in yantai.catalog.indicators if i.required)
    names = headers.all_text_contents()
    assert "5千至1.2万人口规模的完整社区托育服务设施达标率" in names
    for position in range(headers.count()):
        assert headers.nth(position).evaluate(WHOLE), names[position]
    for box in page.locator("input[type=search]").all():
        assert box.evaluate(FITS), box.get_attribute("placeholder")
    page.click("#matrix tbody tr a")
    page.wait_for_load_state()
    for box in page.locator("input[type=search]").all():
        assert box.evaluate(FITS), box.get_attribute("placeholder")
    page.close()


@pytest.fixture
def live_server(tmp_path, monkeypatch):
    from reports.service import create_app
    from reports.service.store import Store

    monkeypatch.setenv("VALIDATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VALIDATE_SECRET_KEY", "browser-test")
    store = Store(f"sqlite:///{tmp_path / 'e2e.db'}", files=tmp_path / "data" / "files")
    app = create_app(store)
    store.add_account("zhifu", "district", "yantai", "芝罘区", "browser password")
    with serving(app) as url:
        yield url


def test_sign_in_upload_see_the_bad_cell_and_download(tmp_path, yantai, chromium, live_server):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    upload = district_file(tmp_path, yantai, changes={cell: 125}, name="芝罘区-2023.xlsx")
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    outside = []
    page.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None
    )
    blocked = []  # the pages' script runs under the service's Content-Security-Policy header
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(live_server + "/")
    page.fill("#name", "zhifu")
    page.fill("#password", "browser password")
    page.click("#login")
    page.set_input_files("#file", str(upload))
    page.click("#upload")
    page.wait_for_selector("#findings")
    assert "有错误" in page.locator("#status").inner_text()
    assert page.get_by_text(f"指标填报!{cell}").first.is_visible()
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#downloads a[href$='annotated.xlsx']")
    saved = tmp_path / "annotated.xlsx"
    download_info.value.save_as(saved)
    import openpyxl

    assert "125" in openpyxl.load_workbook(saved)["指标填报"][cell].comment.text
    page.goto(live_server + "/")
    assert page.locator("#history tbody tr").count() == 1
    assert outside == [] and blocked == []
    context.close()


def test_the_upload_page_refuses_a_file_over_the_limit_before_sending_it(
    tmp_path, chromium, live_server
):
    big = tmp_path / "太大的填报表.xlsx"
    big.write_bytes(b"PK" + b"x" * (21 * 1024 * 1024))  # 21 MB against the 20 MB limit
    page = chromium.new_page()
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    page.goto(live_server + "/")
    page.fill("#name", "zhifu")
    page.fill("#password", "browser password")
    page.click("#login")
    page.wait_for_selector("#upload-form")
    posted.clear()
    page.set_input_files("#file", str(big))
    page.click("#upload")
    refused = page.locator("#upload-refused")
    refused.wait_for(state="visible")
    assert "超过 20 MB 的上限" in refused.inner_text() and "太大的填报表" in refused.inner_text()
    assert posted == []  # nothing was sent
    page.close()


def _sign_in(context, url: str, name: str, password: str):
    page = context.new_page()
    page.goto(url + "/")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_selector("#template")  # a district's upload form, a reviewer's templates
    return page


def _upload(page, path) -> str:
    page.set_input_files("#file", str(path))
    page.click("#upload")
    page.wait_for_load_state()
    return page.url


def test_the_review_loop_in_the_browser(tmp_path, yantai, chromium, live_server, monkeypatch):
    """A district explains two warnings and submits; the reviewer accepts one, rejects the
    other and returns it; the district uploads a corrected file and submits; the reviewer
    approves; the next upload is refused; the reviewer reopens; the upload is taken."""
    from reports.service.store import Store

    store = Store(f"sqlite:///{tmp_path / 'e2e.db'}", files=tmp_path / "data" / "files")
    store.add_account("city", "reviewer", "yantai", None, "browser password")

    def values(**changes):
        cells = {cell_of(yantai.catalog, 2023, code, 2023): v for code, v in changes.items()}
        return cells

    first = district_file(tmp_path, yantai, changes=values(institution_beds=3000, public_beds=1000),
                          name="芝罘区-2023.xlsx")  # fmt: skip
    corrected = district_file(tmp_path, yantai, changes=values(institution_beds=3000),
                              name="芝罘区-2023-改.xlsx")  # fmt: skip
    seen = []  # what the district and the reviewer see at each step

    def state(page) -> str:
        text = page.locator("#review-state").inner_text()
        seen.append(text)
        return text

    district = _sign_in(chromium.new_context(), live_server, "zhifu", "browser password")
    _upload(district, first)
    assert "已上传" in state(district)
    assert district.locator("#open-items").inner_text().count("警告没有说明") == 1
    district.click("#submit-report")
    assert "还不能报送" in district.locator("#error").inner_text()
    seen.append(district.locator("#error").inner_text())
    district.click("#back")
    for position, text in enumerate(("床位整合，统计口径调整", "公办养老院改制")):
        form = district.locator("form.explain").nth(position)
        form.locator("textarea").fill(text)
        form.locator("button").click()
        district.wait_for_load_state()
    district.click("#submit-report")
    assert "已报送·待审核" in state(district)
    submission_url = district.url.split("#")[0]

    reviewer = _sign_in(chromium.new_context(), live_server, "city", "browser password")
    assert "芝罘区" in reviewer.locator("#queue").inner_text()
    reviewer.click("#queue a")
    verdicts = reviewer.locator("form.verdict")
    verdicts.nth(0).locator("button[value=accepted]").click()
    reviewer.wait_for_load_state()
    second = reviewer.locator("form.verdict").nth(1)
    second.locator("input[name=reason]").fill("公办床位不应减少，请核实")
    second.locator("button[value=rejected]").click()
    reviewer.wait_for_load_state()
    rejected = reviewer.locator("form.verdict").nth(1).locator("input[name=finding]")
    reviewer.locator(f"#finding-{rejected.input_value()} input[form=return-form]").fill(
        "与民政台账不符"
    )
    reviewer.fill("#return-comment", "请核实公办床位数")
    reviewer.click("#return")
    assert "已退回" in state(reviewer)

    district.goto(live_server + "/")
    assert "请核实公办床位数" in district.locator("#periods").inner_text()
    district.goto(submission_url)
    assert "请核实公办床位数" in district.locator("#review-comments").inner_text()
    assert "与民政台账不符" in district.locator("#findings").inner_text()
    district.goto(live_server + "/")
    _upload(district, corrected)
    assert "已上传" in state(district)
    assert "已认可" in district.locator("#findings").inner_text()  # offered again
    district.click("#submit-report")
    assert "已报送·待审核" in state(district)
    corrected_url = district.url.split("#")[0]

    reviewer.goto(corrected_url)
    reviewer.click("#approve")
    assert "已通过" in state(reviewer)

    district.goto(live_server + "/")
    _upload(district, corrected)
    refused = district.locator("#error").inner_text()
    seen.append(refused)
    assert "审核通过并锁定" in refused and "city" in refused

    reviewer.goto(corrected_url)
    reviewer.click("#reopen")
    assert "已报送·待审核" in state(reviewer)
    district.goto(live_server + "/")
    _upload(district, corrected)
    assert "已上传" in state(district)
    reviewer.goto(corrected_url)
    events = reviewer.locator("#events tbody tr").count()
    assert events >= 12
    keep = os.environ.get("SCREENSHOT_DIR")
    if keep:
        Path(keep, "review-steps.txt").write_text("\n".join(seen), encoding="utf-8")
    print("\n".join(seen))
