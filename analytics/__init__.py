"""Read-side analytics over the store, served by the API and the CLI.

- :func:`usage_report` / :func:`overall_usage`: users, sessions, requests, tokens and cost over a time range;
- :func:`compare_versions`: version B of an app's model against version A, metric by metric, with a verdict.
"""

from analytics.compare import compare_versions
from analytics.usage import overall_usage, usage_point, usage_report

__all__ = ["compare_versions", "overall_usage", "usage_point", "usage_report"]
