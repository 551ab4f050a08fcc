"""The ``beibei-geo`` command line: ``validate`` (later issues add more commands)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from beibei_geo.catalog import DATA_DIR_ENV, default_data_dir
from beibei_geo.errors import Problem
from beibei_geo.validate import Report, validate_data_dir

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits with 2 on usage errors; keep it, without a traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="beibei-geo", description="Beibei 党建+ map data tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    validate = commands.add_parser(
        "validate", help="check every file of a data folder against the data contract",
        description=f"Check a data folder (default: ${DATA_DIR_ENV} or the project's data/). "
                    "Exit 0 when clean, 1 when problems were found, 2 on usage errors.")
    validate.add_argument("data_dir", nargs="?", type=Path, help="the data folder (holds catalog.toml)")
    validate.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    return parser


def _print_report(report: Report, output_format: str) -> None:
    if output_format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    for problem in report.problems:
        print(problem)
    print(report.summary())


def _validate(args: argparse.Namespace) -> int:
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    if not data_dir.is_dir():
        print(f"beibei-geo: error: data folder {str(data_dir)!r} does not exist or is not a folder",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        report = validate_data_dir(data_dir)
    except Exception as exc:
        report = Report(data_dir, [Problem(str(data_dir), "-", "unexpected-error",
                                           f"{type(exc).__name__}: {exc}")])
    _print_report(report, args.format)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``beibei-geo`` console script."""
    args = build_parser().parse_args(argv)
    return {"validate": _validate}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
