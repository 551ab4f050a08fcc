"""Versions and the audit log of a data folder: content-addressed copies, an append-only log and one lock.

Layout, inside the data folder: ``history/audit.jsonl`` (one JSON object per line, never rewritten),
``history/blobs/<sha256>`` (every version's exact bytes) and ``history/.lock`` (held while a file is replaced).
A version is an audit entry with a ``version`` number; `restore` brings back a blob byte for byte.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from beibei_geo.errors import HistoryError, Problem

HISTORY_DIR = "history"
AUDIT_FILE = "audit.jsonl"
#: Audit events that create a version (the others only record what happened).
VERSION_EVENTS = ("baseline", "import", "restore", "outside-change")


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    time: str
    event: str
    target: str
    who: str
    summary: str
    version: int | None = None
    file: str = ""
    sha256: str = ""
    size: int = 0
    source: str = ""
    restored_from: int | None = None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def history_dir(data_dir: Path) -> Path:
    return Path(data_dir) / HISTORY_DIR


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to a temp file beside ``path``, fsync it, then rename it over ``path`` and fsync the folder.

    A crash at any moment leaves either the old file or the new one, never a mix (an orphan temp file at most).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(handle.name, 0o666 & ~umask)  # a temp file is private (0600); data files are ordinary files
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def remove_orphan_temp_files(path: Path) -> None:
    """Delete temp files a killed writer left beside ``path`` (call only while holding the lock)."""
    for orphan in path.parent.glob(f".{path.name}.*.tmp"):
        orphan.unlink(missing_ok=True)


@contextmanager
def locked(data_dir: Path) -> Iterator[None]:
    """Hold the folder's write lock (released by the OS even when the process is killed)."""
    folder = history_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append_entry(data_dir: Path, entry: AuditEntry) -> None:
    """Append one line to the audit log with a single write, and fsync it."""
    folder = history_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(entry), ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    descriptor = os.open(folder / AUDIT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_audit(data_dir: Path) -> tuple[list[AuditEntry], list[Problem]]:
    """Every audit entry, oldest first, and a problem for each line that cannot be read (e.g. cut by a crash)."""
    path = history_dir(data_dir) / AUDIT_FILE
    if not path.is_file():
        return [], []
    entries, problems = [], []
    fields = set(AuditEntry.__dataclass_fields__)
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            raw = json.loads(line)
            entries.append(AuditEntry(**{k: v for k, v in raw.items() if k in fields}))
        except (ValueError, TypeError) as exc:
            problems.append(Problem(f"{HISTORY_DIR}/{AUDIT_FILE}", f"line {number}", "audit-line",
                                    f"unreadable line skipped ({type(exc).__name__})", "warning"))
    return entries, problems


def versions(data_dir: Path) -> list[AuditEntry]:
    """The audit entries that are versions, oldest first."""
    return [entry for entry in read_audit(data_dir)[0] if entry.event in VERSION_EVENTS and entry.version]


def next_version(data_dir: Path) -> int:
    return max((entry.version for entry in versions(data_dir)), default=0) + 1


def latest_version(data_dir: Path, target: str) -> AuditEntry | None:
    found = [entry for entry in versions(data_dir) if entry.target == target]
    return found[-1] if found else None


def store_blob(data_dir: Path, content: bytes) -> str:
    """Keep ``content`` under its sha256 (once); return the hash."""
    digest = sha256_hex(content)
    path = history_dir(data_dir) / "blobs" / digest
    if not path.is_file() or sha256_hex(path.read_bytes()) != digest:
        write_atomically(path, content)
    return digest


def read_blob(data_dir: Path, entry: AuditEntry) -> bytes:
    """The exact bytes of version ``entry``; `HistoryError` when the copy is missing or damaged."""
    path = history_dir(data_dir) / "blobs" / entry.sha256
    where = f"version {entry.version}"
    try:
        content = path.read_bytes()
    except OSError:
        raise HistoryError(Problem(f"{HISTORY_DIR}/blobs", where, "version-missing",
                                   f"the stored copy {entry.sha256[:12]} is missing")) from None
    if sha256_hex(content) != entry.sha256:
        raise HistoryError(Problem(f"{HISTORY_DIR}/blobs", where, "version-damaged",
                                   f"the stored copy does not match its sha256 {entry.sha256[:12]}"))
    return content


def find_version(data_dir: Path, number: int) -> AuditEntry:
    for entry in versions(data_dir):
        if entry.version == number:
            return entry
    known = [str(entry.version) for entry in versions(data_dir)]
    raise HistoryError(Problem(f"{HISTORY_DIR}/{AUDIT_FILE}", f"version {number}", "unknown-version",
                               f"no version {number}; known: {', '.join(known) or 'none yet'}"))
