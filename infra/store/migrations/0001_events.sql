-- Raw events as the applications sent them, with what the workers computed.
-- Rows are deduplicated by their sorting key (ReplacingMergeTree keeps the latest ingested_at):
-- an event id always comes with the same stream and event time, so a redelivered or republished
-- event shares the whole key with its first copy.

CREATE TABLE IF NOT EXISTS {{table:inference}} {{on_cluster}}
(
    event_id String,
    event_time DateTime64(3, 'UTC'),
    app LowCardinality(String),
    model LowCardinality(String),
    model_version LowCardinality(String),
    prompt String CODEC(ZSTD(3)),
    response String CODEC(ZSTD(3)),
    latency_ms Nullable(Float64),
    tokens_in Nullable(UInt32),
    tokens_out Nullable(UInt32),
    cost_usd Nullable(Float64),
    user_id Nullable(String),
    session_id Nullable(String),
    tags Map(String, String),
    schema_version UInt16,
    received_at DateTime64(3, 'UTC'),
    ingested_at DateTime64(6, 'UTC') DEFAULT now64(6),
    prompt_embedding Array(Float32),
    response_embedding Array(Float32),
    embedding_model LowCardinality(String),
    INDEX idx_event_id event_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(event_time)
ORDER BY (app, model, model_version, event_time, event_id)
{{ttl:events:toDateTime(event_time)}};

{{distributed:inference:cityHash64(event_id)}};

-- Feedback is joined to its inference late, by event_id: it may arrive before it, after it,
-- or for an id that never arrives.
CREATE TABLE IF NOT EXISTS {{table:feedback}} {{on_cluster}}
(
    feedback_id String,
    event_id String,
    feedback_time DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    value Nullable(Float64),
    labels Array(String),
    text Nullable(String),
    user_id Nullable(String),
    schema_version UInt16,
    received_at DateTime64(3, 'UTC'),
    ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(feedback_time)
ORDER BY (event_id, feedback_id)
{{ttl:events:toDateTime(feedback_time)}};

{{distributed:feedback:cityHash64(event_id)}};

-- Messages that could not become events, whole, keyed by where they came from.
-- Not partitioned by time: a redelivered message is stamped with a new received_at.
CREATE TABLE IF NOT EXISTS {{table:dead_letters}} {{on_cluster}}
(
    source_topic LowCardinality(String),
    source_partition Int32,
    source_offset Int64,
    error_kind LowCardinality(String),
    reason String,
    original String CODEC(ZSTD(3)),
    received_at DateTime64(3, 'UTC'),
    ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
ORDER BY (source_topic, source_partition, source_offset)
{{ttl:events:toDateTime(received_at)}};

{{distributed:dead_letters:cityHash64(source_topic, source_partition, source_offset)}};
