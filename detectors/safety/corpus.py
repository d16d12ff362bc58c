"""The training texts driftloop ships: templates x slots in ``data/*.json``, expanded deterministically.

Every text is written for driftloop. Public benchmark sets are used only to evaluate (``bench/safety.py``).
A file holds ``slots`` (name -> list of fillers, which may themselves contain ``{slot}`` references) and
``groups`` (label, templates, a cap on how many distinct texts to draw). ``common.json`` holds slots every
file may use; ``include`` names other files whose slots a file reuses.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")
_SLOT = re.compile(r"\{(\w+)\}")


class ProbeTask(StrEnum):
    JAILBREAK = "jailbreak"
    HARMFUL = "harmful"
    TOXICITY = "toxicity"
    REFUSAL = "refusal"


TASK_SOURCES: dict[ProbeTask, tuple[tuple[str, tuple[str, ...] | None], ...]] = {
    ProbeTask.JAILBREAK: (("jailbreak", None), ("benign", None), ("harmful", ("safe", "sensitive_benign"))),
    ProbeTask.HARMFUL: (
        ("harmful", None),
        ("benign", None),
        ("jailbreak", ("benign_trigger", "benign_doc", "benign_policy")),
    ),
    ProbeTask.TOXICITY: (("toxicity", None), ("benign", None)),
    ProbeTask.REFUSAL: (("refusal", None),),
}
"""Which files (and, when not all, which groups of a file) make up each task's training set."""


@dataclass(frozen=True, slots=True)
class Corpus:
    """Labelled texts (1 = the unsafe class) with the group each came from."""

    texts: tuple[str, ...]
    labels: tuple[int, ...]
    groups: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def sha256(self) -> str:
        """Content hash of texts and labels: the training-data part of a probe's cache key."""
        return texts_hash(self.texts, self.labels)

    def positives(self) -> list[str]:
        return [t for t, y in zip(self.texts, self.labels, strict=True) if y == 1]


def texts_hash(texts: tuple[str, ...] | list[str], labels: tuple[int, ...] | list[int]) -> str:
    """SHA-256 over (label, text) pairs, order-sensitive.

    Examples
    --------
    >>> texts_hash(["a"], [1]) == texts_hash(["a"], [0])
    False
    """
    h = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        h.update(f"{int(label)}\t{text}\n".encode())
    return h.hexdigest()


def expand(
    template: str,
    slots: dict[str, list[str]],
    rng: random.Random,
    depth: int = 0,
    bound: dict[str, str] | None = None,
) -> str:
    """Fill every ``{slot}`` with a random filler, recursively; unknown names are left as they are.

    A slot named twice in one text gets the same filler both times (a persona keeps its name), except
    slots whose name starts with ``_``, which are drawn afresh each time (e.g. tokens of a random suffix).

    Examples
    --------
    >>> expand("hi {who}, bye {who}", {"who": ["{x} friend"], "x": ["old"]}, random.Random(0))
    'hi old friend, bye old friend'
    """
    if depth > 5:
        raise ValueError(f"slot references nest too deeply in {template!r}")
    bound = {} if bound is None else bound

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        options = slots.get(name)
        if options is None:
            return m.group(0)
        if name.startswith("_"):
            return expand(rng.choice(options), slots, rng, depth + 1, bound)
        if name not in bound:
            bound[name] = expand(rng.choice(options), slots, rng, depth + 1, bound)
        return bound[name]

    return _SLOT.sub(fill, template)


@cache
def _read(name: str) -> dict:
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def load_file(name: str, groups: tuple[str, ...] | None = None, *, seed: int = 0) -> Corpus:
    """Expand one data file (optionally only some of its groups) into a :class:`Corpus`."""
    spec = _read(name)
    included = [_read(other).get("slots", {}) for other in spec.get("include", [])]
    slots = {k: v for part in [_read("common")["slots"], *included, spec.get("slots", {})] for k, v in part.items()}
    texts: list[str] = []
    labels: list[int] = []
    names: list[str] = []
    for group in spec["groups"]:
        if groups is not None and group["name"] not in groups:
            continue
        rng = random.Random(f"{seed}:{name}:{group['name']}")
        seen: set[str] = set()
        cap = int(group["max"])
        templates = group["templates"]
        for attempt in range(cap * 8):
            if len(seen) >= cap:
                break
            text = expand(templates[attempt % len(templates)], slots, rng)
            text = re.sub(r"\s+", " ", text).strip()
            if text not in seen:
                seen.add(text)
                texts.append(text)
                labels.append(int(group["label"]))
                names.append(f"{name}/{group['name']}")
    return Corpus(tuple(texts), tuple(labels), tuple(names))


def load_corpus(task: ProbeTask, *, seed: int = 0) -> Corpus:
    """The shipped training set of ``task``.

    Examples
    --------
    >>> c = load_corpus(ProbeTask.REFUSAL)
    >>> 0 < sum(c.labels) < len(c)
    True
    """
    parts = [load_file(name, groups, seed=seed) for name, groups in TASK_SOURCES[ProbeTask(task)]]
    return Corpus(
        texts=tuple(t for p in parts for t in p.texts),
        labels=tuple(y for p in parts for y in p.labels),
        groups=tuple(g for p in parts for g in p.groups),
    )
