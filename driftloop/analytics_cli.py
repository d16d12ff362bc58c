"""``driftloop usage`` and ``driftloop compare``: through the running service's API, or the store when none runs."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import httpx
from rich.console import Console
from rich.table import Table

from driftloop.errors import ConfigError
from infra.settings import Settings
from schemas import StreamKey, UsageReport, Verdict, VersionComparison

_VERDICT_STYLE = {Verdict.WORSE: "red", Verdict.BETTER: "green", Verdict.MIXED: "yellow", Verdict.DIFFERENT: "cyan"}


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"not an ISO 8601 time: {text!r}") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _api_url(settings: Settings) -> str | None:
    from driftloop.runtime_file import read_runtime

    info = read_runtime(settings)
    return info.api_url if info is not None and info.api_url else None


def _get(url: str, params: dict) -> dict:
    response = httpx.get(url, params={k: v for k, v in params.items() if v is not None}, timeout=600)
    if response.status_code >= 400:
        raise ConfigError(f"the service answered {response.status_code}: {response.text[:500]}")
    return response.json()


def cmd_usage(args: argparse.Namespace, settings: Settings) -> int:
    """Usage over ``--since`` hours (or ``--start``/``--end``): totals, per version, top apps and models."""
    end = _time(args.end) or datetime.now(UTC)
    start = _time(args.start) or end - timedelta(hours=args.since)
    bucket = args.bucket_s or 3600
    url = _api_url(settings)
    if url is not None:
        params = {"start": start.isoformat(), "end": end.isoformat(), "bucket_s": bucket, "app": args.app}
        report = UsageReport.model_validate(_get(f"{url}/v1/usage", params))
    else:
        from analytics import usage_report
        from infra.store import connect

        with connect(settings) as store:
            report = usage_report(store, start, end, bucket, app=args.app)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        _print_usage(report)
    return 0


def _print_usage(report: UsageReport) -> None:
    out = Console()
    t = report.total
    out.print(
        f"[bold]usage {report.start:%Y-%m-%d %H:%M} .. {report.end:%Y-%m-%d %H:%M} UTC[/bold]: "
        f"{t.requests:,} requests, "
        f"{t.users:,} users, {t.sessions:,} sessions, {t.tokens_in + t.tokens_out:,} tokens, ${t.cost_usd:,.4f}"
    )
    table = Table(title="per app / model / version")
    for column in ("app", "model", "version", "requests", "users", "sessions", "req/user", "req/session",
                   "tokens in", "tokens out", "cost $"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("app", "model", "version") else "right")
    for r in report.by_version:
        table.add_row(
            r.app or "", r.model or "", r.model_version or "", f"{r.requests:,}", f"{r.users:,}", f"{r.sessions:,}",
            f"{r.requests_per_user:.2f}" if r.requests_per_user else "-",
            f"{r.requests_per_session:.2f}" if r.requests_per_session else "-",
            f"{r.tokens_in:,}", f"{r.tokens_out:,}", f"{r.cost_usd:,.4f}",
        )  # fmt: skip
    out.print(table)
    out.print("top apps by cost: " + ", ".join(f"{r.app} ${r.cost_usd:,.4f}" for r in report.top_apps))
    out.print("top models by cost: " + ", ".join(f"{r.model} ${r.cost_usd:,.4f}" for r in report.top_models))


def _tag(item: str) -> tuple[str, str]:
    tag, sep, value = item.partition("=")
    if not sep or not tag:
        raise ValueError(f"expected TAG=VALUE, got {item!r}")
    return tag, value


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    """Compare ``args.b`` (MODEL@VERSION) against ``args.a`` on ``args.app``; exit 0 whatever the verdict."""
    try:
        a, b = StreamKey.parse(args.a, app=args.app), StreamKey.parse(args.b, app=args.app)
        experiment = dict(_tag(item) for item in args.experiment or [])
    except ValueError as exc:
        raise ConfigError(f"compare: {exc} (versions as MODEL@VERSION, experiment as TAG=VALUE)") from exc
    start = _time(args.start)
    end = _time(args.end)
    if start is None and args.since is not None:
        start = (end or datetime.now(UTC)) - timedelta(hours=args.since)
    url = _api_url(settings)
    if url is not None:
        params = {
            "app": args.app,
            "a": args.a,
            "b": args.b,
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "experiment": [f"{k}={v}" for k, v in experiment.items()] or None,
        }
        result = VersionComparison.model_validate(_get(f"{url}/v1/compare", params))
    else:
        from analytics import compare_versions
        from infra.store import connect

        with connect(settings) as store:
            result = compare_versions(store, settings, a, b, start, end, experiment=experiment)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        _print_comparison(result)
    return 0


def _print_comparison(result: VersionComparison) -> None:
    out = Console()
    style = _VERDICT_STYLE.get(result.verdict, "bold")
    out.print(
        f"{result.b} vs {result.a}: [{style}]{result.verdict.value}[/{style}] "
        f"(events {result.events_b:,} vs {result.events_a:,}, alpha {result.alpha}, {result.correction})"
    )
    table = Table()
    for column in ("metric", "verdict", "adjusted p", "effect", "evidence"):
        table.add_column(column)
    for m in result.metrics:
        effect = f"{m.effect_size_name} {m.effect_size:+.3f}" if m.effect_size is not None else "-"
        p = f"{m.adjusted_p_value:.2g}" if m.adjusted_p_value is not None else "-"
        table.add_row(m.metric, m.verdict.value, p, effect, m.explanation)
    out.print(table)
