"""Starting and stopping one `streamlit run` server per page under test, and reading its memory.

Each server runs with cwd = the project root (so `.streamlit/config.toml`, static serving included, applies),
on a free loopback port, with ``BEIBEI_DATA_DIR`` pointing at the scenario's data folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from beibei_geo.assets import install_vendor_assets

PROJECT = Path(__file__).resolve().parent.parent
APPS = PROJECT / "benchmarks" / "apps"
#: The page scripts under test, relative to the project root.
SCRIPTS = {"real": "app.py", "floor": "benchmarks/apps/floor.py", "naive": "benchmarks/apps/naive.py",
           "bare": "benchmarks/apps/bare.py"}
HEALTH_TIMEOUT = 90.0


class ServerError(RuntimeError):
    """A server did not start or died; the message ends with the tail of its log."""


def prepare_reference_apps() -> None:
    """Leaflet & co. for the floor/naive apps: Streamlit serves ``static/`` beside the main script."""
    install_vendor_assets(APPS / "static")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"streamlit exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling the health endpoint, not synchronising on time
    raise ServerError(f"streamlit did not become healthy in {HEALTH_TIMEOUT:.0f} s:\n{_log_tail(log)}")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path

    def rss_mb(self) -> float | None:
        return rss_mb(self.pid)


@contextmanager
def streamlit_server(page: str, data_dir: Path, log: Path, project: Path = PROJECT) -> Iterator[Server]:
    """`streamlit run` of page ``page`` (a key of `SCRIPTS`) of the checkout ``project`` on ``data_dir``; yields
    the running `Server`."""
    port = free_port()
    env = {**os.environ, "BEIBEI_DATA_DIR": str(data_dir), "PYTHONPATH": str(project)}  # its own beibei_geo
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", SCRIPTS[page], "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],  # code edited meanwhile must not prompt "rerun?"
            cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log)
        yield Server(url, process.pid, log)
        if process.poll() is not None:
            raise ServerError(f"streamlit died during the runs ({process.returncode}):\n{_log_tail(log)}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------------------------------ memory
def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _vm_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pid: int) -> float | None:
    """VmRSS of ``pid`` plus all its descendants, in MB (None when the process is gone)."""
    if not Path(f"/proc/{pid}").exists():
        return None
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _vm_rss_kb(current)
        todo += _children(current)
    return total / 1024
