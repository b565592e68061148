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
