"""The built-in job: retrain a safety / quality probe from feedback labels, gate it, keep every version.

Recipe, for the configured task:

1. The champion is the registry's current version; before the first run the shipped default probe is
   registered as the root version (for ``quality``, which ships none, the challenger must beat no skill).
2. Labelled examples come from the snapshot (see :mod:`retrain.labels`); a text labelled both ways is
   dropped. Examples whose text the champion was trained on go to training only; the rest are split,
   stratified and seeded, into training and a held-out set that neither model has seen.
3. The challenger is trained on the champion's training set plus the new training examples (a new label
   for a known text replaces the old one), with the champion's options.
4. Both score the held-out set; :func:`retrain.gate.decide` promotes the challenger only when it is
   better by the margin. Either way the challenger is registered with its metrics, its parent and the
   snapshot hash.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from detectors.embedding.base import Embedder
from detectors.safety import Probe, default_probe, load_corpus, train_probe
from detectors.safety.corpus import ProbeTask
from detectors.safety.probe import DEFAULT_TRAINING
from infra.settings import RetrainLabelRules, RetrainSettings
from retrain.gate import GateMetric, decide, holdout_split
from retrain.job import JobContext, JobOutcome
from retrain.labels import correction_examples, rules_for
from retrain.registry import ProbeRegistry
from retrain.snapshot import Snapshot
from schemas import FeedbackEvent, RetrainStatus
from schemas.errors import InsufficientEvaluationData

log = logging.getLogger(__name__)

BaseProbe = Callable[[str, Embedder], tuple[Probe, list[str], list[int]]]
"""``(task, embedder) -> (probe, its training texts, its labels)``: the root version of a fresh registry."""


def shipped_base(task: str, embedder: Embedder) -> tuple[Probe, list[str], list[int]]:
    """The shipped default probe of ``task`` and the corpus it was trained on."""
    corpus = load_corpus(ProbeTask(task))
    return default_probe(task, embedder), list(corpus.texts), list(corpus.labels)


def _ships(task: str) -> bool:
    return task in {t.value for t in ProbeTask}


def _default_lexical(task: str) -> bool:
    return _ships(task) and bool(DEFAULT_TRAINING[ProbeTask(task)]["lexical"])


def labelled_examples(snapshot: Snapshot, rules: RetrainLabelRules) -> tuple[list[str], list[int]]:
    """``(texts, labels)`` from a snapshot, sorted by text; texts labelled both ways are dropped."""
    events = snapshot.table("events").to_pylist()
    by_text: dict[str, set[int]] = defaultdict(set)
    for row in events:
        text = row[rules.target]
        if row["label"] is not None and text:
            by_text[text].add(int(row["label"]))
    feedback = [
        FeedbackEvent.model_validate({k: v for k, v in row.items() if v is not None})
        for row in snapshot.table("feedback").to_pylist()
    ]
    for text, label in correction_examples(feedback, rules):
        by_text[text].add(label)
    kept = sorted((text, labels.pop()) for text, labels in by_text.items() if len(labels) == 1)
    return [t for t, _ in kept], [y for _, y in kept]


class ProbeRetrainJob:
    """Train, gate and register a challenger probe for ``task``.

    Parameters
    ----------
    registry
        Where versions are kept and promoted.
    embedder
        Embeds training and held-out texts; must be the space the champion was trained in.
    settings
        The ``retrain`` settings: ``task`` and ``labels`` (how feedback becomes its labels), the gate
        (``gate_metric``, ``gate_margin``, ``gate_threshold``), the held-out split (``holdout_fraction``,
        ``min_holdout_per_class``, ``seed``) and the challenger's inverse regularisation ``probe_c``.
    base
        The root version when the registry has none for ``task`` (default: the shipped probe).
    """

    name = "builtin"

    def __init__(
        self,
        registry: ProbeRegistry,
        embedder: Embedder,
        settings: RetrainSettings,
        *,
        base: BaseProbe | None = shipped_base,
    ) -> None:
        self.name = f"builtin:{settings.task}"
        self.registry = registry
        self.embedder = embedder
        self.task = settings.task
        self.rules = rules_for(settings.task, settings.labels)
        self.metric: GateMetric = settings.gate_metric
        self.margin = settings.gate_margin
        self.threshold = settings.gate_threshold
        self.holdout_fraction = settings.holdout_fraction
        self.min_holdout_per_class = settings.min_holdout_per_class
        self.seed = settings.seed
        self.C = settings.probe_c
        self.base = base

    def champion(self) -> tuple[Probe | None, list[str], list[int]]:
        """The current champion and its training set, registering the base version on first use."""
        version = self.registry.current(self.task)
        if version is None:
            if self.base is None or (self.base is shipped_base and not _ships(self.task)):
                return None, [], []
            probe, texts, labels = self.base(self.task, self.embedder)
            self.registry.register(probe, texts, labels, parent_version=None, metrics={"base": 1.0})
            self.registry.promote(self.task, probe.version)
            version = probe.version
        probe = self.registry.load(self.task, version)
        if probe.metadata.embedder != self.embedder.name:
            raise ValueError(
                f"the champion {self.task} {version} was trained with embedder {probe.metadata.embedder}; "
                f"this job embeds with {self.embedder.name}"
            )
        texts, labels = self.registry.training_set(self.task, version)
        return probe, texts, labels

    def run(self, context: JobContext) -> JobOutcome:
        champion, base_texts, base_labels = self.champion()
        champion_version = champion.version if champion is not None else None
        texts, labels = labelled_examples(context.snapshot, self.rules)
        known = set(base_texts)
        fresh = [i for i, t in enumerate(texts) if t not in known]
        y_fresh = np.asarray([labels[i] for i in fresh], dtype=np.int64)
        try:
            train_idx, hold_idx = holdout_split(
                y_fresh, fraction=self.holdout_fraction, seed=self.seed, min_per_class=self.min_holdout_per_class
            )
        except InsufficientEvaluationData as exc:
            return JobOutcome(
                RetrainStatus.FAILED,
                f"not enough new labelled examples to evaluate a challenger: {exc}",
                {"labelled_examples": float(len(texts)), "new_labelled_examples": float(len(fresh))},
                champion_version=champion_version,
            )
        hold_texts = [texts[fresh[i]] for i in hold_idx]
        hold_labels = y_fresh[hold_idx]
        held = set(hold_texts)
        training = dict(zip(base_texts, base_labels, strict=True))
        training.update((t, y) for t, y in zip(texts, labels, strict=True) if t not in held)
        train_texts = sorted(training)
        train_labels = [training[t] for t in train_texts]
        lexical = champion.metadata.lexical if champion is not None else _default_lexical(self.task)
        version = self.registry.next_version(self.task, context.snapshot.sha256)
        challenger = train_probe(
            train_texts,
            train_labels,
            self.embedder,
            task=self.task,
            version=version,
            C=self.C,
            lexical=lexical,
            cv_folds=0,
            seed=self.seed,
        )
        hold_emb = self.embedder.embed(hold_texts)
        challenger_scores = challenger.predict(hold_emb, hold_texts)
        champion_scores = champion.predict(hold_emb, hold_texts) if champion is not None else None
        decision = decide(
            hold_labels,
            challenger_scores,
            champion_scores,
            metric=self.metric,
            margin=self.margin,
            threshold=self.threshold,
        )
        metrics = decision.metrics() | {
            "train_n": float(len(train_texts)),
            "train_positive": float(sum(train_labels)),
            "new_labelled_examples": float(len(fresh)),
        }
        self.registry.register(
            challenger,
            train_texts,
            train_labels,
            parent_version=champion_version,
            snapshot_sha256=context.snapshot.sha256,
            run_id=context.run_id,
            metrics=metrics,
        )
        if decision.promote:
            self.registry.promote(self.task, version)
        log.warning("retrain %s %s: %s", context.run_id, self.task, decision.explain())
        return JobOutcome(
            RetrainStatus.SUCCEEDED if decision.promote else RetrainStatus.REJECTED,
            decision.explain(),
            metrics,
            champion_version=champion_version,
            challenger_version=version,
        )
