"""``driftloop signals [APP/MODEL@VERSION]``: each stream's latest signal results, with reference and verdict."""

from __future__ import annotations

import argparse
import json

import httpx
from rich.console import Console
from rich.table import Table

from driftloop.errors import ConfigError
from infra.settings import Settings
from schemas import DriftDecision, DriftResult, StreamKey

VERDICTS = {
    DriftDecision.DRIFT: "[red]breach[/red]",
    DriftDecision.NO_DRIFT: "ok",
    DriftDecision.INSUFFICIENT_DATA: "[dim]insufficient data[/dim]",
}


def add_signals_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stream", nargs="?", help="APP/MODEL@VERSION (default: every stream)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def cmd_signals(args: argparse.Namespace, settings: Settings) -> int:
    stream = StreamKey.parse(args.stream) if args.stream else None
    results = fetch_signals(settings, stream)
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
    else:
        print_signals(results)
    return 0


def fetch_signals(settings: Settings, stream: StreamKey | None) -> list[DriftResult]:
    """Ask the running service when there is one (it owns the store); otherwise open the store."""
    from driftloop.runtime_file import read_runtime

    info = read_runtime(settings)
    if info is not None and info.api_url:
        params = {} if stream is None else stream.model_dump()
        response = httpx.get(f"{info.api_url}/v1/signals", params=params, timeout=60)
        if response.status_code >= 400:
            raise ConfigError(f"signals: the service answered {response.status_code}: {response.text[:500]}")
        return [DriftResult.model_validate(row) for row in response.json()]
    from infra.store import connect

    with connect(settings) as store:
        return store.drift.latest_signals(stream)


def print_signals(results: list[DriftResult], console: Console | None = None) -> None:
    table = Table(title="driftloop signals (latest window of each rule)")
    for column in ("stream", "rule", "window (UTC)", "value, reference, effect", "p (corrected)", "verdict"):
        table.add_column(column, overflow="fold")
    for r in results:
        p = r.adjusted_p_value if r.adjusted_p_value is not None else r.p_value
        table.add_row(
            str(r.stream),
            r.detector.removeprefix("signal."),
            "" if r.window_start is None else f"{r.window_start:%Y-%m-%d %H:%M:%S}",
            r.explanation,
            "" if p is None else f"{p:.2g}",
            VERDICTS[r.decision],
        )
    (console or Console()).print(table)
