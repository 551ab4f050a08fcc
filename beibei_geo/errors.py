"""One error family for the library, and the Problem record that validation reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: "error" blocks loading and importing; "warning" is served safely but refused by an import; "info" only tells.
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data: which file, which feature or row, which rule, and why."""

    file: str
    where: str
    rule: str
    message: str
    severity: str = "error"  #: one of SEVERITIES

    def __str__(self) -> str:
        tail = "" if self.severity == "error" else f" [{self.severity}]"
        return f"{self.file}: {self.where}: {self.rule}: {self.message}{tail}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class BeibeiGeoError(Exception):
    """Base class of every error this library raises on purpose."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CatalogError(BeibeiGeoError):
    """The catalog file is missing, unreadable or declares something impossible."""


class DataFileError(BeibeiGeoError):
    """A data file cannot be read as the strict format it must be in."""


class ValidationError(BeibeiGeoError):
    """Data files were read but break the data contract."""


class ExportError(BeibeiGeoError):
    """A static map or slide deck cannot be produced (no CJK font, no scenes, unknown scene id)."""

    def __init__(self, problems: list[Problem] | Problem | str):
        super().__init__(Problem("export", "-", "export", problems) if isinstance(problems, str) else problems)
        if isinstance(problems, str):
            self.args = (problems,)  # str(error) is the plain message


class HistoryError(BeibeiGeoError):
    """A version asked for does not exist, or its stored copy is missing or damaged."""


class ImportConflictError(BeibeiGeoError):
    """The target changed between staging an import and committing it; nothing was written."""
