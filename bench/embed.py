"""Embedding throughput of every backend against the fp32 baseline, measured side by side in one run.

Prints JSON to stdout: texts/s per backend, speed-up over fp32, mean / min cosine to the fp32 vectors of the
same texts, and what a cache hit costs. Progress goes to stderr. Texts are CLINC150 queries when
``../shared/data`` is present (read for measuring only), else driftloop's generated queries.

    python bench/embed.py --n 2000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console

from detectors.embedding import BackendUnavailableError, CachedEmbedder, Embedder, build_embedder
from detectors.embedding.calibration import calibration_texts
from detectors.embedding.validation import row_cosines

CLINC = Path(__file__).resolve().parents[2] / "shared" / "data" / "clinc150" / "clinc150_full.jsonl"
FAST_BACKENDS = ("openvino-int8", "bf16", "onnx-int8")
console = Console(stderr=True)


def load_texts(n: int, seed: int) -> tuple[list[str], str]:
    """``n`` distinct short queries, shuffled."""
    if CLINC.is_file():
        rows = [json.loads(line)["text"] for line in CLINC.read_text().splitlines() if line.strip()]
        source = "clinc150"
    else:
        rows = calibration_texts(4 * n, seed=seed + 100)
        source = "driftloop-generated"
    rows = list(dict.fromkeys(rows))
    random.Random(seed).shuffle(rows)
    return rows[:n], source


def throughput(embedder: Embedder, texts: list[str], repeats: int) -> tuple[float, np.ndarray]:
    """Best texts/s over ``repeats`` full passes (after a warm-up), and the vectors."""
    embedder.embed(texts[:64])
    best = float("inf")
    vectors = np.empty(0)
    for _ in range(repeats):
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best, vectors


def cache_hit_cost(inner: Embedder, texts: list[str], n_calls: int = 20_000) -> dict[str, float]:
    """Microseconds per single-text hit, per text of an all-hit batch, and per single-text miss."""
    cached = CachedEmbedder(inner, max_entries=len(texts) + 1)
    cached.embed(texts)
    started = time.perf_counter()
    for i in range(n_calls):
        cached.embed([texts[i % len(texts)]])
    single = (time.perf_counter() - started) / n_calls
    started = time.perf_counter()
    cached.embed(texts)
    batch = (time.perf_counter() - started) / len(texts)
    fresh = [f"{t} (variant {i})" for i, t in enumerate(texts[:50])]
    started = time.perf_counter()
    for text in fresh:
        cached.embed([text])
    miss = (time.perf_counter() - started) / len(fresh)
    return {
        "single_hit_us": round(single * 1e6, 2),
        "batch_hit_us_per_text": round(batch * 1e6, 2),
        "single_miss_us": round(miss * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="texts per pass")
    parser.add_argument("--repeats", type=int, default=2, help="passes per backend; the best is kept")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--backends", nargs="+", default=list(FAST_BACKENDS), choices=FAST_BACKENDS)
    parser.add_argument("--artefact-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    texts, source = load_texts(args.n, args.seed)
    common = {
        "batch_size": args.batch_size,
        "max_seq_length": args.max_seq_length,
        "cache_size": 0,
        "artefact_dir": args.artefact_dir,
    }
    console.log(f"{len(texts)} texts from {source}; building backends (cached after the first run)")
    embedders: dict[str, Embedder] = {}
    build_s: dict[str, float] = {}
    unavailable: dict[str, str] = {}
    for backend in ("fp32", *args.backends):
        started = time.perf_counter()
        try:
            embedders[backend] = build_embedder(backend, **common)  # type: ignore[arg-type]
        except BackendUnavailableError as exc:
            unavailable[backend] = str(exc)
            console.log(f"[yellow]{backend} unavailable: {exc}")
            continue
        build_s[backend] = round(time.perf_counter() - started, 2)

    # fp32 is measured first and last so a change in machine load between them shows up
    order = ["fp32", *[b for b in args.backends if b in embedders], "fp32"]
    speeds: dict[str, list[float]] = {}
    vectors: dict[str, np.ndarray] = {}
    for backend in order:
        console.log(f"measuring {backend}")
        tps, vectors[backend] = throughput(embedders[backend], texts, args.repeats)
        speeds.setdefault(backend, []).append(tps)
    baseline = float(np.mean(speeds["fp32"]))
    reference = vectors["fp32"]

    results = {}
    for backend in ["fp32", *[b for b in args.backends if b in embedders]]:
        tps = float(np.mean(speeds[backend]))
        cos = row_cosines(vectors[backend], reference)
        results[backend] = {
            "name": embedders[backend].name,
            "texts_per_s": round(tps, 1),
            "speedup_vs_fp32": round(tps / baseline, 2),
            "mean_cosine_to_fp32": round(float(cos.mean()), 5),
            "min_cosine_to_fp32": round(float(cos.min()), 4),
            "p1_cosine_to_fp32": round(float(np.percentile(cos, 1)), 4),
            "load_s": build_s[backend],
        }
    results["fp32"]["texts_per_s_first_last"] = [round(s, 1) for s in speeds["fp32"]]
    fast = [b for b in args.backends if b in embedders and results[b]["mean_cosine_to_fp32"] >= 0.99]
    fastest = max(fast, key=lambda b: results[b]["texts_per_s"], default="fp32")
    console.log("measuring cache hits")
    report = {
        "texts": len(texts),
        "source": source,
        "batch_size": args.batch_size,
        "max_seq_length": args.max_seq_length,
        "backends": results,
        "unavailable": unavailable,
        "fastest_with_mean_cosine_ge_0.99": fastest,
        "cache": cache_hit_cost(embedders[fastest], texts),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
