"""``imagefusion bench``: methods × datasets × metrics, with timing, memory, cache and reports."""

from .report import html_report, markdown_report, write_reports
from .runner import BenchResult, MethodSummary, cache_key, machine_description, run_bench, select_methods

__all__ = ["BenchResult", "MethodSummary", "run_bench", "select_methods", "cache_key", "machine_description",
           "write_reports", "markdown_report", "html_report"]
