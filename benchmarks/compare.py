"""Revisions compared side by side: `.venv/bin/python -m benchmarks.compare REV [REV ...] [--scenario S] [--runs N]`.

This machine's speed drifts by 10–20 % within minutes, more than most single changes save, so two full runs made
at different times cannot tell revisions apart. Here the floor and each revision's real page are served at once
and measured in turn, run after run, so a drift hits all of them alike; each run's times are divided by the floor
run just before them (paired ratios). REV is a git revision, checked out into a temporary worktree, or `.` for
the working tree.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks.browser import close, launch, measure
from benchmarks.expected import expected_counts
from benchmarks.run import GOAL, PAGES, SCENARIOS
from benchmarks.servers import PROJECT, prepare_reference_apps, streamlit_server
from benchmarks.synthetic import make_data_dir

SPECS = {spec.name: spec for spec in PAGES}


@contextmanager
def checkout(revision: str, root: Path) -> Iterator[tuple[str, Path]]:
    """(label, folder) of ``revision``: the working tree for `.`, else a detached worktree removed afterwards."""
    if revision == ".":
        yield "working tree", PROJECT
        return
    commit = subprocess.run(["git", "rev-parse", "--short", revision], cwd=PROJECT, check=True,
                            capture_output=True, text=True).stdout.strip()
    folder = root / commit
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(folder), commit], cwd=PROJECT, check=True)
    try:
        yield commit, folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=PROJECT, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+", help="git revisions, or . for the working tree")
    parser.add_argument("--scenario", default="shipped", choices=list(SCENARIOS))
    parser.add_argument("--runs", type=int, default=8, help="measured runs per page (default 8)")
    args = parser.parse_args(argv)
    prepare_reference_apps()
    with tempfile.TemporaryDirectory(prefix="bb-compare-") as temporary, ExitStack() as stack, \
            sync_playwright() as playwright:
        root = Path(temporary)
        data_dir = make_data_dir(root / "data", *SCENARIOS[args.scenario])
        expected = expected_counts(data_dir, GOAL)
        pages = [("floor", "floor", PROJECT)] + [
            ("real", *stack.enter_context(checkout(revision, root / "checkouts"))) for revision in args.revisions]
        servers = [stack.enter_context(streamlit_server(page, data_dir, root / f"server-{i}.log", folder))
                   for i, (page, _, folder) in enumerate(pages)]
        browser = launch(playwright)
        for (page, _, _), server in zip(pages, servers, strict=True):
            measure(browser, server.url, SPECS[page], expected, warm_up=True)
        runs: list[list[dict]] = [[] for _ in pages]
        for _ in range(args.runs):
            for (page, _, _), server, results in zip(pages, servers, runs, strict=True):
                results.append(measure(browser, server.url, SPECS[page], expected))
        close(browser)
    print(f"{args.scenario}, {args.runs} runs each, interleaved; medians (paired ratio: each run ÷ the floor's run "
          "just before it)\n")
    print("| page | first draw (s) | filter (s) | first ÷ floor | filter ÷ floor |\n|---|---|---|---|---|")
    for (page, label, _), results in zip(pages, runs, strict=True):
        row = [f"{page} ({label})" if page == "real" else page]
        for metric in ("first_draw_s", "filter_s"):
            row.append(_median(r.get(metric) for r in results))
        for metric in ("first_draw_s", "filter_s"):
            row.append(_median((r.get(metric) / f[metric] if r.get(metric) and f.get(metric) else None
                                for r, f in zip(results, runs[0], strict=True)), "×"))
        print("| " + " | ".join(row) + " |")
    for (page, label, _), results in zip(pages, runs, strict=True):  # runs left out of the medians, and why
        for error in dict.fromkeys(r["error"] for r in results if "error" in r):
            print(f"- {page} ({label}): {error}")
    return 0


def _median(values, unit: str = "") -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.2f}{unit}" if known else "—"


if __name__ == "__main__":
    sys.exit(main())
