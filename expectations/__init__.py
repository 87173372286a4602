"""Data-quality suites for the published warehouse tables, run with Great Expectations 1.x.

    from expectations import run_suite
    outcome = run_suite(con, "fact_control_daily", today=datetime.date(2026, 11, 25))
    outcome.passed, outcome.errors, outcome.warnings, outcome.summary_text(), outcome.to_metadata()

Importing this package is cheap: Great Expectations (and pandas) are imported on the first run.
No Dagster here — the asset checks in orchestration/ call these functions.
"""

from .cadence import CADENCE
from .outcome import ExpectationOutcome, SuiteOutcome
from .runner import run_suite, run_suites
from .suites import Spec, specs_for

__all__ = [
    "CADENCE",
    "ExpectationOutcome",
    "Spec",
    "SuiteOutcome",
    "run_suite",
    "run_suites",
    "specs_for",
]
