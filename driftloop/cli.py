"""The ``driftloop`` command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import httpx
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from rich.console import Console
from rich.table import Table

from driftloop.audit_cli import add_audit_arguments, cmd_audit
from driftloop.errors import ConfigError, DriftloopError
from driftloop.signals_cli import add_signals_arguments, cmd_signals
from infra.settings import Settings
from schemas import StreamKey

console = Console(stderr=True)


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment and ``--config``, with ``--data-dir`` on top; errors name the setting."""
    if args.config is not None:
        if not args.config.is_file():
            raise ConfigError(f"--config: no such file: {args.config}")
        os.environ["DRIFTLOOP_CONFIG"] = str(args.config)
    overrides = {"data_dir": args.data_dir} if args.data_dir is not None else {}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(setting_problem(error) for error in exc.errors(include_url=False))
        raise ConfigError(f"invalid configuration: {problems}") from exc


def setting_problem(error: ErrorDetails) -> str:
    """One validation error as ``setting.path: what is wrong`` (a bad map key: ``path: key 'x': ...``).

    >>> setting_problem({"loc": ("monitor", "policies", "mmdd", "[key]"), "msg": "Input should be 'mmd'",
    ...                  "type": "literal_error", "input": "mmdd"})
    "monitor.policies: key 'mmdd': Input should be 'mmd'"
    >>> setting_problem({"loc": ("drift", "alpah"), "msg": "Extra inputs are not permitted",
    ...                  "type": "extra_forbidden", "input": 0.01})
    'drift.alpah: no such setting'
    >>> setting_problem({"loc": (), "msg": "Value error, drift.alpha is too low", "type": "value_error", "input": {}})
    'drift.alpha is too low'
    """
    loc = [str(part) for part in error["loc"]]
    message = "no such setting" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
    if loc and loc[-1] == "[key]":
        return f"{'.'.join(loc[:-2])}: key {loc[-2]!r}: {message}"
    return f"{'.'.join(loc)}: {message}" if loc else message


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.service import serve
    from driftloop.startup import build_scorer

    demo_stop = threading.Event()
    demo_thread: threading.Thread | None = None

    def on_ready(running) -> None:
        nonlocal demo_thread
        table = Table(title="driftloop is up", show_header=False)
        table.add_row("Kafka", running.bootstrap_servers + ("" if settings.kafka.bootstrap_servers else " (local)"))
        table.add_row("ClickHouse", running.store.dsn)
        table.add_row("API", running.api_url or "-")
        table.add_row("Data dir", str(settings.data_dir.absolute()))
        console.print(table)
        if args.demo:
            from driftloop.demo_runner import start_demo_thread

            demo_thread = start_demo_thread(
                settings, running.bootstrap_servers, rate=args.demo_rate, count=args.demo_count, stop=demo_stop
            )
            console.print(
                f"demo traffic: {args.demo_rate:g} events/s"
                + (f", {args.demo_count} events" if args.demo_count else "")
            )
        console.print("Ctrl-C to stop.")

    def on_stop() -> None:
        demo_stop.set()
        if demo_thread is not None:
            demo_thread.join(timeout=10)

    serve(settings, scorer=build_scorer(settings), on_ready=on_ready, on_stop=on_stop)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.service import run_worker
    from driftloop.startup import build_scorer

    run_worker(settings, scorer=build_scorer(settings))
    return 0


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.service import run_api

    run_api(settings)
    return 0


def _lines(source: str) -> Iterable[bytes]:
    with contextlib.nullcontext(sys.stdin.buffer) if source == "-" else Path(source).open("rb") as stream:
        for line in stream:
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.publisher import Publisher
    from driftloop.service import discover_bootstrap

    if args.source != "-" and not Path(args.source).is_file():
        raise ConfigError(f"publish: no such file: {args.source}")
    count = 0
    with Publisher(discover_bootstrap(settings), settings) as publisher:
        for line in _lines(args.source):
            publisher.publish_raw(args.kind, line, key=_event_id(line))
            count += 1
    print(json.dumps({"published": count, "topic": settings.topic(args.kind)}))
    return 0


def _event_id(line: bytes) -> str | None:
    """The key to publish under: the event id when the line has one (malformed lines are sent unkeyed)."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    event_id = value.get("event_id") if isinstance(value, dict) else None
    return event_id if isinstance(event_id, str) else None


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.demo_runner import publish_demo
    from driftloop.service import discover_bootstrap

    summary = publish_demo(
        settings,
        discover_bootstrap(settings),
        count=args.count,
        rate=args.rate,
        seed=args.seed,
        shift_at=args.shift_at,
        shift_fraction=args.shift_fraction,
        unsafe_at=args.unsafe_at,
        unsafe_fraction=args.unsafe_fraction,
    )
    print(json.dumps(summary))
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.runtime_file import read_runtime

    info = read_runtime(settings)
    if info is not None and info.api_url:
        response = httpx.get(f"{info.api_url}/v1/status", timeout=30)
        response.raise_for_status()
        report = response.json()
    else:
        report = _offline_status(settings)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_status(report)
    return 0


def _offline_status(settings: Settings) -> dict:
    """No service running: read the store directly (nobody else owns it)."""
    from infra.store import connect

    with connect(settings) as store:
        counts = store.table_counts()
        return {
            "ready": False,
            "bootstrap_servers": "",
            "clickhouse": store.dsn,
            "table_counts": counts,
            "dead_letters": counts.get("dead_letters", 0),
            "consumer_lag": [],
            "problems": ["driftloop is not running"],
        }


def _print_status(report: dict) -> None:
    out = Console()
    table = Table(title="driftloop status")
    table.add_column("what")
    table.add_column("value", justify="right")
    for name, count in sorted(report["table_counts"].items()):
        table.add_row(f"rows in {name}", f"{count:,}")
    table.add_row("dead letters", f"{report['dead_letters']:,}")
    for lag in report["consumer_lag"]:
        table.add_row(f"lag {lag['group']} / {lag['topic']}", f"{lag['lag']:,}")
    windows = report.get("drift_windows")
    if windows is not None:
        table.add_row("drift windows evaluated", f"{windows['windows_evaluated']:,} in {windows['runs']:,} runs")
        table.add_row("drift windows evaluable before", windows["evaluable_before"] or "-")
        if windows["held_back_s"]:
            table.add_row("held back by events still on the broker", f"{windows['held_back_s']:,.0f} s")
    for firing in report.get("firing_signals", []):
        table.add_row("[red]signal firing[/red]", firing)
    out.print(table)
    out.print(f"Kafka: {report['bootstrap_servers'] or '-'}   ClickHouse: {report['clickhouse']}")
    for problem in report["problems"]:
        out.print(f"[yellow]! {problem}[/yellow]")
    if windows is not None and windows["last_error"]:
        out.print(f"[yellow]! drift monitor: {windows['last_error']}[/yellow]")


def cmd_retrain(args: argparse.Namespace, settings: Settings) -> int:
    """``retrain list`` shows runs; ``retrain APP/MODEL@VERSION`` triggers one now."""
    from driftloop.runtime_file import read_runtime

    info = read_runtime(settings)
    if info is not None:
        return _retrain_through_api(args, info.api_url or "")
    from infra.store import connect
    from retrain import PolicyDecision, format_runs, list_runs, trigger_retrain

    with connect(settings) as store:
        if args.target == "list":
            stream = StreamKey.parse(args.stream) if args.stream else None
            print(format_runs(list_runs(store, stream), settings.retrain.gate_metric))
            return 0
        result = trigger_retrain(settings, store, StreamKey.parse(args.target), reason=args.reason)
        if isinstance(result, PolicyDecision):
            console.print(f"not retrained: {result.reason}")
            return 1
        print(format_runs([result], settings.retrain.gate_metric))
    return 0


def _retrain_through_api(args: argparse.Namespace, api_url: str) -> int:
    if args.target == "list":
        params = StreamKey.parse(args.stream).model_dump() if args.stream else {}
        response = httpx.get(f"{api_url}/v1/retrain/runs", params=params, timeout=60)
    else:
        stream = StreamKey.parse(args.target)
        response = httpx.post(
            f"{api_url}/v1/retrain", json={"stream": stream.model_dump(), "reason": args.reason}, timeout=600
        )
    if response.status_code >= 400:
        raise ConfigError(f"retrain: the service answered {response.status_code}: {response.text[:500]}")
    print(json.dumps(response.json(), indent=2))
    return 0


def cmd_alerts_tail(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.service import discover_bootstrap
    from monitor.alerting import tail_alerts

    tail_alerts(settings, discover_bootstrap(settings), from_beginning=args.from_beginning, limit=args.limit)
    return 0


def cmd_reference(args: argparse.Namespace, settings: Settings) -> int:
    """Pin, show or clear a stream's reference window (through the running service when there is one)."""
    from driftloop.runtime_file import read_runtime

    stream = StreamKey.parse(args.stream)
    if args.action == "set" and (args.start is None or args.end is None):
        raise ConfigError("reference set: --start and --end are required")
    info = read_runtime(settings)
    if info is not None:
        params = stream.model_dump()
        url = f"{info.api_url}/v1/reference"
        if args.action == "set":
            body = {"stream": params, "start": args.start, "end": args.end, "note": args.note}
            response = httpx.post(url, json=body, timeout=60)
        elif args.action == "clear":
            response = httpx.delete(url, params=params, timeout=60)
        else:
            response = httpx.get(url, params=params, timeout=60)
        if response.status_code >= 400:
            raise ConfigError(f"reference {args.action}: the service answered {response.status_code}: {response.text}")
        print(response.text or "{}")
        return 0
    from infra.store import connect
    from monitor.windows import clear_reference, set_reference, show_reference

    with connect(settings) as store:
        if args.action == "set":
            pin = set_reference(
                store, stream, _iso(args.start), _iso(args.end), min_samples=settings.drift.min_samples, note=args.note
            )
            print(pin)
        elif args.action == "clear":
            clear_reference(store, stream)
            print(f"reference of {stream} cleared")
        else:
            print(show_reference(store, stream) or f"{stream} has no pinned reference")
    return 0


def _iso(text: str):
    from datetime import UTC, datetime

    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"not an ISO time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cmd_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.service import run_scheduler

    run_scheduler(settings)
    return 0


def cmd_schemas_export(args: argparse.Namespace, settings: Settings) -> int:
    from driftloop.schema_export import SCHEMA_DIR, export_schemas

    for path in export_schemas(args.out or SCHEMA_DIR):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="driftloop", description="Monitoring and feedback loop for LLM applications.")
    parser.add_argument("--config", type=Path, help="TOML settings file (also DRIFTLOOP_CONFIG)")
    parser.add_argument("--data-dir", type=Path, help="where the embedded store, logs and reports live")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run everything on this machine (local broker unless configured)")
    up.add_argument("--demo", action="store_true", help="also publish demo traffic")
    up.add_argument("--demo-rate", type=_positive_float, default=20.0, help="demo events per second")
    up.add_argument("--demo-count", type=_positive_int, default=None, help="stop the demo after this many events")
    up.set_defaults(handler=cmd_up)

    commands.add_parser("worker", help="run worker agents only (scale out)").set_defaults(handler=cmd_worker)
    commands.add_parser("api", help="run the HTTP API alone (no `driftloop up` on this store)").set_defaults(
        handler=cmd_api
    )

    publish = commands.add_parser("publish", help="publish JSON lines from a file or stdin")
    publish.add_argument("source", help="JSONL file, or - for stdin")
    publish.add_argument("--kind", choices=["inference", "feedback"], default="inference")
    publish.set_defaults(handler=cmd_publish)

    demo = commands.add_parser("demo", help="publish generated traffic")
    demo.add_argument("--count", type=_positive_int, default=1000)
    demo.add_argument("--rate", type=_positive_float, default=None, help="events/s (default: as fast as possible)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--shift-at", type=_non_negative_int, default=None, help="event index where a shift starts")
    demo.add_argument("--shift-fraction", type=_fraction, default=0.3)
    demo.add_argument(
        "--unsafe-at", type=_non_negative_int, default=None, help="event index where unsafe prompts start"
    )
    demo.add_argument("--unsafe-fraction", type=_fraction, default=0.05)
    demo.set_defaults(handler=cmd_demo)

    status = commands.add_parser("status", help="row counts, dead letters, consumer lag")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)

    retrain = commands.add_parser("retrain", help="trigger a retraining run, or list runs")
    retrain.add_argument("target", help="APP/MODEL@VERSION to retrain now, or 'list'")
    retrain.add_argument("--stream", help="with 'list': only this APP/MODEL@VERSION")
    retrain.add_argument("--reason", default="manual trigger from the command line")
    retrain.set_defaults(handler=cmd_retrain)

    alerts = commands.add_parser("alerts", help="follow alerts")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    tail = alerts_sub.add_parser("tail", help="follow the alerts topic in the terminal")
    tail.add_argument("--from-beginning", action="store_true")
    tail.add_argument("--limit", type=_positive_int, default=None, help="stop after this many alerts")
    tail.set_defaults(handler=cmd_alerts_tail)

    reference = commands.add_parser("reference", help="pin, show or clear a stream's reference window")
    reference.add_argument("action", choices=["set", "show", "clear"])
    reference.add_argument("stream", help="APP/MODEL@VERSION")
    reference.add_argument("--start", help="ISO time (set)")
    reference.add_argument("--end", help="ISO time (set)")
    reference.add_argument("--note", default="")
    reference.set_defaults(handler=cmd_reference)

    commands.add_parser(
        "scheduler", help="drift windows, alerts and retraining alone (with a ClickHouse server)"
    ).set_defaults(handler=cmd_scheduler)

    audit = commands.add_parser("audit", help="audit trail: alert transitions, retraining, references, promotions")
    add_audit_arguments(audit)
    audit.set_defaults(handler=cmd_audit)
    signals = commands.add_parser("signals", help="each stream's latest signal results: value, reference, verdict")
    add_signals_arguments(signals)
    signals.set_defaults(handler=cmd_signals)

    usage = commands.add_parser("usage", help="users, sessions, requests, tokens and cost per app/model/version")
    usage.add_argument("--since", type=_positive_float, default=24.0, help="hours back (default 24)")
    usage.add_argument("--start", help="ISO time; overrides --since")
    usage.add_argument("--end", help="ISO time (default now)")
    usage.add_argument("--bucket-s", dest="bucket_s", type=_positive_int)
    usage.add_argument("--app")
    usage.add_argument("--json", action="store_true")
    usage.set_defaults(handler=_analytics("cmd_usage"))

    compare = commands.add_parser("compare", help="compare two versions: driftloop compare APP MODEL@A MODEL@B")
    compare.add_argument("app")
    compare.add_argument("a", metavar="MODEL@VERSION_A")
    compare.add_argument("b", metavar="MODEL@VERSION_B")
    compare.add_argument("--since", type=_positive_float, help="hours back")
    compare.add_argument("--start", help="ISO time")
    compare.add_argument("--end", help="ISO time")
    compare.add_argument("--experiment", action="append", metavar="TAG=VALUE", help="a tag both versions share")
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(handler=_analytics("cmd_compare"))

    schemas_cmd = commands.add_parser("schemas", help="JSON Schema files for producers")
    schemas_sub = schemas_cmd.add_subparsers(dest="schemas_command", required=True, metavar="ACTION")
    export = schemas_sub.add_parser("export", help="write the JSON Schema files")
    export.add_argument("--out", type=Path, default=None)
    export.set_defaults(handler=cmd_schemas_export)
    return parser


def _analytics(name: str):
    """A handler from driftloop.analytics_cli, imported when the command runs."""

    def handler(args: argparse.Namespace, settings: Settings) -> int:
        from driftloop import analytics_cli

        return getattr(analytics_cli, name)(args, settings)

    return handler


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings(args)
        return args.handler(args, settings)
    except DriftloopError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
