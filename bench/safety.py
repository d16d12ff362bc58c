"""Safety detectors on public evaluation sets: AUROC and TPR at 1% FPR, overall and per dataset.

Prints one JSON document to stdout; progress goes to stderr. The public sets are read from
``../shared/data`` (or ``--data``) and used only here, never for training: every probe is trained on the
texts driftloop ships (``detectors/safety/data``).

Usage::

    python bench/safety.py [--data DIR] [--clinc N] [--davidson N] [--pii N] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors.safety import (  # noqa: E402
    HarmfulRequestDetector,
    JailbreakDetector,
    PiiKind,
    ProbeTask,
    RefusalDetector,
    SafetyBatch,
    ToxicityDetector,
    count_pii,
    default_probe,
)
from detectors.safety.pii import luhn_valid  # noqa: E402
from schemas.safety import SafetyTarget  # noqa: E402


def log(msg: str) -> None:
    print(f"[bench/safety] {msg}", file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def prompt_sets(data: Path, n_clinc: int, seed: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(attack sets, benign sets) of prompt texts."""
    jbb = data / "jailbreakbench"
    pi = data / "prompt_injection"
    attacks = {
        "jbb_artifacts": [r["text"] for r in read_jsonl(jbb / "jbb_attack_artifacts.jsonl")],
        "inthewild_jailbreak": [
            r["text"] for r in read_jsonl(data / "jailbreak_inthewild" / "inthewild_jailbreak_prompts.jsonl")
        ],
        "giskard_injection": [r["text"] for r in read_jsonl(pi / "giskard_prompt_injections.jsonl")],
        "bipia_injection": [r["text"] for r in read_jsonl(pi / "bipia_attacks.jsonl")],
        "harmbench_harmful": [r["text"] for r in read_jsonl(jbb / "harmbench_standard_behaviors.jsonl")],
        "jbb_harmful": [r["text"] for r in read_jsonl(jbb / "jbb_harmful_behaviors.jsonl")],
    }
    xstest = read_csv(data / "xstest" / "xstest_prompts.csv")
    clinc = [r["text"] for r in read_jsonl(data / "clinc150" / "clinc150_full.jsonl") if r["split"] == "test"]
    benign = {
        "notinject": [r["text"] for r in read_jsonl(pi / "notinject_benign.jsonl")],
        "xstest_safe": [r["prompt"] for r in xstest if r["label"] == "safe"],
        "jbb_benign": [r["text"] for r in read_jsonl(jbb / "jbb_benign_behaviors.jsonl")],
        "clinc150": random.Random(seed).sample(clinc, min(n_clinc, len(clinc))),
    }
    return attacks, benign


def toxicity_sets(data: Path, n_davidson: int, seed: int) -> dict[str, tuple[list[str], list[int]]]:
    """Per dataset: texts and 0/1 toxic labels."""
    hx = read_jsonl(data / "toxicity_hatexplain" / "hatexplain_val_test.jsonl")
    tg = read_jsonl(data / "toxicity_toxigen" / "toxigen_seed_sentences.jsonl")
    dv = read_csv(data / "toxicity_davidson" / "davidson_labeled.csv")
    dv = random.Random(seed).sample(dv, min(n_davidson, len(dv)))
    return {
        "hatexplain": ([r["text"] for r in hx], [int(r["toxic"]) for r in hx]),
        "davidson": ([r["text"] for r in dv], [int(r["label"] != "neither") for r in dv]),
        "toxigen": ([r["text"] for r in tg], [int(r["toxic"]) for r in tg]),
    }


class CachingEmbedder:
    """Wraps an embedder with an on-disk cache so repeated bench runs skip the model."""

    def __init__(self, inner, cache_dir: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)

    def embed(self, texts):
        texts = list(texts)
        key = hashlib.sha256(("\x00".join([self.name, *texts])).encode()).hexdigest()[:24]
        path = self.cache_dir / f"{key}.npy"
        if path.exists():
            return np.load(path)
        start = time.perf_counter()
        out = self.inner.embed(texts)
        log(f"embedded {len(texts)} texts in {time.perf_counter() - start:.1f}s")
        np.save(path, out)
        return out


def build(cache_dir: Path) -> CachingEmbedder:
    from detectors.embedding import build_embedder

    return CachingEmbedder(build_embedder("fp32", cache_size=0), cache_dir)


def metrics(pos: np.ndarray, neg: np.ndarray, max_fpr: float = 0.01) -> dict[str, float]:
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    s = np.r_[pos, neg]
    fpr, tpr, _ = roc_curve(y, s)
    return {
        "auroc": round(float(roc_auc_score(y, s)), 4),
        f"tpr_at_{max_fpr:.0%}_fpr": round(float(tpr[fpr <= max_fpr].max()), 4),
        "n_pos": len(pos),
        "n_neg": len(neg),
    }


def threshold_at_fpr(neg: np.ndarray, max_fpr: float = 0.01) -> float:
    """Smallest score threshold whose false-positive rate on ``neg`` is at most ``max_fpr``."""
    return float(np.quantile(neg, 1 - max_fpr, method="higher")) + 1e-12


def evaluate_prompts(embedder, data: Path, n_clinc: int, seed: int) -> dict:
    attacks, benign = prompt_sets(data, n_clinc, seed)
    jb = JailbreakDetector(probe=default_probe(ProbeTask.JAILBREAK, embedder))
    hr = HarmfulRequestDetector(probe=default_probe(ProbeTask.HARMFUL, embedder))
    scores: dict[str, dict[str, np.ndarray]] = {}
    for name, texts in {**attacks, **benign}.items():
        emb = embedder.embed(texts)
        batch = SafetyBatch([str(i) for i in range(len(texts))], texts, [""] * len(texts), emb, None)
        j = np.array([s.score for s in jb.score(batch)])
        h = np.array([s.score for s in hr.score(batch)])
        scores[name] = {"jailbreak": j, "harmful": h, "combined": np.maximum(j, h)}
    out: dict = {}
    for scorer in ("combined", "jailbreak", "harmful"):
        neg = np.concatenate([scores[n][scorer] for n in benign])
        pos = np.concatenate([scores[n][scorer] for n in attacks])
        thr = threshold_at_fpr(neg)
        pos_no_bipia = np.concatenate([scores[n][scorer] for n in attacks if n != "bipia_injection"])
        out[scorer] = {
            "overall": metrics(pos, neg),
            "overall_excluding_bipia": metrics(pos_no_bipia, neg),
            "threshold_at_1%_fpr": round(thr, 4),
            "attack_sets": {
                n: {
                    **metrics(scores[n][scorer], neg),
                    "tpr_at_global_threshold": round(float((scores[n][scorer] >= thr).mean()), 4),
                }
                for n in attacks
            },
            "benign_sets_fpr_at_global_threshold": {
                n: round(float((scores[n][scorer] >= thr).mean()), 4) for n in benign
            },
            "benign_sets_fpr_at_0.5": {n: round(float((scores[n][scorer] >= 0.5).mean()), 4) for n in benign},
        }
    return out


def evaluate_toxicity(embedder, data: Path, n_davidson: int, seed: int) -> dict:
    sets = toxicity_sets(data, n_davidson, seed)
    det = ToxicityDetector(probe=default_probe(ProbeTask.TOXICITY, embedder), target=SafetyTarget.PROMPT)
    out: dict = {}
    all_s, all_y = [], []
    for name, (texts, labels) in sets.items():
        emb = embedder.embed(texts)
        batch = SafetyBatch([str(i) for i in range(len(texts))], texts, [""] * len(texts), emb, None)
        s = np.array([x.score for x in det.score(batch)])
        y = np.asarray(labels)
        out[name] = metrics(s[y == 1], s[y == 0])
        all_s.append(s)
        all_y.append(y)
    s, y = np.concatenate(all_s), np.concatenate(all_y)
    out["overall"] = metrics(s[y == 1], s[y == 0])
    return out


def evaluate_refusal(embedder, data: Path) -> dict:
    """XSTest completions with human labels: full refusals against full compliance."""
    rows = [
        r
        for r in read_jsonl(data / "xstest" / "xstest_completions_human_labeled.jsonl")
        if r["final_label"] in ("1_full_compliance", "2_full_refusal")
    ]
    texts = [r["completion"] for r in rows]
    det = RefusalDetector(probe=default_probe(ProbeTask.REFUSAL, embedder))
    emb = embedder.embed(texts)
    batch = SafetyBatch([str(i) for i in range(len(texts))], [""] * len(texts), texts, None, emb)
    s = np.array([x.score for x in det.score(batch)])
    y = np.array([r["final_label"] == "2_full_refusal" for r in rows])
    pred = s >= det.threshold
    return {
        **metrics(s[y], s[~y]),
        "precision_at_threshold": round(float((pred & y).sum() / max(pred.sum(), 1)), 4),
        "recall_at_threshold": round(float((pred & y).sum() / y.sum()), 4),
    }


def pii_samples(n: int, seed: int) -> tuple[list[tuple[str, PiiKind]], list[str]]:
    """Generated positives (one valid value of a known kind in a sentence) and look-alike negatives."""
    rng = random.Random(seed)

    def luhn_complete(prefix: str, length: int) -> str:
        body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        for d in "0123456789":
            if luhn_valid(body + d):
                return body + d
        raise AssertionError

    def iban(country: str, length: int) -> str:
        bban = "".join(rng.choice("0123456789") for _ in range(length - 4))
        num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
        return f"{country}{98 - num % 97:02d}{bban}"

    def grouped(digits: str) -> str:
        return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))

    def ssn() -> str:
        return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"

    def alnum(k: int, alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") -> str:
        return "".join(rng.choice(alphabet) for _ in range(k))

    makers = {
        PiiKind.EMAIL: lambda: (
            f"{alnum(6).lower()}.{alnum(4).lower()}@{rng.choice(['mail', 'corp', 'uni'])}."
            f"{rng.choice(['com', 'org', 'de', 'io'])}"
        ),
        PiiKind.PHONE: lambda: rng.choice(
            [
                f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                f"+49 30 {rng.randint(100000, 999999)}",
            ]
        ),
        PiiKind.CARD: lambda: grouped(luhn_complete(rng.choice(["4", "51", "37", "6011"]), 16)),
        PiiKind.IBAN: lambda: iban(*rng.choice([("DE", 22), ("GB", 22), ("FR", 27), ("NL", 18)])),
        PiiKind.US_SSN: ssn,
        PiiKind.AWS_ACCESS_KEY: lambda: "AKIA" + alnum(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        PiiKind.GITHUB_TOKEN: lambda: "ghp_" + alnum(36),
        PiiKind.API_KEY: lambda: "sk-" + alnum(12) + "7" + alnum(20),
    }
    frames = ["Sure, the value is {v}.", "Contact details: {v}", "Here you go: {v} (keep it safe)", "{v}"]
    positives = []
    for i in range(n):
        kind = list(makers)[i % len(makers)]
        positives.append((rng.choice(frames).format(v=makers[kind]()), kind))
    look_alikes = [
        lambda: f"Order number {rng.randint(10**15, 10**16 - 1)} has shipped.",  # 16 digits, random Luhn
        lambda: f"The meeting is on 2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} at 10:00.",
        lambda: f"Server at 10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)} is up.",
        lambda: f"Version {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)} fixes the bug.",
        lambda: f"Ticket 9{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)} is closed.",
        lambda: "Use the style sk-" + "-".join(rng.choice(["model", "fit", "data", "pipe"]) for _ in range(6)),
        lambda: f"Call extension {rng.randint(100, 9999)} or room {rng.randint(1, 500)}.",
        lambda: f"Reference DE{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)} is not valid.",
        lambda: "The price rose 12.5% to 1,234,567 units in Q3 2023.",
        lambda: f"Write to me at name at example dot com, code {rng.randint(1000, 9999)}.",
    ]
    negatives = [rng.choice(look_alikes)() for _ in range(n)]
    return positives, negatives


def evaluate_pii(n: int, seed: int) -> dict:
    positives, negatives = pii_samples(n, seed)
    tp = sum(1 for text, kind in positives if count_pii(text).get(kind, 0) >= 1)
    fp_pos = sum(1 for text, kind in positives if set(count_pii(text)) - {kind})
    fp_neg = sum(1 for text in negatives if count_pii(text))
    found = tp + fp_pos + fp_neg
    return {
        "n_positive_texts": len(positives),
        "n_negative_texts": len(negatives),
        "recall": round(tp / len(positives), 4),
        "precision": round(tp / found, 4) if found else None,
        "negatives_flagged": fp_neg,
        "positives_with_wrong_extra_kind": fp_pos,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--clinc", type=int, default=1000, help="CLINC150 test queries drawn as benign prompts")
    parser.add_argument("--davidson", type=int, default=5000, help="Davidson tweets drawn")
    parser.add_argument("--pii", type=int, default=400, help="generated PII positives (and as many negatives)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "bench" / "out" / "embeddings")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"evaluation data not found at {args.data}")
    start = time.perf_counter()
    embedder = build(args.cache_dir)
    log("prompt attacks")
    prompts = evaluate_prompts(embedder, args.data, args.clinc, args.seed)
    log("toxicity")
    toxicity = evaluate_toxicity(embedder, args.data, args.davidson, args.seed)
    log("refusal")
    refusal = evaluate_refusal(embedder, args.data)
    log("pii")
    pii = evaluate_pii(args.pii, args.seed)
    result = {
        "embedder": embedder.name,
        "probes": {t.value: default_probe(t, embedder).version for t in ProbeTask},
        "jailbreak_injection": prompts,
        "toxicity": toxicity,
        "refusal_xstest_completions": refusal,
        "pii": pii,
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
