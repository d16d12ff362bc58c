-- Alert transitions (firing, resolved) with their evidence as JSON.
CREATE TABLE IF NOT EXISTS {{table:alerts}} {{on_cluster}}
(
    alert_id String,
    kind LowCardinality(String),
    state LowCardinality(String),
    severity LowCardinality(String),
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    detector LowCardinality(String),
    dedup_key String,
    created_at DateTime64(3, 'UTC'),
    summary String,
    event_id Nullable(String),
    report_path Nullable(String),
    evidence String,
    ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(created_at)
ORDER BY (dedup_key, created_at, alert_id, state)
{{ttl:scores:toDateTime(created_at)}};

{{distributed:alerts:cityHash64(dedup_key)}};

-- Retraining runs: one row per status transition of a run.
CREATE TABLE IF NOT EXISTS {{table:retrain_runs}} {{on_cluster}}
(
    run_id String,
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    status LowCardinality(String),
    job LowCardinality(String),
    updated_at DateTime64(3, 'UTC'),
    snapshot_sha256 Nullable(String),
    champion_version Nullable(String),
    challenger_version Nullable(String),
    metrics Map(String, Float64),
    message String,
    ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(updated_at)
ORDER BY (run_id, status, updated_at)
{{ttl:scores:toDateTime(updated_at)}};

{{distributed:retrain_runs:cityHash64(run_id)}};
