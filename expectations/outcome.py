"""Plain result objects of a suite run — no Great Expectations or Dagster types leak out of here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warn"]

MAX_EXAMPLES = 10


@dataclass(frozen=True)
class ExpectationOutcome:
    """One GX expectation's verdict, reduced to what a person or a Dagster check needs."""

    name: str  # short and stable, e.g. "keys_unique"
    expectation_type: str  # GX class name, e.g. "ExpectCompoundColumnsToBeUnique"
    severity: Severity
    success: bool
    description: str  # one human sentence: what is expected
    unexpected_count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)  # ≤ 10 offending rows
    reason: str = ""  # why this severity
    observed_value: Any = None  # for aggregate expectations (row count, …), JSON-able
    exception: str | None = None  # set when GX could not evaluate the expectation

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expectation_type": self.expectation_type,
            "severity": self.severity,
            "success": self.success,
            "description": self.description,
            "unexpected_count": self.unexpected_count,
            "examples": self.examples,
            "observed_value": self.observed_value,
            "exception": self.exception,
        }


@dataclass(frozen=True)
class SuiteOutcome:
    """All expectation verdicts of one published table."""

    table: str
    results: list[ExpectationOutcome]
    today: str = ""  # ISO date the time-relative expectations were evaluated against
    seconds: float = 0.0

    @property
    def errors(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.severity == "warn"]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success]

    @property
    def passed(self) -> bool:
        """True when no ERROR-severity expectation failed (warnings do not block)."""
        return not self.errors

    def result(self, name: str) -> ExpectationOutcome:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"{self.table} has no expectation {name!r}; known: {self.names}")

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.results]

    def summary_text(self) -> str:
        failed = self.failed
        head = (
            f"{self.table}: {len(self.results) - len(failed)}/{len(self.results)} expectations "
            f"passed, {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        )
        if self.today:
            head += f" (today = {self.today})"
        lines = [head]
        for r in sorted(failed, key=lambda r: (r.severity != "error", r.name)):
            lines.append(
                f"- {r.severity.upper()} {r.name} [{r.expectation_type}]: {r.description} "
                f"— {r.unexpected_count} unexpected"
                + (f"; observed {r.observed_value!r}" if r.observed_value is not None else "")
            )
            if r.exception:
                lines.append(f"    exception: {r.exception}")
            for row in r.examples:
                lines.append("    " + ", ".join(f"{k}={v!r}" for k, v in row.items()))
            if r.unexpected_count > len(r.examples) and r.examples:
                lines.append(f"    … and {r.unexpected_count - len(r.examples)} more")
        return "\n".join(lines)

    def to_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values for Dagster asset-check metadata."""
        return {
            "table": self.table,
            "today": self.today,
            "passed": self.passed,
            "expectations_evaluated": len(self.results),
            "expectations_failed": len(self.failed),
            "failed_errors": [r.name for r in self.errors],
            "failed_warnings": [r.name for r in self.warnings],
            "unexpected_counts": {r.name: r.unexpected_count for r in self.failed},
            "examples": {r.name: r.examples for r in self.failed if r.examples},
            "exceptions": {r.name: r.exception for r in self.results if r.exception},
            "seconds": round(self.seconds, 3),
            "summary": self.summary_text(),
        }
