-- Per-event safety scores: one row per (event, detector, target). The stream and event time
-- are copied from the event so windows can be read without a join.
CREATE TABLE IF NOT EXISTS {{table:safety_scores}} {{on_cluster}}
(
    event_id String,
    event_time DateTime64(3, 'UTC'),
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    detector LowCardinality(String),
    detector_version LowCardinality(String),
    target LowCardinality(String),
    score Float64,
    threshold Float64,
    breached Bool,
    details Map(String, Float64),
    explanation String,
    scored_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(scored_at)}}
PARTITION BY toYYYYMM(event_time)
ORDER BY (app, model, model_version, detector, target, event_time, event_id)
{{ttl:scores:toDateTime(event_time)}};

{{distributed:safety_scores:cityHash64(event_id)}};

-- Drift verdicts: one row per (stream, detector, feature, window). A window evaluated again
-- (after a restart, say) replaces the earlier row.
CREATE TABLE IF NOT EXISTS {{table:drift_scores}} {{on_cluster}}
(
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    reference_start Nullable(DateTime64(3, 'UTC')),
    reference_end Nullable(DateTime64(3, 'UTC')),
    detector LowCardinality(String),
    detector_version LowCardinality(String),
    feature LowCardinality(String),
    statistic Float64,
    p_value Nullable(Float64),
    adjusted_p_value Nullable(Float64),
    alpha Float64,
    threshold Nullable(Float64),
    decision LowCardinality(String),
    n_reference UInt32,
    n_current UInt32,
    explanation String,
    clusters String,
    config String,
    evaluated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(evaluated_at)}}
PARTITION BY toYYYYMM(window_start)
ORDER BY (app, model, model_version, detector, feature, window_start, window_end)
{{ttl:scores:toDateTime(window_end)}};

{{distributed:drift_scores:cityHash64(app, model, model_version)}};
