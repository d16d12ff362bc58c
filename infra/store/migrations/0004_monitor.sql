-- Window evaluation and alert delivery state: small tables read by the scheduler on start.

-- The last window evaluated per stream: the scheduler resumes after it, so a restart does not
-- evaluate a window twice (and if it does, drift_scores and alerts deduplicate anyway).
CREATE TABLE IF NOT EXISTS {{table:monitor_progress}} {{on_cluster}}
(
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    window_end DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(updated_at)}}
ORDER BY (app, model, model_version);

{{distributed:monitor_progress:cityHash64(app, model, model_version)}};

-- Pinned reference windows (`driftloop reference set`). A cleared pin is a row with active = false.
CREATE TABLE IF NOT EXISTS {{table:reference_pins}} {{on_cluster}}
(
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    reference_start DateTime64(3, 'UTC'),
    reference_end DateTime64(3, 'UTC'),
    active Bool,
    note String,
    pinned_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(pinned_at)}}
ORDER BY (app, model, model_version);

{{distributed:reference_pins:cityHash64(app, model, model_version)}};

-- Alert policy state per dedup key (hysteresis streaks, firing alert, cooldown clock) as JSON.
CREATE TABLE IF NOT EXISTS {{table:alert_policy_state}} {{on_cluster}}
(
    dedup_key String,
    state String,
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(updated_at)}}
ORDER BY dedup_key;

{{distributed:alert_policy_state:cityHash64(dedup_key)}};

-- Alert deliveries: one row per (alert, sink), pending until the sink accepted it.
CREATE TABLE IF NOT EXISTS {{table:alert_outbox}} {{on_cluster}}
(
    alert_id String,
    sink String,
    created_at DateTime64(3, 'UTC'),
    payload String CODEC(ZSTD(3)),
    delivered Bool,
    attempts UInt32,
    next_attempt_at DateTime64(3, 'UTC'),
    last_error String,
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(updated_at)}}
PARTITION BY toYYYYMM(created_at)
ORDER BY (alert_id, sink)
{{ttl:scores:toDateTime(created_at)}};

{{distributed:alert_outbox:cityHash64(alert_id)}};
