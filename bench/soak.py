"""Sustained load: a fixed publish rate for a long time; events/s, consumer lag and RSS over time.

``driftloop up`` runs as a subprocess on a fresh local broker. Every ``--sample-s`` seconds the
bench records the stored-event rate, the summed consumer lag, and the resident memory of the
service process (and, apart, of the local broker, which keeps every message in memory). RSS
"levels off" when the slope of a line fitted to the last half of the service's samples is below
``--max-slope-mb-per-min``. Prints JSON; writes a plot next to it (PNG when kaleido is installed,
otherwise an HTML file, said so in the JSON).

    python bench/soak.py                 # 10 minutes at 200 events/s
    python bench/soak.py --minutes 3 --rate 300
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import psutil
from _harness import bench_event, running_service
from rich.console import Console

from driftloop import Publisher

err = Console(stderr=True)


class RatePublisher(threading.Thread):
    def __init__(self, bootstrap: str, settings, rate: float, seconds: float) -> None:
        super().__init__(daemon=True)
        self.bootstrap, self.settings, self.rate, self.seconds = bootstrap, settings, rate, seconds
        self.published = 0

    def run(self) -> None:
        start = datetime.now(UTC)
        began = time.monotonic()
        with Publisher(self.bootstrap, self.settings) as publisher:
            while (elapsed := time.monotonic() - began) < self.seconds:
                due = int(elapsed * self.rate)
                while self.published < due:
                    publisher.publish_inference(bench_event(self.published, start, prefix="soak"))
                    self.published += 1
                time.sleep(0.02)


def slope_per_min(times_s: list[float], values: list[float]) -> float:
    """Least-squares slope of ``values`` per minute (0 with fewer than 3 points)."""
    if len(times_s) < 3:
        return 0.0
    return float(np.polyfit(np.asarray(times_s) / 60.0, np.asarray(values), 1)[0])


def broker_process(bootstrap: str) -> psutil.Process | None:
    port = int(bootstrap.rsplit(":", 1)[1])
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return psutil.Process(conn.pid)
    return None


def write_plot(samples: list[dict], out: Path) -> tuple[str, str]:
    """Events/s, lag and RSS over time; PNG via kaleido when installed, else HTML."""
    from plotly.subplots import make_subplots

    t = [s["t_s"] for s in samples]
    figure = make_subplots(
        rows=3, cols=1, shared_xaxes=True, subplot_titles=("stored events/s", "consumer lag", "RSS (MB)")
    )
    figure.add_scatter(x=t, y=[s["stored_per_s"] for s in samples], name="stored/s", row=1, col=1)
    figure.add_scatter(x=t, y=[s["lag"] for s in samples], name="lag", row=2, col=1)
    figure.add_scatter(x=t, y=[s["service_rss_mb"] for s in samples], name="service RSS", row=3, col=1)
    figure.add_scatter(x=t, y=[s["broker_rss_mb"] for s in samples], name="local broker RSS", row=3, col=1)
    figure.update_xaxes(title_text="seconds", row=3, col=1)
    try:
        import kaleido  # noqa: F401

        path = out.with_suffix(".png")
        figure.write_image(path, width=1000, height=900)
        return str(path), "png"
    except ImportError:
        path = out.with_suffix(".html")
        figure.write_html(path, include_plotlyjs="cdn")
        return str(path), "html (kaleido is not installed, so no PNG writer is available)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0, help="events published per second")
    parser.add_argument("--sample-s", type=float, default=5.0)
    parser.add_argument("--max-slope-mb-per-min", type=float, default=1.0)
    parser.add_argument("--embedding", action="store_true", help="embed events (the default bench does not)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "soak")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    seconds = args.minutes * 60
    env = {"DRIFTLOOP_EMBEDDING__ENABLED": "true" if args.embedding else "false"}
    with running_service(**env) as service:
        proc = psutil.Process(service.process.pid)
        broker = broker_process(service.bootstrap_servers)
        publisher = RatePublisher(service.bootstrap_servers, service.settings, args.rate, seconds)
        samples: list[dict] = []
        began = time.monotonic()
        publisher.start()
        last_stored, last_t = 0, 0.0
        while publisher.is_alive():
            time.sleep(args.sample_s)
            status = httpx.get(f"{service.api_url}/v1/status", timeout=60).json()
            t = time.monotonic() - began
            stored = status["table_counts"]["inference"]
            sample = {
                "t_s": round(t, 1),
                "published": publisher.published,
                "stored": stored,
                "stored_per_s": round((stored - last_stored) / (t - last_t), 1),
                "lag": sum(x["lag"] for x in status["consumer_lag"]),
                "service_rss_mb": round(proc.memory_info().rss / 2**20, 1),
                "broker_rss_mb": round(broker.memory_info().rss / 2**20, 1) if broker else None,
            }
            samples.append(sample)
            last_stored, last_t = stored, t
            err.print(sample)
        publisher.join()
        drained_at = time.time()  # wait_stored answers with the service's own Unix time
        drain_s = service.wait_stored(publisher.published, "draining") - drained_at
    half = samples[len(samples) // 2 :]
    service_slope = slope_per_min([s["t_s"] for s in half], [s["service_rss_mb"] for s in half])
    broker_slope = slope_per_min([s["t_s"] for s in half], [s["broker_rss_mb"] for s in half]) if broker else None
    plot, plot_kind = write_plot(samples, args.out)
    rates = [s["stored_per_s"] for s in samples[1:]]
    print(
        json.dumps(
            {
                "minutes": args.minutes,
                "target_rate": args.rate,
                "embedding": args.embedding,
                "published": publisher.published,
                "stored_per_s_mean": round(float(np.mean(rates)), 1) if rates else None,
                "stored_per_s_min": min(rates) if rates else None,
                "lag_max": max(s["lag"] for s in samples),
                "lag_last": samples[-1]["lag"],
                "drain_after_publishing_s": round(drain_s, 1),
                "service_rss_mb_first": samples[0]["service_rss_mb"],
                "service_rss_mb_last": samples[-1]["service_rss_mb"],
                "service_rss_slope_last_half_mb_per_min": round(service_slope, 3),
                "service_rss_levels_off": service_slope < args.max_slope_mb_per_min,  # falling counts as level
                "broker_rss_slope_last_half_mb_per_min": round(broker_slope, 3) if broker_slope is not None else None,
                "plot": plot,
                "plot_format": plot_kind,
                "samples": samples,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
