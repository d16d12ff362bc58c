-- Segment disparity results: one row per (stream, window, tag, value, metric). A window evaluated
-- again replaces its rows.
CREATE TABLE IF NOT EXISTS {{table:segment_results}} {{on_cluster}}
(
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    tag LowCardinality(String),
    value String,
    metric LowCardinality(String),
    k_segment UInt64,
    n_segment UInt64,
    k_rest UInt64,
    n_rest UInt64,
    p_value Nullable(Float64),
    adjusted_p_value Nullable(Float64),
    alpha Float64,
    disparate Bool,
    result String,
    evaluated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(evaluated_at)}}
PARTITION BY toYYYYMM(window_start)
ORDER BY (app, model, model_version, window_start, tag, value, metric)
{{ttl:scores:toDateTime(window_end)}};

{{distributed:segment_results:cityHash64(app, model, model_version)}};

-- The last segment window evaluated per stream.
CREATE TABLE IF NOT EXISTS {{table:segment_progress}} {{on_cluster}}
(
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    window_end DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(updated_at)}}
ORDER BY (app, model, model_version);

{{distributed:segment_progress:cityHash64(app, model, model_version)}};
