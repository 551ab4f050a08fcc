"""Bad-input corpus: each case breaks ONE file of a copy of ``data/`` and expects one exact rule from ``validate``.

Every case checks the rule id, the file and feature/row it names (``file: where: rule: message``), exit code 1
and that no traceback reaches the user. DESIGN.md §5 lists the reading rules these cases exercise.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from beibei_geo.cli import main
from beibei_geo.dataset import load_dataset

SHIPPED_DATA = Path(__file__).resolve().parent.parent / "data"
PARKS, RED = "geo/parks.geojson", "geo/red_sites.geojson"
ROUTES, TOWNS = "geo/tourism_routes.geojson", "geo/townships.geojson"
INDICATORS, GOALS, CATALOG = "tables/indicators.csv", "tables/goals.csv", "catalog.toml"
#: Where-prefixes of shipped features and rows the cases break (feature numbers and rows are 1-based).
P1, P2, P3 = "feature 1 (id park-binjiang-2)", "feature 2 (id park-xin-beiwenquan)", "feature 3 (id park-dengta)"
I2, I3 = "row 2 (party_volunteer_vanguard_teams)", "row 3 (residential_compound_governance_measures)"
#: Small shapes inside the district box.
BOW_TIE = [[[106.40, 29.80], [106.42, 29.82], [106.42, 29.80], [106.40, 29.82], [106.40, 29.80]]]
UNCLOSED = [[[106.40, 29.80], [106.42, 29.80], [106.42, 29.82], [106.40, 29.82]]]
THREE_POSITIONS = [[[106.40, 29.80], [106.42, 29.80], [106.40, 29.80]]]
TRIANGLE = [[[106.40, 29.80], [106.42, 29.80], [106.42, 29.82], [106.40, 29.80]]]

Mutation = Callable[[Path], None]


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped data folder that a case may break."""
    return Path(shutil.copytree(SHIPPED_DATA, tmp_path / "data"))


# ------------------------------------------------------------------------------------- mutation builders
def raw(rel: str, content: bytes | Callable[[bytes], bytes]) -> Mutation:
    """Replace the bytes of ``rel`` (or transform them)."""
    def mutate(data_dir: Path) -> None:
        path = data_dir / rel
        path.write_bytes(content(path.read_bytes()) if callable(content) else content)
    return mutate


def text(rel: str, change: Callable[[str], str]) -> Mutation:
    """Transform the UTF-8 text of ``rel``."""
    def mutate(data_dir: Path) -> None:
        path = data_dir / rel
        before = path.read_text(encoding="utf-8")
        after = change(before)
        assert after != before, "the mutation changed nothing"
        path.write_text(after, encoding="utf-8")
    return mutate


def replace_once(rel: str, old: str, new: str) -> Mutation:
    """Replace the first ``old`` in ``rel`` by ``new`` (``old`` must be there)."""
    def change(content: str) -> str:
        assert old in content, f"{old!r} is not in {rel}"
        return content.replace(old, new, 1)
    return text(rel, change)


def geojson(rel: str, change: Callable[[Any], Any], *, replace: bool = False) -> Mutation:
    """Load ``rel`` as JSON, change it in place (or, with ``replace``, write what ``change`` returns), dump it."""
    def mutate(data_dir: Path) -> None:
        path = data_dir / rel
        document = json.loads(path.read_text(encoding="utf-8"))
        result = change(document)
        path.write_text(json.dumps(result if replace else document, ensure_ascii=False), encoding="utf-8")
    return mutate


def feature(rel: str, number: int, **changes: Any) -> Mutation:
    """Set top-level members of feature ``number`` (1-based); ``geometry=...`` replaces the geometry."""
    def change(document: dict[str, Any]) -> None:
        document["features"][number - 1].update(changes)
    return geojson(rel, change)


def props(rel: str, number: int, **changes: Any) -> Mutation:
    """Set properties of feature ``number`` (1-based)."""
    def change(document: dict[str, Any]) -> None:
        document["features"][number - 1]["properties"].update(changes)
    return geojson(rel, change)


def drop_prop(rel: str, number: int, name: str) -> Mutation:
    """Delete property ``name`` of feature ``number`` (1-based)."""
    def change(document: dict[str, Any]) -> None:
        del document["features"][number - 1]["properties"][name]
    return geojson(rel, change)


def point(lon: Any, lat: Any) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def polygon(rings: list) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": rings}


def table(rel: str, change: Callable[[list[list[str]]], None]) -> Mutation:
    """Read ``rel`` as CSV rows (header = rows[0], file row n = rows[n - 1]), change them, write UTF-8 back."""
    def mutate(data_dir: Path) -> None:
        path = data_dir / rel
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        change(rows)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    return mutate


def cell(rel: str, row: int, column: str, value: str) -> Mutation:
    """Set ``column`` of file row ``row`` (the header is row 1)."""
    def change(rows: list[list[str]]) -> None:
        rows[row - 1][rows[0].index(column)] = value
    return table(rel, change)


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def latin1_parks(data_dir: Path) -> None:
    """Rewrite parks.geojson in latin-1 with one accented name (the rest is ASCII-escaped)."""
    path = data_dir / PARKS
    document = json.loads(path.read_text(encoding="utf-8"))
    document["features"][0]["properties"]["name"] = "Café"
    path.write_bytes(json.dumps(document).replace("\\u00e9", "é").encode("latin-1"))


def trailing_comma(content: str) -> str:
    body = content.rstrip()
    assert body.endswith("}")
    return body[:-1].rstrip() + ",\n}\n"


def _drop_column(name: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        index = rows[0].index(name)
        for row in rows:
            del row[index]
    return change


def _rename_header(old: str, new: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[0][rows[0].index(old)] = new
    return change


def _copy_id(rows: list[list[str]]) -> None:
    rows[2][0] = rows[1][0]


def _longer_row(rows: list[list[str]]) -> None:
    rows[2].append("extra")


def _header_only(rows: list[list[str]]) -> None:
    del rows[1:]


def _drop_goal(goal_id: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[:] = [row for row in rows if row[0] != goal_id]
    return change


def _set_layer_file(layer_id: str, new: str) -> Mutation:
    return replace_once(CATALOG, f'file = "geo/{layer_id}.geojson"', f'file = "{new}"')


# ------------------------------------------------------------------------------------------------ corpus
# (mutate, expected file, expected rule, expected where-prefix, expected message fragment or "")
CASES = [
    # --- strict JSON
    pytest.param(text(PARKS, lambda s: s[: len(s) // 2]), PARKS, "json-syntax", "line ", "", id="truncated-json"),
    pytest.param(text(PARKS, trailing_comma), PARKS, "json-syntax", "line ", "", id="trailing-comma"),
    pytest.param(replace_once(PARKS, "106.441,", "NaN,"), PARKS, "json-constant", "-", "NaN", id="nan"),
    pytest.param(replace_once(PARKS, "106.441,", "-Infinity,"), PARKS, "json-constant", "-", "Infinity",
                 id="infinity"),
    pytest.param(replace_once(PARKS, "106.441,", "1e400,"), PARKS, "coordinates-structure", P1, "not a finite number",
                 id="1e400-overflows-to-inf"),
    pytest.param(replace_once(PARKS, "106.441,", "1" + "0" * 400 + ","), PARKS, "coordinates-structure", P1,
                 "not a finite number", id="int-too-large-for-float"),
    pytest.param(replace_once(PARKS, '"est_error_m": 1000', '"est_error_m": 1' + "0" * 400), PARKS, "est-error",
                 P1, "", id="est-error-int-too-large"),
    pytest.param(replace_once(PARKS, '"goal": "park_city",', '"goal": "park_city", "goal": "rural",'), PARKS,
                 "json-duplicate-key", "-", "'goal'", id="duplicate-json-key"),
    pytest.param(raw(PARKS, lambda b: b.decode("utf-8").encode("utf-16")), PARKS, "encoding", "-", "UTF-8",
                 id="utf16-geojson"),
    pytest.param(latin1_parks, PARKS, "encoding", "-", "UTF-8", id="latin1-geojson"),
    # --- GeoJSON structure
    pytest.param(geojson(PARKS, lambda d: d["features"], replace=True), PARKS, "not-feature-collection", "-",
                 "'list'", id="top-level-list"),
    pytest.param(geojson(PARKS, lambda d: d["features"][0], replace=True), PARKS, "not-feature-collection", "-",
                 "'Feature'", id="top-level-single-feature"),
    pytest.param(geojson(PARKS, lambda d: d.update(features=[])), PARKS, "empty-collection", "-", "",
                 id="empty-feature-collection"),
    pytest.param(geojson(PARKS, lambda d: d.update(features={})), PARKS, "not-feature-collection", "-", "list",
                 id="features-not-a-list"),
    pytest.param(geojson(PARKS, lambda d: d["features"][0].pop("geometry")), PARKS, "feature-structure",
                 "feature 1", "geometry", id="feature-without-geometry-key"),
    pytest.param(geojson(PARKS, lambda d: d.update(crs={"type": "name", "properties": {"name": "EPSG:3857"}})),
                 PARKS, "crs", "-", "EPSG:3857", id="crs-epsg-3857"),
    pytest.param(geojson(PARKS, lambda d: d.update(crs={"type": "name", "properties": "EPSG:3857"})),
                 PARKS, "crs", "-", "", id="crs-properties-not-an-object"),
    # --- location and geometry
    pytest.param(feature(PARKS, 1, geometry=None), PARKS, "null-geometry", P1, "approximate",
                 id="null-geometry-known-precision"),
    pytest.param(feature(PARKS, 2, geometry=point(106.43, 29.83)), PARKS, "unknown-location-plotted", P2, "",
                 id="geometry-with-unknown-precision"),
    pytest.param(feature(PARKS, 1, geometry=polygon(BOW_TIE)), PARKS, "geometry-invalid", P1, "Self-intersection",
                 id="bow-tie-polygon"),
    pytest.param(feature(PARKS, 1, geometry=polygon(UNCLOSED)), PARKS, "ring-not-closed", P1, "",
                 id="unclosed-ring"),
    pytest.param(feature(PARKS, 1, geometry=polygon(THREE_POSITIONS)), PARKS, "ring-too-short", P1, "got 3",
                 id="ring-with-3-positions"),
    pytest.param(feature(PARKS, 1, geometry=point(29.8265, 106.441)), PARKS, "coordinates-out-of-area", P1,
                 "swapped", id="swapped-lat-lon"),
    pytest.param(feature(PARKS, 1, geometry=point(11850000, 3480000)), PARKS, "coordinates-out-of-area", P1,
                 "projected", id="projected-metres"),
    pytest.param(feature(PARKS, 1, geometry=point(116.40, 39.90)), PARKS, "coordinates-out-of-area", P1,
                 "outside_district", id="beijing-without-outside-district"),
    pytest.param(feature(PARKS, 3, geometry=polygon(TRIANGLE)), PARKS, "mixed-geometry", "-", "Polygon",
                 id="points-and-polygons-in-one-layer"),
    pytest.param(feature(RED, 1, geometry={"type": "LineString", "coordinates": [[106.40, 29.80], [106.42, 29.82]]}),
                 RED, "geometry-type", "feature 1 (id red-southwest-bureau)", "LineString",
                 id="linestring-in-point-layer"),
    pytest.param(feature(PARKS, 1, geometry={"type": "GeometryCollection", "geometries": [point(106.43, 29.83)]}),
                 PARKS, "geometry-type", P1, "GeometryCollection", id="geometry-collection"),
    pytest.param(feature(PARKS, 1, geometry={"type": ["Point"], "coordinates": [106.43, 29.83]}), PARKS,
                 "geometry-type", P1, "", id="geometry-type-not-text"),
    pytest.param(feature(PARKS, 1, geometry=point("106.441", 29.8265)), PARKS, "coordinates-structure", P1, "",
                 id="string-coordinate"),
    pytest.param(feature(ROUTES, 1, geometry={"type": "MultiLineString", "coordinates": [[[106.40, 29.80]]]}),
                 ROUTES, "coordinates-structure", "feature 1 (id route-red-memory-rural)", "2 positions",
                 id="line-with-one-position"),
    # --- properties
    pytest.param(props(PARKS, 3, id="park-binjiang-2"), PARKS, "duplicate-id", "feature 3 (id park-binjiang-2)",
                 "feature 1", id="duplicate-feature-id"),
    pytest.param(props(PARKS, 1, goal="wealth"), PARKS, "unknown-goal", P1, "'wealth'", id="unknown-goal"),
    pytest.param(props(PARKS, 1, goal=["park_city"]), PARKS, "unknown-goal", P1, "", id="goal-is-a-list"),
    pytest.param(props(PARKS, 1, goals_extra=["rural", "wealth"]), PARKS, "unknown-goal", P1, "goals_extra 'wealth'",
                 id="unknown-goals-extra"),
    pytest.param(props(PARKS, 1, category="zoo"), PARKS, "unknown-category", P1, "'zoo'", id="unknown-category"),
    pytest.param(props(PARKS, 1, category=["city_park"]), PARKS, "unknown-category", P1, "",
                 id="category-is-a-list"),
    pytest.param(props(PARKS, 1, status="closed"), PARKS, "unknown-status", P1, "'closed'", id="unknown-status"),
    pytest.param(props(PARKS, 1, status={"zh": "运行"}), PARKS, "unknown-status", P1, "", id="status-is-an-object"),
    pytest.param(props(PARKS, 1, township="海淀区"), PARKS, "unknown-township", P1, "海淀区", id="unknown-township"),
    pytest.param(props(PARKS, 1, location_precision="gps"), PARKS, "unknown-precision", P1, "'gps'",
                 id="unknown-location-precision"),
    pytest.param(props(PARKS, 1, est_error_m=-5), PARKS, "est-error", P1, "≥ 0", id="negative-est-error"),
    pytest.param(props(PARKS, 2, est_error_m=100), PARKS, "est-error", P2, "null", id="est-error-with-unknown"),
    pytest.param(drop_prop(PARKS, 1, "source"), PARKS, "missing-property", P1, "'source'", id="missing-source"),
    pytest.param(props(PARKS, 1, name=" "), PARKS, "missing-value", P1, "name", id="empty-name"),
    # --- indicators.csv
    pytest.param(cell(INDICATORS, 2, "value", "约1.2万"), INDICATORS, "bad-number", I2, "约1.2万",
                 id="value-with-prefix"),
    pytest.param(cell(INDICATORS, 2, "value", "1.2.3"), INDICATORS, "bad-number", I2, "1.2.3", id="value-1.2.3"),
    pytest.param(table(INDICATORS, _drop_column("unit")), INDICATORS, "missing-column", "row 1", "unit",
                 id="missing-column"),
    pytest.param(table(INDICATORS, _rename_header("unit_en", "unit")), INDICATORS, "duplicate-column", "row 1",
                 "'unit'", id="duplicate-header"),
    pytest.param(table(INDICATORS, _longer_row), INDICATORS, "row-length", "row 3", "", id="row-longer-than-header"),
    pytest.param(table(INDICATORS, _header_only), INDICATORS, "empty-table", "-", "no rows", id="header-only"),
    pytest.param(raw(INDICATORS, b""), INDICATORS, "empty-table", "-", "", id="empty-csv"),
    pytest.param(raw(INDICATORS, bytes(range(128, 256)) * 4), INDICATORS, "encoding", "-", "GB18030",
                 id="binary-junk-csv"),
    pytest.param(raw(INDICATORS, xlsx_bytes()), INDICATORS, "encoding", "-", "binary", id="xlsx-renamed-csv"),
    pytest.param(table(INDICATORS, _copy_id), INDICATORS, "duplicate-id", "row 3 (party_volunteer_vanguard_teams)",
                 "", id="duplicate-indicator-id"),
    pytest.param(cell(INDICATORS, 2, "indicator_id", "Bad-ID"), INDICATORS, "bad-id", "row 2 (Bad-ID)", "",
                 id="indicator-id-not-snake-case"),
    pytest.param(cell(INDICATORS, 2, "goal", "wealth"), INDICATORS, "unknown-goal", I2, "'wealth'",
                 id="indicator-unknown-goal"),
    pytest.param(cell(INDICATORS, 3, "counts_layer", "playgrounds"), INDICATORS, "unknown-layer", I3, "playgrounds",
                 id="counts-layer-does-not-exist"),
    pytest.param(cell(INDICATORS, 2, "year", "二〇二〇"), INDICATORS, "bad-year", I2, "二〇二〇", id="year-in-hanzi"),
    pytest.param(cell(INDICATORS, 2, "year", "20200"), INDICATORS, "bad-year", I2, "20200", id="year-20200"),
    pytest.param(cell(INDICATORS, 2, "qualifier", "about"), INDICATORS, "bad-value", I2, "qualifier",
                 id="bad-qualifier"),
    # --- goals.csv
    pytest.param(table(GOALS, _drop_goal("green")), GOALS, "goal-set", "-", "missing: green", id="goal-missing"),
    pytest.param(cell(GOALS, 2, "color", "red"), GOALS, "bad-color", "row 2 (business)", "'red'", id="bad-colour"),
    # --- catalog.toml
    pytest.param(replace_once(CATALOG, "[tables]", "[tables"), CATALOG, "toml-syntax", "-", "", id="toml-syntax"),
    pytest.param(_set_layer_file("parks", "../../etc/passwd"), CATALOG, "catalog-path", "layers.parks", "passwd",
                 id="catalog-path-escapes"),
    pytest.param(_set_layer_file("parks", "geo/playgrounds.geojson"), "geo/playgrounds.geojson", "file-missing",
                 "-", "", id="catalog-file-missing"),
]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["validate", *args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def problem_lines(out: str, file: str, rule: str, where: str) -> list[str]:
    """The report lines ``file: where...: rule: message`` (``where`` is a prefix of the where part)."""
    return [line for line in out.splitlines() if line.startswith(f"{file}: {where}") and f": {rule}: " in line]


@pytest.mark.parametrize(("mutate", "file", "rule", "where", "message"), CASES)
def test_bad_input_is_reported(data_copy: Path, capsys: pytest.CaptureFixture[str], mutate: Mutation, file: str,
                               rule: str, where: str, message: str) -> None:
    mutate(data_copy)
    rc, out, err = run_cli(capsys, str(data_copy))
    assert "Traceback" not in out + err
    assert "unexpected-error" not in out
    lines = problem_lines(out, file, rule, where)
    assert lines, f"expected '{file}: {where}...: {rule}: ...' in:\n{out}"
    assert any(message in line for line in lines), f"expected {message!r} in one of {lines}"
    assert rc == 1


def test_corpus_is_large_enough() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 30


SUBPROCESS_CASES = [case for case in CASES if case.id in ("trailing-comma", "bow-tie-polygon", "xlsx-renamed-csv")]


@pytest.mark.parametrize(("mutate", "file", "rule", "where", "message"), SUBPROCESS_CASES)
def test_console_command_exits_1(data_copy: Path, mutate: Mutation, file: str, rule: str, where: str,
                                 message: str) -> None:
    mutate(data_copy)
    result = subprocess.run([sys.executable, "-m", "beibei_geo.cli", "validate", str(data_copy)],
                            capture_output=True, text=True, encoding="utf-8", timeout=60, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert problem_lines(result.stdout, file, rule, where), result.stdout


def test_json_format_lists_the_problem(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_once(PARKS, "106.441,", "NaN,")(data_copy)
    rc, out, err = run_cli(capsys, str(data_copy), "--format", "json")
    report = json.loads(out)
    assert rc == 1
    assert report["ok"] is False
    assert {"file": PARKS, "where": "-", "rule": "json-constant"}.items() <= report["problems"][0].items()
    assert "Traceback" not in out + err


def test_deeply_nested_json(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data_copy / PARKS).write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    rc, out, err = run_cli(capsys, str(data_copy))
    assert rc == 1
    assert problem_lines(out, PARKS, "json-too-deep", "-")
    assert "Traceback" not in out + err


def test_broken_township_file_is_not_blamed_on_every_feature(data_copy: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    text(TOWNS, lambda s: s[:500])(data_copy)
    rc, out, _err = run_cli(capsys, str(data_copy))
    assert rc == 1
    assert problem_lines(out, TOWNS, "json-syntax", "line ")
    assert "unknown-township" not in out


def test_missing_data_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, str(tmp_path / "no-such-folder"))
    assert rc == 2
    assert "does not exist" in err
    assert "Traceback" not in out + err


def test_shipped_data_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, str(SHIPPED_DATA))
    assert rc == 0, out
    assert out.startswith("OK: ")
    assert err == ""


# ------------------------------------------------------------------------ inputs that must be accepted
def _first_indicator(data_dir: Path) -> dict[str, Any]:
    indicators = load_dataset(data_dir).indicators
    return indicators.loc[indicators["indicator_id"] == "party_volunteer_vanguard_teams"].iloc[0].to_dict()


def test_gbk_indicators_are_read_as_gb18030(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / INDICATORS
    # U+2212 (minus sign) has no GBK code; a spreadsheet saving as GBK would write it as '-'.
    path.write_bytes(path.read_text(encoding="utf-8").replace("\u2212", "-").encode("gbk"))
    rc, out, _err = run_cli(capsys, str(data_copy))
    assert rc == 0, out
    assert _first_indicator(data_copy)["name_zh"] == "区级志愿服务党员先锋队"


def test_utf8_bom_indicators_are_accepted(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / INDICATORS
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-8-sig"))
    rc, out, _err = run_cli(capsys, str(data_copy))
    assert rc == 0, out
    assert "indicator_id" in load_dataset(data_copy).indicators.columns


def test_value_with_chinese_unit_is_parsed(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cell(INDICATORS, 2, "value", "1.2万")(data_copy)
    rc, out, _err = run_cli(capsys, str(data_copy))
    assert rc == 0, out
    assert _first_indicator(data_copy)["value"] == 12000
