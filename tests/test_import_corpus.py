"""The hostile-input corpus: every bad upload is refused under one named rule, and refusing it changes nothing.

Each case of `CASES` (id, target, upload name, bytes or a factory, options, expected rule and position) goes
through the CLI (``beibei-geo import``, in-process) and through the Data page (AppTest, one signed-in session):

* exit code 1 / the page's "未导入" error and no "确认导入" button;
* a problem line ``file: where: rule: message`` naming the upload (or, for a cross-file problem, the data file
  that breaks) and the feature/row/cell;
* every file of the data folder but ``history/`` byte-identical, exactly one new ``"rejected"`` audit line for the
  case's target and no blob stored for it;
* no traceback on stdout/stderr, no exception on the page.

Every file is built in code (nothing binary is committed). Positive controls import clean files through the
same harness, so the corpus cannot pass vacuously. DESIGN.md §5 lists the rules these cases exercise.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from beibei_geo.auth import PASSWORD_HASH_ENV, hash_password
from beibei_geo.cli import main
from beibei_geo.i18n import t
from beibei_geo.importer import ImportOptions, record_rejection, stage_import
from tests.conftest import DATA, PROJECT
from tests.test_xlsx import book, rewrite, to_bytes

Payload = bytes | Callable[[], bytes]
SIXTY_MB = 60 * 2**20


@dataclass(frozen=True)
class Case:
    """One hostile upload and the refusal it must get."""

    id: str
    target: str
    name: str  # the upload's file name
    data: Payload | int  # bytes, a factory of bytes, or the size of a sparse file of zeros (CLI only)
    rule: str
    where: str = "-"  # the position the problem line names (a prefix: "feature 1", "row 2", "sheet 'S' cell C2")
    file: str = ""  # the file the problem line names; default: the upload's name
    mode: str = "replace"
    crs: str = "wgs84"
    sheet: str | None = None
    message: str = ""  # a piece the message must contain
    unwanted: str = ""  # a piece the message must not contain
    cli: bool = True  # False: the CLI takes a real path, so a path-like upload name cannot reach it
    page: str = ""  # why the page cannot upload it ("" = it can)

    @property
    def shown_file(self) -> str:
        return self.file or self.name

    def payload(self) -> bytes:
        assert not isinstance(self.data, int), "a sparse file is written, never held in memory"
        return self.data() if callable(self.data) else self.data


# ---------------------------------------------------------------------------------------------- builders
HEADER = next(csv.reader(io.StringIO((DATA / "tables/indicators.csv").read_text(encoding="utf-8"))))
POINT = {"type": "Point", "coordinates": [106.44, 29.82]}
SQUARE = [[[106.40, 29.80], [106.42, 29.80], [106.42, 29.82], [106.40, 29.82], [106.40, 29.80]]]
BOW_TIE = [[[106.40, 29.80], [106.42, 29.82], [106.42, 29.80], [106.40, 29.82], [106.40, 29.80]]]
UNCLOSED = [[[106.40, 29.80], [106.42, 29.80], [106.42, 29.82], [106.40, 29.82], [106.40, 29.81]]]
FORMULA = "=cmd|' /C calc'!A0"
SCRIPT, IMG = "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"
POINT_COLUMNS = ["id", "name", "goal", "category", "township", "status", "description", "source",
                 "location_precision", "est_error_m", "经度", "纬度"]
POINT_ROW = ["park-corpus-csv", "语料测试点", "park_city", "city_park", "朝阳街道", "operating", "测试点",
             "测试语料", "approximate", "500", "106.44", "29.82"]
#: An old .xls (OLE2 compound file) starts with this signature.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(24) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>")


def park(geometry: dict[str, Any] | None = POINT, drop: str = "", **changes: Any) -> dict[str, Any]:
    """A clean new park feature (id park-corpus-1) with ``changes`` to its properties, less ``drop``."""
    props = {"id": "park-corpus-1", "name": "语料测试公园", "goal": "park_city", "goals_extra": [],
             "category": "city_park", "township": "朝阳街道", "status": "operating", "description": "测试",
             "source": "测试语料", "location_precision": "approximate", "est_error_m": 500, **changes}
    props.pop(drop, None)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def polygon(rings: list) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": rings}


def geojson(*features: dict[str, Any], **members: Any) -> bytes:
    """A FeatureCollection of ``features`` (plus top-level ``members``, e.g. ``crs``) as UTF-8 bytes."""
    return json.dumps({"type": "FeatureCollection", **members, "features": list(features)},
                      ensure_ascii=False).encode("utf-8")


def shipped(rel: str) -> dict[str, Any]:
    return json.loads((DATA / rel).read_text(encoding="utf-8"))


def without(rel: str, key: str, value: str) -> Callable[[], bytes]:
    """The shipped layer ``rel`` less the features whose property ``key`` is ``value``."""
    def build() -> bytes:
        document = shipped(rel)
        kept = [f for f in document["features"] if f["properties"].get(key) != value]
        assert len(kept) < len(document["features"]), f"no feature of {rel} has {key} = {value!r}"
        return json.dumps({**document, "features": kept}, ensure_ascii=False).encode("utf-8")
    return build


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def indicator(**changes: str) -> list[str]:
    """A clean new indicators row (id corpus_indicator) in the shipped column order."""
    row = {"indicator_id": "corpus_indicator", "goal": "governance", "name_zh": "语料测试指标",
           "name_en": "Corpus test indicator", "value": "12", "value_text": "12", "qualifier": "exact", "unit": "个",
           "unit_en": "items", "year": "2020", "area": "北碚区", "headline": "false", "quote": "测试引文", **changes}
    return [row.get(column, "") for column in HEADER]


def indicators_csv(*rows: list[str], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    return csv_bytes([header, *rows], encoding)


def xlsx_bytes(*sheets: tuple[str, list[list[Any]]], merge: str = "") -> bytes:
    """A workbook with the given (title, rows) sheets; ``merge`` merges a range of the first sheet."""
    workbook = book(*sheets)
    if merge:
        workbook.worksheets[0].merge_cells(merge)
    return to_bytes(workbook)


def replaced(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with the first ``old`` (which must be there) replaced by ``new``."""
    assert old in data, f"{old!r} not found"
    return data.replace(old, new, 1)


def zip_bomb() -> bytes:
    """A valid indicators workbook plus a 16 MB member of zeros packed ~1000:1 (written in 1 MB chunks)."""
    buffer = io.BytesIO(xlsx_bytes(("Sheet1", [HEADER, indicator()])))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open("xl/media/zeros.bin", "w") as member:
        chunk = bytes(2**20)
        for _ in range(16):
            member.write(chunk)
    return buffer.getvalue()


def billion_laughs() -> bytes:
    clean = xlsx_bytes(("Sheet1", [HEADER, indicator()]))
    return rewrite(clean, "xl/worksheets/sheet1.xml",
                       lambda xml: LAUGHS + replaced(xml, b"<t>indicator_id</t>", b"<t>&lol9;</t>"))


def formula_workbook() -> bytes:
    """An indicators workbook whose name_zh cell (C2) holds a formula with no cached value (never opened in Excel)."""
    row: list[Any] = indicator()
    row[HEADER.index("name_zh")] = FORMULA
    return xlsx_bytes(("Sheet1", [HEADER, row]))


def scenes_toml(old: str, new: str) -> Callable[[], bytes]:
    return lambda: replaced((DATA / "scenes.toml").read_bytes(), old.encode(), new.encode())


def goals_less(goal_id: str) -> bytes:
    lines = (DATA / "tables/goals.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(goal_id + ",")]
    assert len(kept) == len(lines) - 1
    return "".join(kept).encode("utf-8")


def gbk_garbled() -> bytes:
    """GBK text with a code unassigned in GBK (0xA2AB): GB18030 decodes it to a private-use character, not text."""
    return replaced(indicators_csv(indicator(name_zh="测试"), encoding="gbk"), "测试".encode("gbk"), b"\xa2\xab")


def gbk_broken() -> bytes:
    """GBK text with a lead byte that no trail byte follows: neither UTF-8 nor GB18030."""
    return indicators_csv(indicator(name_zh="测试"), encoding="gbk").replace(b"\n", b"\x81\n", 2)


# ---------------------------------------------------------------------------------------------- the corpus
F1 = "feature 1 (id park-corpus-1)"
INDICATOR_ROW = "row 2 (corpus_indicator)"
TYPE_FILTER = "the uploader's type= filter refuses this extension before the library sees it"
SHEET_CHOICE = "the page asks which sheet to read (nothing is checked or logged until one is chosen)"

CASES = [
    # --- what the upload is, before it is read
    Case("empty-file", "parks", "empty.geojson", b"", "empty-file"),
    Case("wrong-extension-txt", "indicators", "indicators.txt", indicators_csv(indicator()), "file-format",
         message=".txt cannot be imported into indicators", page=TYPE_FILTER),
    Case("wrong-extension-shp", "parks", "parks.shp", b"\x00\x00\x27\x0a" + bytes(96), "file-format",
         message=".shp cannot be imported into parks", page=TYPE_FILTER),
    # The page cannot take this one: the server's upload cap (server.maxUploadSize = 20 MB) refuses it first.
    Case("file-60mb", "parks", "huge.geojson", SIXTY_MB, "file-too-large", page="over the server's 20 MB upload cap"),
    Case("path-name-slash", "parks", "../../x.geojson", geojson(park()), "file-name", cli=False),
    Case("path-name-backslash", "indicators", "..\\..\\x.csv", indicators_csv(indicator()), "file-name", cli=False),
    Case("scenes-append", "scenes", "scenes.toml", (DATA / "scenes.toml").read_bytes(), "bad-option", mode="append"),
    # --- strict JSON
    Case("json-nested-100000", "parks", "deep.geojson", b"[" * 100000 + b"]" * 100000, "json-too-deep"),
    Case("json-nan", "parks", "nan.geojson", replaced(geojson(park()), b"500", b"NaN"), "json-constant"),
    Case("json-infinity", "parks", "inf.geojson", replaced(geojson(park()), b"29.82", b"Infinity"), "json-constant"),
    Case("json-trailing-comma", "parks", "comma.geojson", geojson(park())[:-2] + b",]}", "json-syntax",
         where="line 1 column"),
    Case("json-duplicate-key", "parks", "dupkey.geojson", replaced(geojson(park()), b'"goal":', b'"id": "x", "goal":'),
         "json-duplicate-key", message="'id'"),
    Case("json-bare-feature", "parks", "feature.geojson", json.dumps(park()).encode(), "not-feature-collection"),
    Case("json-empty-collection", "parks", "empty-fc.geojson", geojson(), "empty-collection"),
    Case("json-not-utf8", "parks", "gbk.geojson", geojson(park()).decode().encode("gb18030"), "encoding"),
    # --- geometry
    Case("swapped-lat-lon", "parks", "swapped.geojson",
         geojson(park({"type": "Point", "coordinates": [29.82, 106.44]})),
         "coordinates-out-of-area", where=F1, mode="append", message="lat/lon look swapped"),
    Case("projected-metres", "parks", "metres.geojson",
         geojson(park({"type": "Point", "coordinates": [11849000.5, 3481000.25]})), "coordinates-out-of-area",
         where=F1, mode="append", message="projected metres"),
    Case("crs-not-wgs84", "parks", "crs.geojson",
         geojson(park(), crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}), "crs",
         mode="append"),
    Case("mixed-geometry", "parks", "mixed.geojson", geojson(park(), park(polygon(SQUARE), id="park-corpus-2")),
         "mixed-geometry", mode="append", message="Point ×1, Polygon ×1"),
    Case("bow-tie-boundary", "boundary", "boundary.geojson",
         geojson({"type": "Feature", "properties": {"name": "北碚区"}, "geometry": polygon(BOW_TIE)}),
         "geometry-invalid", where="feature 1", message="Self-intersection"),
    Case("ring-not-closed", "parks", "ring.geojson", geojson(park(polygon(UNCLOSED))), "ring-not-closed", where=F1,
         mode="append"),
    Case("null-geometry-located", "parks", "null.geojson", geojson(park(None)), "null-geometry", where=F1,
         mode="append"),
    # --- properties of features
    Case("duplicate-feature-ids", "parks", "dup-ids.geojson", geojson(park(), park(name="另一个公园")), "duplicate-id",
         where="feature 2 (id park-corpus-1)", mode="append"),
    Case("unknown-goal", "parks", "goal.geojson", geojson(park(goal="park")), "unknown-goal", where=F1, mode="append"),
    Case("unknown-township", "parks", "town.geojson", geojson(park(township="北温泉")), "unknown-township", where=F1,
         mode="append", message="did you mean '北温泉街道'?"),
    Case("unknown-status", "parks", "status.geojson", geojson(park(status="open")), "unknown-status", where=F1,
         mode="append"),
    Case("unknown-category", "parks", "category.geojson", geojson(park(category="garden")), "unknown-category",
         where=F1, mode="append"),
    Case("missing-property", "parks", "missing.geojson", geojson(park(drop="source")), "missing-property", where=F1,
         mode="append", message="'source'"),
    Case("script-in-feature-name", "parks", "script.geojson", geojson(park(name=SCRIPT)), "markup", where=F1,
         mode="append"),
    Case("img-in-feature-name", "parks", "img.geojson", geojson(park(name=IMG)), "markup", where=F1, mode="append"),
    # --- CSV text
    Case("csv-points-no-lonlat", "parks", "points.csv",
         csv_bytes([POINT_COLUMNS[:-2], POINT_ROW[:-2]]), "missing-column", where="row 1"),
    Case("csv-points-bad-lon", "parks", "points.csv",
         csv_bytes([POINT_COLUMNS, [*POINT_ROW[:-2], "东经106度", "29.82"]]), "bad-number", where="row 2",
         mode="append"),
    Case("csv-duplicate-header", "indicators", "dup-header.csv",
         indicators_csv(indicator(), header=[*HEADER[:-1], "goal"]), "duplicate-column", where="row 1"),
    Case("csv-row-longer", "indicators", "long-row.csv", indicators_csv(indicator(), [*indicator(), "extra"]),
         "row-length", where="row 3", mode="append"),
    Case("csv-header-only", "indicators", "header-only.csv", indicators_csv(), "empty-table"),
    Case("csv-gbk-garbled", "indicators", "garbled.csv", gbk_garbled, "encoding", message="GB18030"),
    Case("csv-gbk-broken", "indicators", "broken.csv", gbk_broken, "encoding"),
    Case("csv-utf16", "indicators", "utf16.csv", indicators_csv(indicator(), encoding="utf-16"), "encoding",
         message="UTF-16"),
    Case("csv-binary-junk", "indicators", "junk.csv", random.Random(7).randbytes(4096), "encoding"),
    Case("csv-total-row", "indicators", "total.csv", indicators_csv(indicator(), indicator(indicator_id="合计")),
         "total-row", where="row 3", mode="append"),
    # --- table rules
    Case("formula-in-csv", "indicators", "formula.csv", indicators_csv(indicator(name_zh=FORMULA)), "formula-text",
         where=INDICATOR_ROW, mode="append"),
    Case("script-in-indicator-name", "indicators", "script.csv", indicators_csv(indicator(name_zh=SCRIPT)), "markup",
         where=INDICATOR_ROW, mode="append"),
    Case("img-in-indicator-name", "indicators", "img.csv", indicators_csv(indicator(name_zh=IMG)), "markup",
         where=INDICATOR_ROW, mode="append"),
    Case("indicator-value-12abc", "indicators", "value.csv", indicators_csv(indicator(value="12abc")), "bad-number",
         where=INDICATOR_ROW, mode="append", message="'12abc'"),
    Case("append-columns-differ", "indicators", "columns.csv", indicators_csv(indicator()[:5], header=HEADER[:5]),
         "columns-differ", where="row 1", mode="append"),
    Case("append-duplicate-indicator-id", "indicators", "dup-indicator.csv",
         indicators_csv(indicator(indicator_id="party_volunteer_vanguard_teams")), "duplicate-id",
         where="row 2 (party_volunteer_vanguard_teams)", mode="append"),
    Case("append-duplicate-feature-id", "parks", "dup-park.geojson", geojson(park(id="park-binjiang-2")),
         "duplicate-id", where="feature 1 (id park-binjiang-2)", mode="append", message="existing feature 1"),
    Case("goals-missing-one", "goals", "goals.csv", goals_less("green"), "goal-set", message="missing: green"),
    # --- Excel
    Case("csv-renamed-xlsx", "indicators", "indicators.xlsx", indicators_csv(indicator()), "not-xlsx",
         message="rename the file to .csv"),
    Case("xls-renamed-xlsx", "indicators", "old.xlsx", OLE2 + bytes(4096), "not-xlsx", message=".xls"),
    Case("xlsx-zip-bomb", "indicators", "bomb.xlsx", zip_bomb, "xlsx-too-large", message="xl/media/zeros.bin"),
    Case("xlsx-billion-laughs", "indicators", "laughs.xlsx", billion_laughs, "xlsx-unsafe"),
    Case("xlsx-several-sheets", "indicators", "sheets.xlsx",
         lambda: xlsx_bytes(("指标", [HEADER, indicator()]), ("说明", [["备注"], ["x"]])), "several-sheets",
         mode="append", page=SHEET_CHOICE),
    Case("xlsx-merged-cells", "indicators", "merged.xlsx",
         lambda: xlsx_bytes(("Sheet1", [HEADER, indicator()]), merge="A2:B2"), "merged-cells",
         where="sheet 'Sheet1'", mode="append", message="A2:B2"),
    Case("xlsx-formula-no-value", "indicators", "formula.xlsx", formula_workbook, "formula-no-value",
         where="sheet 'Sheet1' cell C2", mode="append", message=FORMULA),
    Case("xlsx-total-row", "indicators", "total.xlsx",
         lambda: xlsx_bytes(("Sheet1", [HEADER, indicator(), ["合计", "", "", "", "99"]])), "total-row",
         where="sheet 'Sheet1' row 3", mode="append"),
    # --- scenes
    Case("scenes-invalid-toml", "scenes", "scenes.toml", scenes_toml('id = "opening"', 'id = "opening'), "toml-syntax"),
    Case("scenes-unknown-feature", "scenes", "review.toml", scenes_toml('"park-daihu"]', '"park-nowhere"]'),
         "unknown-feature", where="scene 6 (park_city)", message="park-nowhere"),
    # --- cross-file: the upload is clean, but another file's references break
    Case("replace-breaks-scene", "parks", "parks.geojson", without("geo/parks.geojson", "id", "park-daihu"),
         "unknown-feature", where="scene 6 (park_city)", file="scenes.toml", message="park-daihu"),
    Case("townships-drop-used", "townships", "townships.geojson", without("geo/townships.geojson", "name", "朝阳街道"),
         "unknown-township", where="feature 1 (id park-binjiang-2)", file="geo/parks.geojson",
         message="'朝阳街道'", unwanted="did you mean '东阳街道'"),
]
assert len({case.id for case in CASES}) == len(CASES) >= 45


# ---------------------------------------------------------------------------------------------- harness
class PageCrash(AssertionError):
    """The Data page raised an exception (shown to the user in place of the report)."""


def params(cases: list[Case], page: bool = False) -> list[Any]:
    """The cases as pytest params; on the page, the one the server's upload cap refuses first is skipped."""
    found = []
    for case in cases:
        skip = page and case.page and case.page not in (TYPE_FILTER, SHEET_CHOICE)
        marks = [pytest.mark.skip(reason=f"page: {case.page}")] if skip else []
        found.append(pytest.param(case, id=case.id, marks=marks))
    return found


def snapshot(folder: Path, history: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but those under ``history``: relative path → bytes."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.is_relative_to(history)}


def audit(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "history" / "audit.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.is_file() else []


def blobs(data_dir: Path) -> set[str]:
    folder = data_dir / "history" / "blobs"
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


@dataclass
class State:
    """What an import may change: the data files, the audit log, the stored versions."""

    files: dict[str, bytes]
    audit: list[dict[str, Any]]
    blobs: set[str]

    @classmethod
    def of(cls, data_dir: Path, root: Path | None = None) -> State:
        root = root or data_dir
        return cls(snapshot(root, data_dir / "history"), audit(data_dir), blobs(data_dir))


def assert_refused_and_unchanged(case: Case, data_dir: Path, before: State, root: Path | None = None) -> None:
    """Check 3: the folder byte-identical, one new "rejected" audit line for the case's target, no blob stored."""
    after = State.of(data_dir, root)
    changed = sorted(k for k in {*before.files, *after.files} if before.files.get(k) != after.files.get(k))
    assert not changed, f"files changed by a rejected import: {changed}"
    assert after.audit[:len(before.audit)] == before.audit, "the audit log was rewritten"
    new = after.audit[len(before.audit):]
    assert len(new) == 1, f"expected one new audit line, got {new}"
    assert (new[0]["event"], new[0]["target"]) == ("rejected", case.target), new[0]
    assert after.blobs == before.blobs, "a rejection stored a blob"


def check_message(case: Case, message: str) -> None:
    assert case.message in message, f"{case.id}: message {message!r} lacks {case.message!r}"
    assert not case.unwanted or case.unwanted not in message, f"{case.id}: message {message!r} has {case.unwanted!r}"


def write_upload(case: Case, folder: Path) -> Path:
    """The case as a file on disk; the 60 MB one is sparse (truncate), never held in memory."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case.name
    if isinstance(case.data, int):
        with open(path, "wb") as handle:
            handle.truncate(case.data)
    else:
        path.write_bytes(case.payload())
    return path


def run_cli(capsys: pytest.CaptureFixture[str], target: str, path: Path, data_dir: Path, mode: str = "replace",
            crs: str = "wgs84", sheet: str | None = None) -> tuple[int, str, str]:
    argv = ["import", target, str(path), "--data-dir", str(data_dir), "--mode", mode, "--crs", crs,
            "--who", "corpus"] + (["--sheet", sheet] if sheet else [])
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped data folder."""
    return Path(shutil.copytree(DATA, tmp_path / "data"))


# ---------------------------------------------------------------------------------------------- the CLI
@pytest.mark.parametrize("case", params([case for case in CASES if case.cli]))
def test_cli_refuses(case: Case, data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 1, the rule on a line naming the file and position, nothing changed but one audit line, no traceback."""
    upload = write_upload(case, tmp_path / "uploads")
    before = State.of(data_copy)
    code, out, err = run_cli(capsys, case.target, upload, data_copy, case.mode, case.crs, case.sheet)
    assert "Traceback" not in out + err
    assert code == 1, out + err
    lines = [line for line in out.splitlines() if f": {case.rule}: " in line]
    matching = [line for line in lines if line.startswith(f"{case.shown_file}: {case.where}")]
    assert matching, f"no '{case.shown_file}: {case.where}…: {case.rule}: ' line in:\n{out}"
    assert out.splitlines()[-1].startswith(f"rejected {upload.name}: ") and "nothing changed" in out
    assert_refused_and_unchanged(case, data_copy, before)
    check_message(case, matching[0])


@pytest.mark.parametrize("case", params([case for case in CASES if not case.cli]))
def test_library_refuses_path_like_names(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI takes a real path (it keeps only the file name), so a path-like upload name is checked here."""
    root = tmp_path / "outer" / "inner"
    data_dir = Path(shutil.copytree(DATA, root / "data"))
    (root / "cwd").mkdir()
    monkeypatch.chdir(root / "cwd")  # a relative write of ../../x would land inside tmp_path
    before = State.of(data_dir, tmp_path)
    staged = stage_import(data_dir, case.target, case.name, case.payload(),
                          ImportOptions(case.mode, case.sheet, case.crs))
    assert not staged.ok and [p.rule for p in staged.blocking] == [case.rule]
    assert str(staged.blocking[0]).startswith(f"{case.name}: -: {case.rule}: ")
    record_rejection(data_dir, staged, "corpus")
    assert_refused_and_unchanged(case, data_dir, before, tmp_path)
    check_message(case, str(staged.blocking[0]))


# ---------------------------------------------------------------------------------------------- the page
PASSWORD = "secret-pass-1"
REJECTED = re.compile(re.escape(t("import_rejected", "zh", n=0)).replace("0", r"\d+"))


@dataclass
class Page:
    """One signed-in Data page, shared by the page cases (starting it costs seconds; each upload ~50 ms)."""

    app: AppTest
    root: Path
    data_dir: Path


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    root = tmp_path_factory.mktemp("page")
    data_dir = Path(shutil.copytree(DATA, root / "outer" / "inner" / "data"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BEIBEI_DATA_DIR", str(data_dir))
        patch.setenv(PASSWORD_HASH_ENV, hash_password(PASSWORD))
        app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
        app.switch_page("views/data.py")
        app.run()
        fields = {widget.label: widget for widget in app.text_input}
        fields[t("login_name", "zh")].set_value("语料测试员")
        fields[t("login_password", "zh")].set_value(PASSWORD)
        next(b for b in app.button if b.label == t("login_submit", "zh")).click()
        app.run()
        assert not app.exception
        assert any(b.label == t("logout", "zh") for b in app.button), "sign-in failed"
        yield Page(app, root, data_dir)


def page_upload(app: AppTest, target: str, name: str, data: bytes, mode: str = "replace",
                crs: str = "wgs84") -> None:
    """Choose the target (a new, empty uploader), then set the options and upload in one run: staged once."""
    if app.selectbox(key="import_target").value != target:
        app.selectbox(key="import_target").set_value(target)
        app.run()
    if app.exception:  # from choosing the target now, or in the case before
        raise PageCrash(f"with {target} chosen the page shows an exception: {[e.value for e in app.exception]}")
    app.radio(key="import_mode").set_value(mode)
    app.radio(key="import_crs").set_value(crs)
    uploader(app).set_value((name, data, "application/octet-stream"))
    app.run()


def uploader(app: AppTest) -> Any:
    """The import uploader (its key is upload_<target>_<round>)."""
    return next(widget for widget in app.file_uploader if str(widget.key).startswith("upload_"))


def report_rows(app: AppTest) -> list[dict[str, str]]:
    """The rows of every problem table on the page (file, where, rule, message)."""
    columns = {t(f"col_{c}", "zh"): c for c in ("file", "where", "rule", "message")}
    return [{columns[k]: str(v) for k, v in row.items() if k in columns}
            for frame in app.dataframe if t("col_rule", "zh") in frame.value.columns
            for row in frame.value.to_dict("records")]


@pytest.mark.parametrize("case", params(CASES, page=True))
def test_page_refuses(case: Case, page: Page) -> None:
    """No exception, the rule in the report table, the rejection shown, no confirm button, nothing changed."""
    app = page.app
    if case.page == TYPE_FILTER:  # the library refuses the extension too (CLI case); the page never gets the file
        app.selectbox(key="import_target").set_value(case.target)
        app.run()
        if app.exception:
            raise PageCrash(f"{case.id}: the page shows an exception: {[e.value for e in app.exception]}")
        assert Path(case.name).suffix not in uploader(app).allowed_type
        return
    before = State.of(page.data_dir, page.root)
    page_upload(app, case.target, case.name, case.payload(), case.mode, case.crs)
    if app.exception:
        raise PageCrash(f"{case.id}: the page shows an exception: {[e.value for e in app.exception]}")
    if case.page == SHEET_CHOICE:  # the page asks for the sheet first: nothing staged, nothing logged …
        sheet = next(box for box in app.selectbox if box.label == t("import_sheet", "zh"))
        assert sheet.options == ["指标", "说明"] and not report_rows(app)
        assert t("import_confirm", "zh") not in [button.label for button in app.button]
        assert State.of(page.data_dir, page.root) == before
        sheet.set_value("说明").run()  # … then the wrong sheet is refused like any bad table
        assert not app.exception
        assert [row["rule"] for row in report_rows(app)] == ["columns-differ"]  # an append needs the same columns
        assert_refused_and_unchanged(case, page.data_dir, before, page.root)
        return
    rows = report_rows(app)
    matching = [row for row in rows if row["rule"] == case.rule and row["file"] == case.shown_file
                and row["where"].startswith(case.where)]
    assert matching, f"no ({case.shown_file}, {case.where}…, {case.rule}) row in {rows}"
    assert any(REJECTED.fullmatch(error.value) for error in app.error), [e.value for e in app.error]
    assert t("import_confirm", "zh") not in [button.label for button in app.button]
    assert_refused_and_unchanged(case, page.data_dir, before, page.root)
    if case.rule == "file-name":  # nothing written outside the data folder (root) nor relative to the cwd
        assert not Path(case.name.replace("\\", "/")).exists()
    check_message(case, matching[0]["message"])


# ---------------------------------------------------------------------------------------------- positive controls
@dataclass(frozen=True)
class Control:
    """A clean upload the same harness must import (append), so the corpus cannot pass vacuously."""

    id: str
    target: str
    file: str  # the data file it changes
    name: str
    data: Callable[[], bytes]
    key: str  # the id of the added feature or row


CONTROLS = [
    Control("clean-geojson", "parks", "geo/parks.geojson", "new-park.geojson", lambda: geojson(park()),
            "park-corpus-1"),
    Control("clean-points-csv", "parks", "geo/parks.geojson", "new-points.csv",
            lambda: csv_bytes([POINT_COLUMNS, POINT_ROW]), "park-corpus-csv"),
    Control("clean-indicators-xlsx", "indicators", "tables/indicators.csv", "new-indicators.xlsx",
            lambda: xlsx_bytes(("Sheet1", [HEADER, indicator()])), "corpus_indicator"),
]


def assert_imported(control: Control, data_dir: Path, before: State) -> None:
    """Only the target's file changed, by exactly the one added feature/row; a version and its blob recorded."""
    after = State.of(data_dir)
    changed = sorted(k for k in {*before.files, *after.files} if before.files.get(k) != after.files.get(k))
    assert changed == [control.file]
    old, new = before.files[control.file].decode("utf-8"), after.files[control.file].decode("utf-8")
    if control.file.endswith(".geojson"):
        old_features, new_features = json.loads(old)["features"], json.loads(new)["features"]
        assert new_features[:-1] == old_features
        added = new_features[-1]
        assert added["properties"]["id"] == control.key and added["properties"]["township"] == "朝阳街道"
        assert added["properties"]["est_error_m"] == 500
        assert added["geometry"] == POINT
    else:
        old_rows, new_rows = list(csv.reader(io.StringIO(old))), list(csv.reader(io.StringIO(new)))
        assert new_rows[:-1] == old_rows and new_rows[-1] == indicator()
    events = [(line["event"], line["target"]) for line in after.audit[len(before.audit):]]
    assert ("import", control.target) in events and "rejected" not in {event for event, _ in events}
    assert len(after.blobs) > len(before.blobs)


@pytest.mark.parametrize("control", CONTROLS, ids=[c.id for c in CONTROLS])
def test_cli_imports_clean_files(control: Control, data_copy: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    upload = tmp_path / "uploads" / control.name
    upload.parent.mkdir()
    upload.write_bytes(control.data())
    before = State.of(data_copy)
    code, out, err = run_cli(capsys, control.target, upload, data_copy, "append")
    assert (code, err) == (0, ""), out + err
    assert f"added: {control.key} " in out and f"imported {control.file} as version " in out
    assert_imported(control, data_copy, before)


def test_page_imports_a_clean_file(page: Page) -> None:
    """Runs after the page cases (same session): the report is clean, the confirm button imports it."""
    control = CONTROLS[0]
    before = State.of(page.data_dir)
    page_upload(page.app, control.target, control.name, control.data(), "append")
    app = page.app
    assert not app.exception and not app.error, [e.value for e in app.error]
    confirm = [button for button in app.button if button.label == t("import_confirm", "zh")]
    assert len(confirm) == 1
    assert State.of(page.data_dir) == before, "staging wrote something"
    confirm[0].click()
    app.run()
    assert not app.exception
    assert_imported(control, page.data_dir, before)
