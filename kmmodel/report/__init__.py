"""HTML reports from the scenario notebooks (``kmmodel report``).

See :func:`kmmodel.report.runner.run_reports`.
"""

from kmmodel.report.runner import NotebookRun, ReportRun, run_reports

__all__ = ["NotebookRun", "ReportRun", "run_reports"]
