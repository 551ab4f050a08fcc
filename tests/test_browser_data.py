"""The Data page (数据管理) in headless Debian Chromium: read-only view, sign-in, import, rejection, restore.

Every server runs on its own copy of data/ (in a temporary folder) with an editor password hash in
BEIBEI_EDITOR_PASSWORD_HASH. Tests that do not write data files share one server; the import, the restore and
the broken-file test each get their own. Every request leaving loopback is aborted and must not happen.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, expect

from beibei_geo.auth import PASSWORD_HASH_ENV, hash_password
from beibei_geo.catalog import data_version, load_catalog
from beibei_geo.cli import main as cli
from beibei_geo.history import HISTORY_DIR, read_audit
from beibei_geo.validate import validate_data_dir
from tests.conftest import DATA
from tests.test_browser import (
    XSS,
    count_line,
    guarded_page,
    map_frame,
    no_exception,
    screenshot,
    streamlit_server,
    wait_for_count_line,
)

PASSWORD = "correct horse battery staple"
PASSWORD_HASH = hash_password(PASSWORD)
EDITOR = "测试编辑"
PARKS = "geo/parks.geojson"
PARKS_LABEL = "公园与生态 · geo/parks.geojson"
NEW_PARK = "测试新公园"
HOSTILE_NAME = "<img src=x onerror=window.__xss=1>"
READONLY_NOTE = "只读模式：编辑人员登录后才能导入或恢复数据。"
LOGIN_FAILED = "密码错误或姓名为空。"
LAST_GOOD = "磁盘上的数据未通过校验"
UPLOADER = "[data-testid='stFileUploader']"
WAIT = 60_000


# ------------------------------------------------------------------------------------------- data
def copy_data(root: Path) -> Path:
    """A fresh copy of the shipped data/ (without any history) under ``root``."""
    data = root / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns(HISTORY_DIR))
    return data


def mapped_counts(data: Path) -> tuple[int, int]:
    """(mapped parks, mapped thematic features) read straight from the files of ``data``."""
    catalog = load_catalog(data)
    per_layer = {spec.id: sum(f["geometry"] is not None
                              for f in json.loads(catalog.path(spec.file).read_text(encoding="utf-8"))["features"])
                 for spec in catalog.thematic_layers}
    return per_layer["parks"], sum(per_layer.values())


def snapshot(data: Path) -> dict[str, bytes]:
    """Every file of the data folder except history/, by relative path."""
    return {str(path.relative_to(data)): path.read_bytes() for path in sorted(data.rglob("*"))
            if path.is_file() and path.relative_to(data).parts[0] != HISTORY_DIR}


def park_template() -> dict:
    """The properties of a mapped shipped park (to copy into a new one)."""
    parks = json.loads((DATA / PARKS).read_text(encoding="utf-8"))["features"]
    return dict(next(f for f in parks if f["geometry"] is not None and f["properties"].get("township"))["properties"])


def new_park_csv() -> bytes:
    """A CSV with one point: a new park inside Beibei, every other property copied from a shipped park."""
    properties = {**park_template(), "id": "park-test-new", "name": NEW_PARK, "name_en": "Test New Park"}
    properties["goals_extra"] = "|".join(properties.get("goals_extra") or [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*properties, "经度", "纬度"])
    writer.writerow([*properties.values(), "106.43", "29.83"])
    return buffer.getvalue().encode("utf-8")


def hostile_geojson() -> bytes:
    """A one-feature GeoJSON whose name is an HTML injection."""
    properties = {**park_template(), "id": "park-hostile", "name": HOSTILE_NAME}
    feature = {"type": "Feature", "id": "park-hostile", "properties": properties,
               "geometry": {"type": "Point", "coordinates": [106.43, 29.83]}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False).encode("utf-8")


def cli_import_new_park(data: Path, tmp: Path) -> None:
    """`beibei-geo import parks new_park.csv --mode append`: version 1 (baseline) and version 2 (the import)."""
    upload = tmp / "new_park.csv"
    upload.write_bytes(new_park_csv())
    assert cli(["import", "parks", str(upload), "--mode", "append", "--who", "cli-setup",
                "--data-dir", str(data)]) == 0


# ------------------------------------------------------------------------------------------- servers
@contextmanager
def editor_server(data: Path, log: Path) -> Iterator[str]:
    """`streamlit_server` with the editor password hash in its environment (and only in its environment)."""
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(PASSWORD_HASH_ENV, PASSWORD_HASH)
            url = stack.enter_context(streamlit_server(data, log))
        yield url


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """One server for the tests that write no data file: a copy with two versions (baseline + a CLI import)."""
    root = tmp_path_factory.mktemp("shared")
    data = copy_data(root)
    cli_import_new_park(data, root)
    with editor_server(data, root / "server.log") as url:
        yield url, data


@pytest.fixture
def own(tmp_path) -> Iterator[tuple[str, Path]]:
    """A server of this test's own on a pristine copy of the data."""
    data = copy_data(tmp_path)
    with editor_server(data, tmp_path / "server.log") as url:
        yield url, data


# ------------------------------------------------------------------------------------------- page helpers
def run_finished(page: Page) -> None:
    """The script run has ended (call after waiting for something the run itself draws)."""
    expect(page.locator("[data-testid='stApp']")).to_have_attribute("data-test-script-state", "notRunning",
                                                                    timeout=WAIT)


def settled(page: Page) -> None:
    """The run has ended and every lazily drawn element has replaced its loading skeleton (for screenshots)."""
    run_finished(page)
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0, timeout=WAIT)


def open_data_page(page: Page, url: str) -> None:
    page.goto(f"{url}/data")
    expect(page.get_by_text(re.compile(r"^当前数据（版本 [0-9a-f]{12}）："))).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="版本历史")).to_be_visible(timeout=WAIT)
    run_finished(page)


def submit_login(page: Page, name: str, password: str) -> None:
    """Open the sign-in expander and submit the form."""
    page.locator("[data-testid='stExpander'] summary").filter(has_text="编辑人员登录").click()
    page.get_by_label("姓名（记入审计日志）").fill(name)
    page.get_by_label("编辑密码").fill(password)
    page.get_by_role("button", name="登录").click()


def sign_in(page: Page) -> None:
    submit_login(page, EDITOR, PASSWORD)
    expect(page.get_by_role("heading", name="导入数据")).to_be_visible(timeout=WAIT)
    expect(page.locator("[data-testid='stSidebar']")).to_contain_text(f"编辑人员：{EDITOR} (password)")
    run_finished(page)


def choose_target(page: Page, label: str) -> None:
    box = page.get_by_role("combobox", name="导入到")
    box.click()
    page.get_by_role("option", name=label).click()
    expect(box).to_have_value(label)
    run_finished(page)


def choose_radio(page: Page, group: str, option: str) -> None:
    page.get_by_role("radiogroup", name=group).get_by_text(option, exact=True).click()
    expect(page.get_by_role("radio", name=option)).to_be_checked()
    run_finished(page)


def upload(page: Page, name: str, content: bytes, mime: str) -> None:
    page.locator(f"{UPLOADER} input[type=file]").set_input_files({"name": name, "mimeType": mime, "buffer": content})


def grid(page: Page, column: str) -> Locator:
    """The (single) st.dataframe with a header ``column``, once its grid has drawn.

    The grid paints on a canvas; the cells are read from the accessible table it keeps inside the canvas
    (plain CSS selectors: role queries skip canvas fallback content).
    """
    frame = page.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("th", has_text=re.compile(f"^{re.escape(column)}$")))
    expect(frame).to_have_count(1, timeout=WAIT)
    expect(frame.locator("tbody td").first).to_be_attached(timeout=WAIT)
    return frame


def grid_rows(frame: Locator) -> list[dict[str, str]]:
    """The rows of an st.dataframe (those drawn: enough for the few rows of these tables)."""
    headers = frame.locator("thead th").all_inner_texts()
    return [dict(zip(headers, row.locator("td").all_inner_texts(), strict=True))
            for row in frame.locator("tbody tr").all()]


def created_elements(page: Page) -> list[str]:
    return [selector for selector in ("img[src=x]", "[onerror]") if page.query_selector(selector) is not None]


# --------------------------------------------------------------------------------------------- tests
def test_read_only_without_sign_in(browser, shared):
    url, data = shared
    status = f"当前数据（版本 {data_version(data)}）：{validate_data_dir(data).summary()}"
    with guarded_page(browser) as (page, outside):
        open_data_page(page, url)
        expect(page.get_by_text(status, exact=True)).to_be_visible()
        expect(page.get_by_text(READONLY_NOTE, exact=True)).to_be_visible()
        history = page.locator("[data-testid='stMainBlockContainer']")
        expect(history).to_contain_text("baseline: the file before the first import")  # versions are listed …
        expect(history).to_contain_text("import: geo/parks.geojson: 1 added")
        expect(page.get_by_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))).to_have_count(2)  # their times
        expect(page.get_by_role("button", name="恢复")).to_have_count(0)  # … but cannot be restored
        expect(page.locator(UPLOADER)).to_have_count(0)
        expect(page.get_by_role("heading", name="导入数据")).to_have_count(0)
        expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
        expect(page.get_by_text(re.compile(r"^审计日志（2 条）$"))).to_be_visible()
        no_exception(page)
        settled(page)
        screenshot(page, "data-readonly.png")
    assert outside == []


def test_editor_imports_a_new_park_end_to_end(browser, own):
    url, data = own
    parks, total = mapped_counts(data)
    with guarded_page(browser) as (page, outside):
        open_data_page(page, url)
        sign_in(page)
        choose_target(page, PARKS_LABEL)
        choose_radio(page, "方式", "追加")
        choose_radio(page, "坐标系", "WGS-84（GPS、天地图）")
        upload(page, "new_park.csv", new_park_csv(), "text/csv")

        expect(page.get_by_role("heading", name="校验报告")).to_be_visible(timeout=WAIT)
        expect(page.get_by_text(f"校验通过：{PARKS}: 1 added, 0 removed, 0 changed", exact=True)).to_be_visible()
        report = grid_rows(grid(page, "规则"))
        assert report and all(row["级别"] == "提示" for row in report), report  # only notes, nothing blocking
        assert list(report[0]) == ["文件", "位置", "规则", "说明", "级别"]
        expect(page.get_by_role("heading", name="变更（与当前数据相比）")).to_be_visible()
        changes = grid_rows(grid(page, "编号"))
        assert changes == [{"变更": "新增", "编号": "park-test-new", "说明": NEW_PARK, "改动字段": ""}], changes
        expect(page.get_by_role("heading", name="预览（导入后的图层）")).to_be_visible()
        settled(page)
        page.get_by_role("heading", name="校验报告").scroll_into_view_if_needed()
        screenshot(page, "data-import-report.png")
        element, frame = map_frame(page, thematic=parks + 1)  # the preview holds the parks layer after import
        element.scroll_into_view_if_needed()
        box = element.bounding_box()
        assert box and box["width"] >= 300 and box["height"] >= 200, box
        assert frame.evaluate("typeof L === 'object' && !!document.querySelector('.leaflet-container')")
        no_exception(page)
        settled(page)
        screenshot(page, "data-import-preview.png")
        assert snapshot(data) == snapshot(DATA), "staging wrote to the data folder"

        page.get_by_role("button", name="确认导入").click()
        done = page.get_by_text(f"已导入 {PARKS}，版本 2。各页面已使用新数据。", exact=True)
        expect(done).to_be_visible(timeout=WAIT)
        run_finished(page)
        expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
        expect(page.locator("[data-testid='stMainBlockContainer']")).to_contain_text("import: geo/parks.geojson")
        no_exception(page)
        settled(page)
        screenshot(page, "data-import-done.png")

        on_disk = json.loads((data / PARKS).read_text(encoding="utf-8"))["features"]
        assert [f["properties"]["name"] for f in on_disk].count(NEW_PARK) == 1
        assert mapped_counts(data) == (parks + 1, total + 1)

        # The same server, no restart: the overview has the new park.
        page.goto(f"{url}/?layers=parks")
        wait_for_count_line(page, count_line(parks + 1, total + 1))
        map_frame(page, thematic=parks + 1)
        page.goto(f"{url}/?q={quote(NEW_PARK)}")
        wait_for_count_line(page, count_line(1, total + 1))
        map_frame(page, thematic=1)
        no_exception(page)
    assert outside == []


def test_hostile_upload_is_refused_and_changes_nothing(browser, shared):
    url, data = shared
    before = snapshot(data)
    audit_before = len(read_audit(data)[0])
    with guarded_page(browser) as (page, outside):
        open_data_page(page, url)
        sign_in(page)
        choose_target(page, PARKS_LABEL)
        upload(page, "hostile.geojson", hostile_geojson(), "application/geo+json")
        expect(page.get_by_text("未导入：1 个问题需要修改。数据未作任何更改。", exact=True)).to_be_visible(timeout=WAIT)
        run_finished(page)
        report = grid_rows(grid(page, "规则"))
        expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
        expect(page.get_by_text("校验通过", exact=False)).to_have_count(0)
        expect(page.get_by_role("heading", name="预览（导入后的图层）")).to_have_count(0)
        settled(page)
        screenshot(page, "data-hostile-rejected.png")
        xss = page.evaluate(XSS), created_elements(page)
        no_exception(page)
    rows = [(row["文件"], row["规则"], row["级别"]) for row in report]
    assert rows == [("hostile.geojson", "markup", "警告（导入时拒绝）")]
    assert "feature 1" in report[0]["位置"] and "name contains markup" in report[0]["说明"], report
    assert xss == (None, [])
    assert snapshot(data) == before
    audit = read_audit(data)[0]
    assert len(audit) == audit_before + 1 and audit[-1].event == "rejected" and audit[-1].source == "hostile.geojson"
    assert audit[-1].who == f"{EDITOR} (password)"
    assert outside == []


def test_restore_brings_back_the_baseline(browser, tmp_path):
    data = copy_data(tmp_path)
    original = (data / PARKS).read_bytes()
    parks, total = mapped_counts(data)
    cli_import_new_park(data, tmp_path)
    assert (data / PARKS).read_bytes() != original
    with editor_server(data, tmp_path / "server.log") as url, guarded_page(browser) as (page, outside):
        page.goto(f"{url}/?layers=parks")
        wait_for_count_line(page, count_line(parks + 1, total + 1))

        open_data_page(page, url)
        sign_in(page)
        expect(page.locator(".st-key-restore_2 button")).to_be_disabled()  # the current version
        restore = page.locator(".st-key-restore_1 button")
        expect(restore).to_have_text("恢复")
        expect(restore).to_be_enabled()
        restore.click()
        expect(page.get_by_text("已恢复版本 1（新版本 3）。", exact=True)).to_be_visible(timeout=WAIT)
        run_finished(page)
        expect(page.locator(".st-key-restore_3 button")).to_be_disabled()  # the restore is now current
        expect(page.locator(".st-key-restore_1 button")).to_be_disabled()  # same bytes as version 3
        no_exception(page)
        assert (data / PARKS).read_bytes() == original

        page.goto(f"{url}/?layers=parks")
        wait_for_count_line(page, count_line(parks, total))
        map_frame(page, thematic=parks)
        no_exception(page)
    audit = read_audit(data)[0]
    assert (audit[-1].event, audit[-1].restored_from, audit[-1].version) == ("restore", 1, 3)
    assert outside == []


def test_broken_file_on_disk_keeps_serving_the_last_good_data(browser, own):
    url, data = own
    parks_file = data / PARKS
    good = parks_file.read_bytes()
    _, total = mapped_counts(data)
    with guarded_page(browser) as (page, outside):
        page.goto(url)
        wait_for_count_line(page, count_line(total, total))
        map_frame(page, thematic=total)
        run_finished(page)
        expect(page.get_by_text(LAST_GOOD, exact=False)).to_have_count(0)

        parks_file.write_bytes(good[: len(good) // 2])  # a bad hand edit: cut-off JSON
        page.reload()
        warning = page.locator("[data-testid='stAlertContentWarning']").filter(has_text=LAST_GOOD)
        expect(warning).to_be_visible(timeout=WAIT)
        expect(warning).to_contain_text(f"仍显示上一版有效数据（版本 {data_version(DATA)}）")
        wait_for_count_line(page, count_line(total, total))
        map_frame(page, thematic=total)
        run_finished(page)
        no_exception(page)
        expect(page.locator("[data-testid='stAlertContentError']")).to_have_count(0)
        settled(page)
        screenshot(page, "overview-last-good.png", full_page=False)

        parks_file.write_bytes(good)
        page.reload()
        wait_for_count_line(page, count_line(total, total))
        map_frame(page, thematic=total)
        run_finished(page)
        expect(page.get_by_text(LAST_GOOD, exact=False)).to_have_count(0)
        no_exception(page)
    assert outside == []


def test_wrong_password_three_times(browser, shared):
    url, _ = shared
    attempts = [(EDITOR, "wrong password"), ("", PASSWORD), (EDITOR, PASSWORD.upper())]
    with guarded_page(browser) as (page, outside):
        for name, password in attempts:
            open_data_page(page, url)  # a fresh run each time, so each error is this attempt's own
            expect(page.get_by_text(LOGIN_FAILED, exact=True)).to_have_count(0)
            submit_login(page, name, password)
            expect(page.get_by_text(LOGIN_FAILED, exact=True)).to_be_visible(timeout=WAIT)
            run_finished(page)
            expect(page.locator(UPLOADER)).to_have_count(0)
            expect(page.get_by_role("heading", name="导入数据")).to_have_count(0)
            expect(page.get_by_role("button", name="恢复")).to_have_count(0)
            expect(page.get_by_text(READONLY_NOTE, exact=True)).to_be_visible()
            no_exception(page)
        settled(page)
        screenshot(page, "data-login-failed.png", full_page=False)
        # Three failures stay under the server-wide throttle (5): the right password still works.
        open_data_page(page, url)
        sign_in(page)
        expect(page.locator(UPLOADER)).to_have_count(1)
        expect(page.get_by_role("button", name="恢复")).to_have_count(2)
    assert outside == []
