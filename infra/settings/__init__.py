"""All of driftloop's configuration in one object: :class:`Settings`, its sections, :func:`get_settings`.

Sources, highest priority first: keyword arguments, environment variables
(``DRIFTLOOP_`` prefix, ``__`` between nested names, e.g. ``DRIFTLOOP_KAFKA__BOOTSTRAP_SERVERS``),
a TOML file (``DRIFTLOOP_CONFIG`` or ``driftloop --config``), then defaults. An unknown key is an error
that names it, never a typo silently replaced by a default. Defaults that the library shares (drift test
level, safety thresholds, rate tests) live in ``schemas`` models that these sections are built on.

>>> s = Settings(data_dir="/tmp/dl")
>>> s.clickhouse_dsn()
'chdb:///tmp/dl/clickhouse'
>>> s.topic("inference")
'driftloop.inference'
"""

from infra.settings.monitoring import (
    AlertPolicySettings,
    CompareMetric,
    CompareSettings,
    DriftTestSpec,
    MonitorSettings,
    SegmentMetric,
    SegmentSettings,
    SignalSettings,
    WebhookTarget,
)
from infra.settings.root import Settings, get_settings
from infra.settings.sections import (
    TOPIC_ROLES,
    ApiSettings,
    ApiToken,
    ClickHouseSettings,
    DriftSettings,
    DriftTestName,
    EmbeddingFeature,
    EmbeddingSettings,
    IngestSettings,
    KafkaSettings,
    PrivacySettings,
    RetrainLabelRules,
    RetrainSettings,
    SafetySettings,
    TopicRole,
)
from infra.settings.signals import SIGNAL_NAMES, ResolvedRule, SignalName, SignalRule

__all__ = [
    "AlertPolicySettings",
    "ApiSettings",
    "ApiToken",
    "ClickHouseSettings",
    "CompareMetric",
    "CompareSettings",
    "DriftSettings",
    "DriftTestName",
    "DriftTestSpec",
    "EmbeddingFeature",
    "EmbeddingSettings",
    "IngestSettings",
    "KafkaSettings",
    "MonitorSettings",
    "PrivacySettings",
    "RetrainLabelRules",
    "RetrainSettings",
    "SafetySettings",
    "SegmentMetric",
    "SegmentSettings",
    "Settings",
    "SIGNAL_NAMES",
    "ResolvedRule",
    "SignalName",
    "SignalRule",
    "SignalSettings",
    "TOPIC_ROLES",
    "TopicRole",
    "WebhookTarget",
    "get_settings",
]
