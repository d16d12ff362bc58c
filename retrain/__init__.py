"""Retraining: trigger policy, dataset snapshots, jobs, the probe registry, the evaluation gate, hot reload.

Entry points: :class:`RetrainService` (consumes alerts, runs jobs), :func:`trigger_retrain` (one manual run),
:func:`list_runs` / :func:`format_runs` (``driftloop retrain list``), :class:`ProbeReloader` and
:class:`ReloadingScorer` (workers pick up promoted probes).
"""

from retrain.builtin import ProbeRetrainJob, labelled_examples, shipped_base
from retrain.external import CommandJob, KafkaRequestJob, WebhookJob
from retrain.gate import GateDecision, decide, holdout_split, metric_value, no_skill
from retrain.job import JobContext, JobOutcome, RetrainJob
from retrain.labels import DEFAULT_RULES, event_labels, feedback_label, rules_for
from retrain.policy import PolicyDecision, RetrainPolicy, feedback_since
from retrain.registry import ProbeRegistry
from retrain.reload import ProbeReloader, ReloadingScorer
from retrain.runs import format_runs, list_runs, summarise_runs
from retrain.service import RetrainService, TriggerResult, build_job, trigger_retrain
from retrain.snapshot import Snapshot, SnapshotQuery, content_sha256, load_snapshot, take_snapshot
from schemas.errors import InsufficientEvaluationData, RegistryError

__all__ = [
    "DEFAULT_RULES",
    "CommandJob",
    "GateDecision",
    "InsufficientEvaluationData",
    "JobContext",
    "JobOutcome",
    "KafkaRequestJob",
    "PolicyDecision",
    "ProbeRegistry",
    "ProbeReloader",
    "ProbeRetrainJob",
    "RegistryError",
    "ReloadingScorer",
    "RetrainJob",
    "RetrainPolicy",
    "RetrainService",
    "Snapshot",
    "SnapshotQuery",
    "TriggerResult",
    "WebhookJob",
    "build_job",
    "content_sha256",
    "decide",
    "event_labels",
    "feedback_label",
    "feedback_since",
    "format_runs",
    "holdout_split",
    "labelled_examples",
    "list_runs",
    "load_snapshot",
    "metric_value",
    "no_skill",
    "rules_for",
    "shipped_base",
    "summarise_runs",
    "take_snapshot",
    "trigger_retrain",
]
