"""Importing, versions and restore: what a clean import stores, conflicts, crashes at every write, and editors.

The hostile files live in ``test_import_corpus.py``; here are the paths that must work, and must stay safe.
"""

from __future__ import annotations

import io
import itertools
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import openpyxl
import prcoords
import pytest
from geojson_validator import validate_structure

from beibei_geo import history
from beibei_geo.auth import LoginThrottle, hash_password, is_allowed, verify_password
from beibei_geo.cli import main
from beibei_geo.coords import wgs84_to_gcj02
from beibei_geo.dataset import load_dataset
from beibei_geo.errors import HistoryError, ImportConflictError
from beibei_geo.importer import ImportOptions, commit_import, restore_version, stage_import
from beibei_geo.validate import validate_data_dir
from tests.conftest import DATA, PROJECT

PARKS = "geo/parks.geojson"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped data (without any history)."""
    copy = Path(shutil.copytree(DATA, tmp_path / "data", ignore=shutil.ignore_patterns("history")))
    return copy


def a_park(park_id: str = "park-test-1", name: str = "测试公园", lon: float = 106.43, lat: float = 29.83,
           **extra: object) -> dict:
    properties = {"id": park_id, "name": name, "goal": "park_city", "category": "city_park", "township": "北温泉街道",
                  "status": "operating", "description": "测试", "source": "测试来源",
                  "location_precision": "approximate", "est_error_m": 500, **extra}
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def collection(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def parks_features(data_dir: Path) -> dict[str, dict]:
    features = json.loads((data_dir / PARKS).read_text(encoding="utf-8"))["features"]
    return {f["properties"]["id"]: f for f in features}


def imported(data_dir: Path, target: str, name: str, data: bytes, **options: object) -> history.AuditEntry:
    staged = stage_import(data_dir, target, name, data, ImportOptions(**options))
    assert staged.ok, staged.problems
    return commit_import(data_dir, staged, "tester")


# ------------------------------------------------------------------------------------------ what is stored
def test_append_keeps_existing_features_and_adds_one(data_dir):
    before = parks_features(data_dir)
    staged = stage_import(data_dir, "parks", "new.geojson", collection(a_park()), ImportOptions("append"))
    assert staged.ok, staged.problems
    assert [(c.kind, c.key) for c in staged.changes] == [("added", "park-test-1")]
    commit_import(data_dir, staged, "tester")
    after = parks_features(data_dir)
    assert set(after) == {*before, "park-test-1"}
    assert all(after[key] == feature for key, feature in before.items())
    assert validate_data_dir(data_dir).ok


def test_replace_reports_removed_and_changed(data_dir):
    scenes = (data_dir / "scenes.toml").read_text(encoding="utf-8")
    features = list(parks_features(data_dir).values())
    dropped = next(f for f in features if f["properties"]["id"] not in scenes)  # scenes must not lose a highlight
    kept = json.loads(json.dumps([f for f in features if f is not dropped]))
    kept[0]["properties"]["description"] = "改过的描述"
    staged = stage_import(data_dir, "parks", "parks.geojson", collection(*kept))
    changes = {(c.kind, c.key): c.fields for c in staged.changes}
    assert changes == {("removed", dropped["properties"]["id"]): (),
                       ("changed", kept[0]["properties"]["id"]): ("description",)}


def test_gcj02_input_is_stored_as_wgs84(data_dir):
    true_wgs = np.array([[106.4321, 29.8345]])
    gcj = wgs84_to_gcj02(true_wgs)[0]
    imported(data_dir, "parks", "gcj.geojson", collection(a_park(lon=float(gcj[0]), lat=float(gcj[1]))),
             mode="append", crs="gcj02")
    lon, lat = parks_features(data_dir)["park-test-1"]["geometry"]["coordinates"]
    reference = prcoords.gcj_wgs_bored(prcoords.Coords(gcj[1], gcj[0]))  # an independent inverse
    assert abs(lon - reference.lon) < 2e-6 and abs(lat - reference.lat) < 2e-6
    assert abs(lon - true_wgs[0, 0]) < 2e-6 and abs(lat - true_wgs[0, 1]) < 2e-6  # 6 decimals ≈ 0.1 m
    assert abs(lon - gcj[0]) > 0.003  # the ~500 m shift was undone, not ignored


def test_points_from_a_gb18030_csv_with_chinese_headers_and_full_width_codes(data_dir):
    towns = json.loads((data_dir / "geo/townships.geojson").read_text(encoding="utf-8"))["features"]
    code = next(f["properties"]["code"] for f in towns if f["properties"]["name"] == "北温泉街道")
    full_width_code = code.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    rows = [["id", "name", "goal", "category", "township", "status", "description", "source", "location_precision",
             "est_error_m", "经度", "纬度", "goals_extra"],
            ["park-csv-1", "测试公园一", "park_city", "city_park", " 北温泉街道 ", "operating", "说明", "来源",
             "approximate", "1,000", "106.41", "29.84", "green|culture_tourism"],
            ["park-csv-2", "测试公园二", "park_city", "community_park", full_width_code, "planned", "说明", "来源",
             "unknown", "", "", "", ""]]
    text = "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows) + "\n"
    imported(data_dir, "parks", "points.csv", text.encode("gb18030"), mode="append")
    stored = parks_features(data_dir)
    first, second = stored["park-csv-1"], stored["park-csv-2"]
    assert first["geometry"] == {"type": "Point", "coordinates": [106.41, 29.84]}
    assert first["properties"]["township"] == "北温泉街道"
    assert first["properties"]["est_error_m"] == 1000
    assert first["properties"]["goals_extra"] == ["green", "culture_tourism"]
    assert second["geometry"] is None and second["properties"]["est_error_m"] is None
    assert second["properties"]["township"] == code  # a code given in full-width digits, folded
    assert load_dataset(data_dir).layers["parks"].set_index("id").at["park-csv-2", "mapped"] == False  # noqa: E712


def test_polygons_are_written_to_rfc7946(data_dir):
    clockwise = [[106.400000012, 29.8], [106.4, 29.81], [106.41, 29.81], [106.41, 29.8], [106.400000012, 29.8]]
    boundary = {"type": "Feature", "properties": {"name": "北碚区"},
                "geometry": {"type": "Polygon", "coordinates": [clockwise]}}
    content = collection(boundary).replace(b'"features"', b'"crs": {"type": "name", "properties": {"name": '
                                                          b'"urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features"')
    imported(data_dir, "boundary", "poly.geojson", content)
    stored = json.loads((data_dir / "geo/boundary.geojson").read_text(encoding="utf-8"))
    ring = stored["features"][0]["geometry"]["coordinates"][0]
    signed_area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))
    assert signed_area > 0  # exterior ring counter-clockwise
    assert ring[0] == [106.4, 29.8]  # rounded to 6 decimals
    assert "crs" not in stored
    assert not validate_structure(stored)


def excel(rows: list[list[object]], formats: dict[str, str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    for cell, number_format in (formats or {}).items():
        workbook.active[cell].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_indicators_from_excel_are_appended_with_chinese_numbers(data_dir):
    header = (data_dir / "tables/indicators.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    values = {"indicator_id": "test_new_households", "goal": "rural", "name_zh": "测试户数", "name_en": "Test",
              "value": "1.2万", "value_text": "1.2万", "unit": "户", "quote": "测试引文", "area": "全区"}
    share = {**values, "indicator_id": "test_share", "value": 0.278, "value_text": "27.8%", "unit": "%"}
    content = excel([header, [values.get(c, "") for c in header], [share.get(c, "") for c in header]],
                    {f"{chr(ord('A') + header.index('value'))}3": "0.0%"})
    entry = imported(data_dir, "indicators", "街镇指标.xlsx", content, mode="append")
    indicators = load_dataset(data_dir).indicators.set_index("indicator_id")
    assert indicators.at["test_new_households", "value"] == 12000
    assert indicators.at["test_share", "value"] == pytest.approx(27.8)
    assert entry.summary.endswith("2 added, 0 removed, 0 changed")


# ------------------------------------------------------------------------------------------ versions
def test_history_restore_brings_back_exact_bytes_as_a_new_version(data_dir):
    original = (data_dir / PARKS).read_bytes()
    first = imported(data_dir, "parks", "a.geojson", collection(a_park()), mode="append")
    assert [(v.version, v.event) for v in history.versions(data_dir)] == [(1, "baseline"), (2, "import")]
    restored = restore_version(data_dir, 1, "tester")
    assert (data_dir / PARKS).read_bytes() == original
    assert (restored.version, restored.event, restored.restored_from) == (3, "restore", 1)
    restore_version(data_dir, first.version, "tester")
    assert history.sha256_hex((data_dir / PARKS).read_bytes()) == first.sha256
    with pytest.raises(HistoryError, match="no version 9"):
        restore_version(data_dir, 9, "tester")


def test_a_damaged_stored_copy_is_not_restored(data_dir):
    imported(data_dir, "parks", "a.geojson", collection(a_park()), mode="append")
    baseline = history.versions(data_dir)[0]
    (history.history_dir(data_dir) / "blobs" / baseline.sha256).write_bytes(b"{}")
    before = (data_dir / PARKS).read_bytes()
    with pytest.raises(HistoryError) as caught:
        restore_version(data_dir, 1, "tester")
    assert caught.value.problems[0].rule == "version-damaged"
    assert (data_dir / PARKS).read_bytes() == before


def test_a_hand_edit_is_kept_as_a_version_before_the_next_import(data_dir):
    imported(data_dir, "parks", "a.geojson", collection(a_park()), mode="append")
    edited = (data_dir / PARKS).read_bytes().replace("测试公园".encode(), "手改公园".encode())
    (data_dir / PARKS).write_bytes(edited)
    imported(data_dir, "parks", "b.geojson", collection(a_park("park-test-2")), mode="append")
    events = [(v.event, v.sha256) for v in history.versions(data_dir)]
    assert events[2] == ("outside-change", history.sha256_hex(edited))
    restore_version(data_dir, 3, "tester")
    assert (data_dir / PARKS).read_bytes() == edited


def test_a_restore_that_would_break_the_data_is_refused(data_dir):
    imported(data_dir, "parks", "a.geojson", collection(a_park(township="童家溪镇")), mode="append")
    towns = json.loads((data_dir / "geo/townships.geojson").read_text(encoding="utf-8"))
    kept = [f for f in towns["features"] if f["properties"]["name"] != "童家溪镇"]
    parks_now = (data_dir / PARKS).read_bytes()
    restore_version(data_dir, 1, "tester")  # parks without the new park …
    imported(data_dir, "townships", "towns.geojson", collection(*kept))  # … so 童家溪镇 may go
    with pytest.raises(Exception) as caught:
        restore_version(data_dir, 2, "tester")  # the park in 童家溪镇 would point nowhere
    assert {p.rule for p in caught.value.problems} == {"unknown-township"}
    assert (data_dir / PARKS).read_bytes() != parks_now
    assert history.read_audit(data_dir)[0][-1].event == "restore-rejected"


# ------------------------------------------------------------------------------------------ concurrency
def test_the_second_of_two_overlapping_imports_is_refused(data_dir):
    first = stage_import(data_dir, "parks", "a.geojson", collection(a_park("park-a")), ImportOptions("append"))
    second = stage_import(data_dir, "parks", "b.geojson", collection(a_park("park-b")), ImportOptions("append"))
    commit_import(data_dir, second, "second")
    after_second = (data_dir / PARKS).read_bytes()
    with pytest.raises(ImportConflictError, match="changed since you started"):
        commit_import(data_dir, first, "first")
    assert (data_dir / PARKS).read_bytes() == after_second
    assert history.read_audit(data_dir)[0][-1].event == "conflict"


def test_simultaneous_cli_imports_never_interleave(data_dir, tmp_path):
    shipped = parks_features(data_dir)
    inputs = {}
    for name in ("a", "b"):
        features = [a_park(f"park-{name}-{n}", lon=106.40 + n / 10000) for n in range(2000)]
        inputs[name] = tmp_path / f"{name}.geojson"
        inputs[name].write_bytes(collection(*shipped.values(), *features))
    command = [sys.executable, "-m", "beibei_geo.cli", "import", "parks", "--data-dir", str(data_dir)]
    for _round in range(3):
        processes = [subprocess.Popen([*command, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, cwd=PROJECT) for path in inputs.values()]
        outputs = [process.communicate(timeout=120) for process in processes]
        results = [(process.returncode, *output) for process, output in zip(processes, outputs, strict=True)]
        assert all(code in (0, 1) and "Traceback" not in out + err for code, out, err in results), results
        assert any(code == 0 for code, _, _ in results)
        for code, out, _ in results:
            assert code == 0 or "changed since you started" in out
        stored = {f["properties"]["id"] for f in json.loads((data_dir / PARKS).read_bytes())["features"]}
        assert stored - set(shipped) in ({f"park-a-{n}" for n in range(2000)}, {f"park-b-{n}" for n in range(2000)})
    latest = history.versions(data_dir)[-1]
    assert latest.sha256 == history.sha256_hex((data_dir / PARKS).read_bytes())


# ------------------------------------------------------------------------------------------ crashes
KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from beibei_geo.importer import ImportOptions, commit_import, stage_import
    function, nth, data_dir, source = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    staged = stage_import(data_dir, "parks", source.name, source.read_bytes(), ImportOptions("append"))
    real, calls = getattr(os, function), []
    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == nth:
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no finally: like a power cut or `kill -9`
        return real(*args, **kwargs)
    setattr(os, function, dying)
    commit_import(data_dir, staged, "crash-test")
    print("completed")
""")


@pytest.mark.parametrize("function", ["fsync", "replace", "write"])
def test_an_import_killed_at_any_write_leaves_loadable_data(data_dir, tmp_path, function):
    source = tmp_path / "new.geojson"
    source.write_bytes(collection(a_park()))
    pristine = tmp_path / "pristine"
    shutil.copytree(data_dir, pristine)
    old = (data_dir / PARKS).read_bytes()
    kills = 0
    for nth in range(1, 20):
        shutil.rmtree(data_dir)
        shutil.copytree(pristine, data_dir)
        run = subprocess.run([sys.executable, "-c", KILLER, function, str(nth), str(data_dir), str(source)],
                             capture_output=True, text=True, cwd=PROJECT, timeout=120)
        if "completed" in run.stdout:
            break
        assert run.returncode == -9, run.stderr
        kills += 1
        parks = (data_dir / PARKS).read_bytes()
        assert validate_data_dir(data_dir).ok
        assert parks == old or "park-test-1" in parks_features(data_dir)
        history.read_audit(data_dir)  # readable, whatever line was cut
        # the next import works and records what the killed one left behind
        imported(data_dir, "parks", "next.geojson", collection(a_park("park-after-crash")), mode="append")
        assert not list((data_dir / "geo").glob(".parks.geojson.*.tmp"))
        assert history.versions(data_dir)[-1].sha256 == history.sha256_hex((data_dir / PARKS).read_bytes())
    assert kills >= 2  # the points exist: the commit really went through this function several times


# ------------------------------------------------------------------------------------------ editors
def test_password_hash_round_trip_and_refusals():
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("correct horse", "")
    assert not verify_password("correct horse", "scrypt$1$2$3$@@$@@")
    assert hash_password("x", b"0" * 16) == hash_password("x", b"0" * 16) != hash_password("x")


def test_allow_list_and_throttle():
    assert is_allowed(" Zhang@Beibei.gov.cn ", ["zhang@beibei.gov.cn"])
    assert not is_allowed("li@beibei.gov.cn", ["zhang@beibei.gov.cn"]) and not is_allowed(None, ["x"])
    now = [1000.0]
    throttle = LoginThrottle(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.seconds_locked() == 0
        throttle.record_failure()
    assert 0 < throttle.seconds_locked() <= 61
    now[0] += 61
    assert throttle.seconds_locked() == 0


# ------------------------------------------------------------------------------------------ CLI
def test_cli_import_history_restore(data_dir, tmp_path, capsys):
    source = tmp_path / "new.geojson"
    source.write_bytes(collection(a_park()))
    original = (data_dir / PARKS).read_bytes()
    assert main(["import", "parks", str(source), "--mode", "append", "--dry-run", "--data-dir", str(data_dir)]) == 0
    assert "dry run" in capsys.readouterr().out and (data_dir / PARKS).read_bytes() == original
    assert main(["import", "parks", str(source), "--mode", "append", "--who", "王五", "--data-dir", str(data_dir)]) == 0
    assert "added: park-test-1 测试公园" in capsys.readouterr().out
    assert main(["history", "--data-dir", str(data_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split("\t")[:3][0] == "1" and "王五" in lines[2] and lines[2].split("\t")[2] == "parks"
    assert main(["restore", "1", "--data-dir", str(data_dir)]) == 0
    assert (data_dir / PARKS).read_bytes() == original
    assert main(["restore", "7", "--data-dir", str(data_dir)]) == 1
    assert "unknown-version" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["import", "nope", "x.geojson"], ["import", "parks", "/no/such/file.geojson"],
                                  ["import", "parks", "x.geojson", "--mode", "merge"]])
def test_cli_usage_errors(data_dir, argv, capsys):
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main([*argv, "--data-dir", str(data_dir)]))
    assert exited.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_hash_password_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-good-password\n"))
    assert main(["hash-password"]) == 0
    assert verify_password("a-good-password", capsys.readouterr().out.strip())


def test_readme_worked_example_excel_of_indicators(data_dir, tmp_path, capsys):
    """README "示例：导入街镇报来的指标 Excel": template → edit in Excel → dry run → import → history → restore."""
    workbook_path = tmp_path / "指标.xlsx"
    original = (data_dir / "tables/indicators.csv").read_bytes()
    assert main(["template", "indicators", "-o", str(workbook_path), "--data-dir", str(data_dir)]) == 0
    workbook = openpyxl.load_workbook(workbook_path)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    column = {name: index for index, name in enumerate(header)}
    edited = [cell.value for cell in sheet[2]]
    sheet.cell(row=2, column=column["value_text"] + 1, value=f"{edited[column['value_text']]}（改）")
    new_row = [""] * len(header)
    for name, value in {"indicator_id": "new_indicator", "goal": "parks", "name_zh": "新指标", "value": "1.2万",
                        "unit": "户", "quote": "原文句子", "area": "全区"}.items():
        new_row[column[name]] = value
    sheet.append(new_row)
    workbook.save(workbook_path)
    capsys.readouterr()

    assert main(["import", "indicators", str(workbook_path), "--dry-run", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert f"指标.xlsx: row {sheet.max_row} (new_indicator): unknown-goal: goal 'parks' is not one of:" in out
    sheet.cell(row=sheet.max_row, column=column["goal"] + 1, value="park_city")
    workbook.save(workbook_path)

    assert main(["import", "indicators", str(workbook_path), "--dry-run", "--data-dir", str(data_dir)]) == 0
    assert "dry run: tables/indicators.csv: 1 added, 0 removed, 1 changed; nothing written" in capsys.readouterr().out
    assert (data_dir / "tables/indicators.csv").read_bytes() == original
    assert main(["import", "indicators", str(workbook_path), "--who", "张三", "--data-dir", str(data_dir)]) == 0
    assert load_dataset(data_dir).indicators.set_index("indicator_id").at["new_indicator", "value"] == 12000
    assert main(["history", "--data-dir", str(data_dir)]) == 0
    assert "\t张三\ttables/indicators.csv: 1 added, 0 removed, 1 changed" in capsys.readouterr().out
    assert main(["restore", "1", "--data-dir", str(data_dir)]) == 0
    assert (data_dir / "tables/indicators.csv").read_bytes() == original
