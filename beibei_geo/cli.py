"""The ``beibei-geo`` command line: ``validate``, ``import``/``history``/``restore``, ``deck`` and ``map-html``."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from beibei_geo.auth import PASSWORD_HASH_ENV, hash_password
from beibei_geo.catalog import DATA_DIR_ENV, default_data_dir, load_catalog
from beibei_geo.errors import BeibeiGeoError, ExportError, ImportConflictError, Problem
from beibei_geo.export import to_csv_bytes, to_xlsx_bytes
from beibei_geo.history import read_audit, versions, write_atomically
from beibei_geo.i18n import LANGS
from beibei_geo.importer import (
    CRS_CHOICES,
    MAX_IMPORT_BYTES,
    MODES,
    ImportOptions,
    commit_import,
    import_targets,
    record_rejection,
    restore_version,
    stage_import,
    template_table,
)
from beibei_geo.validate import Report, validate_data_dir

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
DECK_SUFFIXES = (".pptx", ".pdf")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits with 2 on usage errors; keep it, without a traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _ids(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="beibei-geo", description="Beibei 党建+ map data tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    validate = commands.add_parser(
        "validate", help="check every file of a data folder against the data contract",
        description=f"Check a data folder (default: ${DATA_DIR_ENV} or the project's data/). "
                    "Exit 0 when clean, 1 when problems were found, 2 on usage errors.")
    validate.add_argument("data_dir", nargs="?", type=Path, help="the data folder (holds catalog.toml)")
    validate.add_argument("--format", choices=("text", "json"), default="text", help="output format")

    importing = commands.add_parser(
        "import", help="import a layer or table file: validate, show the changes, replace atomically",
        description="Validate FILE as the new TARGET (a layer id, goals, indicators or scenes) against a copy of the "
                    "data folder; only when it is clean, replace the target atomically and record a version. "
                    "Exit 0 = imported, 1 = rejected (nothing changed), 2 = usage error.")
    importing.add_argument("target", help="layer id or table name (see `beibei-geo history --targets`)")
    importing.add_argument("file", type=Path, help=".geojson/.json, .csv or .xlsx (.toml for scenes)")
    importing.add_argument("--mode", choices=MODES, default="replace", help="replace the target or append to it")
    importing.add_argument("--sheet", default=None, help="the Excel sheet to read (needed when there are several)")
    importing.add_argument("--crs", choices=CRS_CHOICES, default="wgs84",
                           help="coordinates of FILE: wgs84 (GPS, default) or gcj02 (高德/腾讯), converted on import")
    importing.add_argument("--dry-run", action="store_true", help="validate and show the changes; write nothing")
    history = commands.add_parser("history", help="list the versions of the data files",
                                  description="Versions (id, time, target, sha256, size, who, summary), oldest first.")
    history.add_argument("--targets", action="store_true", help="list the importable targets instead")
    restore = commands.add_parser("restore", help="bring back a version's exact bytes (recorded as a new version)")
    restore.add_argument("version", type=int, help="the version id shown by `beibei-geo history`")
    for command in (importing, restore):
        command.add_argument("--who", default=_login_name(), help="who does this, for the audit log "
                                                                  "(default: the login name)")
    for command in (importing, history, restore):
        command.add_argument("--data-dir", type=Path, default=None, help=f"data folder (default: ${DATA_DIR_ENV})")
        command.add_argument("--format", choices=("text", "json"), default="text", help="output format")

    template = commands.add_parser(
        "template", help="write a table or point layer as an Excel workbook to edit and import back",
        description="The current TARGET as .xlsx (or .csv): tables as stored; point layers with 经度/纬度 columns.")
    template.add_argument("target", help="goals, indicators or a point layer id")
    template.add_argument("-o", "--output", type=Path, required=True, help="indicators.xlsx or indicators.csv")
    template.add_argument("--data-dir", type=Path, default=None, help=f"data folder (default: ${DATA_DIR_ENV})")
    commands.add_parser("hash-password", help="print the hash of an editor password, for secrets or the environment",
                        description="Reads the password (twice on a terminal, once from a pipe) and prints a salted "
                                    f"scrypt hash for [editors] password_hash or ${PASSWORD_HASH_ENV}.")

    deck = commands.add_parser("deck", help="export the review scenes as a PPTX or PDF deck (offline)",
                               description="One slide per scene of scenes.toml: map, indicators, sources, notes.")
    deck.add_argument("-o", "--output", type=Path, required=True, help="review.pptx or review.pdf")
    deck.add_argument("--scenes", type=_ids, default=None, help="comma-separated scene ids (default: all)")

    html = commands.add_parser("map-html", help="export one self-contained offline HTML map",
                               description="Every asset is inlined: the file opens with no network and no server.")
    html.add_argument("-o", "--output", type=Path, required=True, help="map.html")
    html.add_argument("--goal", type=_ids, default=(), help="comma-separated goal ids (default: all goals)")
    for command in (deck, html):
        command.add_argument("--lang", choices=LANGS, default="zh", help="language (default zh)")
        command.add_argument("--data-dir", type=Path, default=None, help=f"data folder (default: ${DATA_DIR_ENV})")
    return parser


def _print_report(report: Report, output_format: str) -> None:
    if output_format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    for problem in report.problems:
        print(problem)
    print(report.summary())


def _data_dir_or_none(data_dir: Path | None) -> Path | None:
    data_dir = data_dir if data_dir is not None else default_data_dir()
    if not data_dir.is_dir():
        print(f"beibei-geo: error: data folder {str(data_dir)!r} does not exist or is not a folder",
              file=sys.stderr)
        return None
    return data_dir


def _validate(args: argparse.Namespace) -> int:
    data_dir = _data_dir_or_none(args.data_dir)
    if data_dir is None:
        return EXIT_USAGE
    try:
        report = validate_data_dir(data_dir)
    except Exception as exc:  # the promise: never a traceback, whatever the files contain
        report = Report(data_dir, [Problem(str(data_dir), "-", "unexpected-error", f"{type(exc).__name__}: {exc}")])
    _print_report(report, args.format)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _export(args: argparse.Namespace) -> int:
    if args.command == "deck" and args.output.suffix.lower() not in DECK_SUFFIXES:
        print(f"beibei-geo: error: -o must end in {' or '.join(DECK_SUFFIXES)}, got {args.output.name!r}",
              file=sys.stderr)
        return EXIT_USAGE
    data_dir = _data_dir_or_none(args.data_dir)
    if data_dir is None:
        return EXIT_USAGE
    from beibei_geo.dataset import load_dataset  # heavy imports only for the commands that need them

    try:
        dataset = load_dataset(data_dir)
        if args.command == "map-html":
            from beibei_geo.htmlexport import map_html

            unknown = [g for g in args.goal if g not in dataset.goal_ids]
            if unknown:
                print(f"beibei-geo: error: unknown goal {', '.join(unknown)}; allowed: {', '.join(dataset.goal_ids)}",
                      file=sys.stderr)
                return EXIT_USAGE
            content = map_html(dataset, args.goal, args.lang).encode("utf-8")
        else:
            from beibei_geo.deck import build_pdf, build_pptx

            known = [scene.id for scene in dataset.presentation.scenes] if dataset.presentation else []
            unknown = [s for s in args.scenes or () if s not in known]
            if unknown and known:
                print(f"beibei-geo: error: unknown scene {', '.join(unknown)}; allowed: {', '.join(known)}",
                      file=sys.stderr)
                return EXIT_USAGE
            build = build_pdf if args.output.suffix.lower() == ".pdf" else build_pptx
            content = build(dataset, args.lang, args.scenes)
    except ExportError as exc:
        print(f"beibei-geo: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except BeibeiGeoError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_PROBLEMS
    write_atomically(args.output, content)
    print(f"wrote {args.output} ({len(content):,} bytes)")
    return EXIT_OK


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem)


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _import(args: argparse.Namespace) -> int:
    data_dir = _data_dir_or_none(args.data_dir)
    if data_dir is None:
        return EXIT_USAGE
    try:
        targets = import_targets(load_catalog(data_dir))
    except BeibeiGeoError as exc:
        _print_problems(exc.problems)
        return EXIT_PROBLEMS
    if args.target not in targets:
        return _usage(f"unknown target {args.target!r}; allowed: {', '.join(targets)}")
    if not args.file.is_file():
        return _usage(f"no file at {str(args.file)!r}")
    with open(args.file, "rb") as handle:
        data = handle.read(MAX_IMPORT_BYTES + 1)  # a larger file is refused without reading all of it
    staged = stage_import(data_dir, args.target, args.file.name, data, ImportOptions(args.mode, args.sheet, args.crs))
    entry = None
    try:
        if not staged.ok:
            record_rejection(data_dir, staged, args.who)
        elif not args.dry_run:
            entry = commit_import(data_dir, staged, args.who)
    except ImportConflictError as exc:
        staged.problems = [*staged.problems, *exc.problems]
    if args.format == "json":
        _print_json({"ok": staged.ok and not any(p.rule == "changed-since-staged" for p in staged.problems),
                     "summary": staged.summary(), "version": entry.version if entry else None,
                     "problems": [p.to_dict() for p in staged.problems],
                     "changes": [vars(change) for change in staged.changes]})
    else:
        _print_problems(staged.problems)
        for change in staged.changes[:50]:
            fields = f" ({', '.join(change.fields)})" if change.fields else ""
            print(f"{change.kind}: {change.key} {change.name}{fields}")
        if len(staged.changes) > 50:
            print(f"... and {len(staged.changes) - 50} more changes")
        if entry:
            print(f"imported {staged.file} as version {entry.version} ({staged.summary()}; "
                  f"sha256 {entry.sha256[:12]}, {entry.size:,} bytes)")
        elif staged.ok and args.dry_run:
            print(f"dry run: {staged.summary()}; nothing written")
        else:
            print(f"rejected {staged.source}: {len(staged.blocking) or 1} problem(s); nothing changed")
    return EXIT_OK if entry or (staged.ok and args.dry_run) else EXIT_PROBLEMS


def _usage(message: str) -> int:
    print(f"beibei-geo: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _history(args: argparse.Namespace) -> int:
    data_dir = _data_dir_or_none(args.data_dir)
    if data_dir is None:
        return EXIT_USAGE
    if args.targets:
        try:
            targets = import_targets(load_catalog(data_dir))
        except BeibeiGeoError as exc:
            _print_problems(exc.problems)
            return EXIT_PROBLEMS
        for target, file in targets.items():
            print(f"{target}\t{file}")
        return EXIT_OK
    entries, problems = read_audit(data_dir)
    found = versions(data_dir)
    if args.format == "json":
        _print_json({"versions": [vars(e) for e in found], "problems": [p.to_dict() for p in problems]})
        return EXIT_OK
    _print_problems(problems)
    print("id\ttime\ttarget\tsha256\tsize\twho\tsummary")
    for entry in found:
        print(f"{entry.version}\t{entry.time}\t{entry.target}\t{entry.sha256[:12]}\t{entry.size}\t{entry.who}\t"
              f"{entry.summary}")
    print(f"{len(found)} version(s); {len(entries)} audit entries")
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    data_dir = _data_dir_or_none(args.data_dir)
    if data_dir is None:
        return EXIT_USAGE
    try:
        entry = restore_version(data_dir, args.version, args.who)
    except BeibeiGeoError as exc:
        _print_problems(exc.problems)
        print(f"restore of version {args.version} refused; nothing changed")
        return EXIT_PROBLEMS
    if args.format == "json":
        _print_json(vars(entry))
    else:
        print(f"restored version {args.version} of {entry.file} as version {entry.version} "
              f"(sha256 {entry.sha256[:12]}, {entry.size:,} bytes)")
    return EXIT_OK


def _template(args: argparse.Namespace) -> int:
    data_dir = _data_dir_or_none(args.data_dir)
    if data_dir is None:
        return EXIT_USAGE
    if args.output.suffix.lower() not in (".xlsx", ".csv"):
        return _usage(f"-o must end in .xlsx or .csv, got {args.output.name!r}")
    try:
        catalog = load_catalog(data_dir)
        if args.target not in import_targets(catalog):
            return _usage(f"unknown target {args.target!r}; allowed: {', '.join(import_targets(catalog))}")
        frame = template_table(catalog, args.target)
    except BeibeiGeoError as exc:
        _print_problems(exc.problems)
        return EXIT_PROBLEMS
    content = to_xlsx_bytes(frame, args.target) if args.output.suffix.lower() == ".xlsx" else to_csv_bytes(frame)
    write_atomically(args.output, content)
    print(f"wrote {args.output} ({len(frame)} rows; edit it, then: beibei-geo import {args.target} {args.output})")
    return EXIT_OK


def _hash_password(_args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("editor password: ")
        if getpass.getpass("again: ") != password:
            return _usage("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        return _usage("use a password of at least 8 characters")
    print(hash_password(password))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``beibei-geo`` console script."""
    args = build_parser().parse_args(argv)
    commands = {"validate": _validate, "import": _import, "history": _history, "restore": _restore,
                "hash-password": _hash_password,
                "template": _template, "deck": _export, "map-html": _export}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
