-- The probe registry: one row per trained probe version, with its lineage and evaluation.
-- Kept without TTL: a version's record outlives the events it was trained on.
CREATE TABLE IF NOT EXISTS {{table:probe_versions}} {{on_cluster}}
(
    task LowCardinality(String),
    version String,
    parent_version Nullable(String),
    run_id Nullable(String),
    snapshot_sha256 Nullable(String),
    embedder LowCardinality(String),
    artefact_path String,
    n_train UInt32,
    metrics Map(String, Float64),
    promoted Bool,
    created_at DateTime64(3, 'UTC'),
    ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
ORDER BY (task, version);

{{distributed:probe_versions:cityHash64(task, version)}};
