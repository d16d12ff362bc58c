-- The audit trail: who changed what and why. One row per alert transition, retraining decision,
-- reference change and probe promotion. Kept without TTL: governance outlives the events.
CREATE TABLE IF NOT EXISTS {{table:audit}} {{on_cluster}}
(
    audit_id String,
    at DateTime64(3, 'UTC'),
    action LowCardinality(String),
    actor_kind LowCardinality(String),
    actor String,
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    subject String,
    summary String,
    evidence String,
    ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(at)
ORDER BY (at, audit_id);

{{distributed:audit:cityHash64(audit_id)}};
