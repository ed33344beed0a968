"""The outcome of each check and the report that prints them.

A `Check` is one line of the report: a stable name (`section.what`), a status,
what was found, and for a warning or a failure the fix. The report prints
section by section in a fixed order, whatever order the checks ran in, and
fails (exit status 1) when any check fails.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

__all__ = ["SECTIONS", "Check", "Report", "Status"]

# Section prefix of a check's name, and its heading, in print order.
SECTIONS = (
    ("env", "Environment"),
    ("aws", "AWS"),
    ("config", "Config"),
    ("command", "Command"),
    ("output_file", "Output file"),
    ("exchange", "Exchange"),
)


class Status(str, enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclasses.dataclass(frozen=True)
class Check:
    """One finding: `name` like `config.timeout`, what was found, and what to do."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def section(self) -> str:
        return self.name.partition(".")[0]


class Report:
    """The checks of one doctor run, in the order they were made."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def ok(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, Status.OK, detail))

    def warn(self, name: str, detail: str, fix: str) -> None:
        self.checks.append(Check(name, Status.WARN, detail, fix))

    def fail(self, name: str, detail: str, fix: str) -> None:
        self.checks.append(Check(name, Status.FAIL, detail, fix))

    def skip(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, Status.SKIP, detail))

    def status_of(self, name: str) -> Status | None:
        """The worst status recorded under `name`, or None if it was not checked."""
        order = [Status.FAIL, Status.WARN, Status.OK, Status.SKIP]
        found = [check.status for check in self.checks if check.name == name]
        return min(found, key=order.index) if found else None

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.status is Status.FAIL]

    @property
    def warnings(self) -> list[Check]:
        return [check for check in self.checks if check.status is Status.WARN]

    def exit_status(self) -> int:
        return 1 if self.failed else 0

    def as_text(self, title: str) -> str:
        """The readable report: one line per check, the fix on the same line."""
        lines = [title]
        for prefix, heading in SECTIONS:
            checks = [check for check in self.checks if check.section == prefix]
            if not checks:
                continue
            lines.append("")
            lines.append(heading)
            width = max(len(check.name) for check in checks)
            for check in checks:
                line = f"  {check.status.value:<4}  {check.name:<{width}}  {check.detail}"
                if check.fix:
                    line += f" Fix: {check.fix}"
                lines.append(line)

        lines.append("")
        lines.append(self._summary())
        return "\n".join(lines) + "\n"

    def as_json(self, title: str) -> str:
        document: dict[str, Any] = {
            "title": title,
            "ok": not self.failed,
            "failed": [check.name for check in self.failed],
            "warnings": [check.name for check in self.warnings],
            "checks": [
                {
                    "name": check.name,
                    "status": check.status.value,
                    "detail": check.detail,
                    "fix": check.fix,
                }
                for check in self.checks
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def _summary(self) -> str:
        failed, warned = len(self.failed), len(self.warnings)
        if failed:
            names = ", ".join(check.name for check in self.failed)
            return f"{failed} check(s) failed ({names}), {warned} warning(s)."
        if warned:
            return f"No check failed; {warned} warning(s)."
        return "Every check passed."
