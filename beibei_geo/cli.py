"""The ``beibei-geo`` command line: ``validate``, ``deck`` (PPTX/PDF) and ``map-html``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from beibei_geo.catalog import DATA_DIR_ENV, default_data_dir
from beibei_geo.errors import BeibeiGeoError, ExportError, Problem
from beibei_geo.i18n import LANGS
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


def _write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` next to ``path`` first, then rename: a failed export leaves no half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(handle.name, 0o666 & ~umask)  # a temp file is private (0600); the export is an ordinary file
    os.replace(handle.name, path)


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
    _write_atomically(args.output, content)
    print(f"wrote {args.output} ({len(content):,} bytes)")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``beibei-geo`` console script."""
    args = build_parser().parse_args(argv)
    return {"validate": _validate, "deck": _export, "map-html": _export}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
