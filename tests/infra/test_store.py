"""The ClickHouse store on the real embedded engine (chdb): migrations, dedup, joins, binding, ownership.

One chdb data directory per module (a process hosts one engine path at a time); each test gets a
fresh database in it, so tests do not see each other's rows.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from infra.settings import Settings
from infra.store import (
    TABLES,
    DdlContext,
    Migration,
    MigrationChecksumError,
    MigrationError,
    Store,
    StoreLockedError,
    StoreOpenError,
    connect,
    load_migrations,
    render_all,
)
from infra.store.client import Repository
from schemas import (
    Alert,
    AlertKind,
    AlertState,
    ClusterShift,
    DeadLetter,
    DriftDecision,
    DriftResult,
    FeedbackEvent,
    FeedbackKind,
    InferenceEvent,
    RejectionKind,
    RetrainRun,
    RetrainStatus,
    SafetyScore,
    SafetyTarget,
    ScoredFeedback,
    ScoredInference,
    Severity,
    StreamKey,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STREAM = StreamKey(app="support-bot", model="gpt-x", model_version="2026-10")
DIM = 8


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The module's chdb directory, held open for the whole module by one store."""
    path = tmp_path_factory.mktemp("chdb")
    with Store.open(f"chdb://{path}", database="keeper"):
        yield path


@pytest.fixture
def dsn(data_dir: Path) -> str:
    return f"chdb://{data_dir}"


@pytest.fixture
def store(dsn: str) -> Iterator[Store]:
    with Store.open(dsn, database=f"t_{uuid.uuid4().hex[:12]}") as opened:
        yield opened


def scored(
    i: int,
    *,
    stream: StreamKey = STREAM,
    prompt: str | None = None,
    rng: np.random.Generator | None = None,
    detectors: tuple[str, ...] = ("pii", "jailbreak"),
) -> ScoredInference:
    rng = rng or np.random.default_rng(i)
    event = InferenceEvent(
        event_id=f"{stream.app}-{i}",
        event_time=T0 + timedelta(seconds=i),
        app=stream.app,
        model=stream.model,
        model_version=stream.model_version,
        prompt=prompt if prompt is not None else f"question {i}",
        response=f"answer {i}",
        latency_ms=10.0 + i,
        tokens_in=i,
        tags={"tier": "gold"},
    )
    return ScoredInference(
        event=event,
        received_at=T0 + timedelta(seconds=i, milliseconds=5),
        prompt_embedding=rng.random(DIM, dtype=np.float32).tolist(),
        response_embedding=rng.random(DIM, dtype=np.float32).tolist(),
        embedding_model="mini",
        safety=[
            SafetyScore(
                event_id=event.event_id,
                detector=d,
                detector_version="1",
                target=SafetyTarget.PROMPT,
                score=0.25,
                threshold=0.5,
                breached=False,
                details={"hits": 0.0},
            )
            for d in detectors
        ],
    )


def feedback(feedback_id: str, event_id: str, minute: int = 0) -> ScoredFeedback:
    event = FeedbackEvent(
        feedback_id=feedback_id,
        event_id=event_id,
        feedback_time=T0 + timedelta(minutes=minute),
        kind=FeedbackKind.THUMBS,
        value=-1,
    )
    return ScoredFeedback(feedback=event, received_at=T0 + timedelta(minutes=minute))


# ---- surface ------------------------------------------------------------------------------------


def test_store_is_a_connection_with_one_repository_per_table_group(store: Store) -> None:
    repositories = {name: value for name, value in vars(store).items() if isinstance(value, Repository)}
    assert set(repositories) == {"events", "drift", "alerts", "retrain", "audit", "segments", "aggregates"}
    owned = [table for repository in repositories.values() for table in repository.tables]
    assert sorted(owned) == sorted(TABLES), "every table is written by exactly one repository"
    methods = {name for name in dir(Store) if not name.startswith("_") and callable(getattr(Store, name))}
    assert methods == {"open", "close", "migrate", "applied_migrations", "show_create_table", "ping", "table_counts"}


# ---- migrations ---------------------------------------------------------------------------------


def test_migrations_are_recorded_once_and_rerun_applies_nothing(dsn: str, store: Store) -> None:
    expected = load_migrations()
    applied = store.applied_migrations()
    assert [(m.version, m.name, m.checksum) for m in applied] == [(m.version, m.name, m.checksum) for m in expected]
    assert all(m.applied_at.tzinfo is not None for m in applied)

    assert store.migrate() == []
    with Store.open(dsn, database=store.database) as again:
        assert again.applied_migrations() == applied
    assert set(store.table_counts()) == set(TABLES)


def test_changed_migration_is_rejected(store: Store) -> None:
    edited = [Migration(m.version, m.name, m.template + "\n-- edited\n") for m in load_migrations()]
    edited_version = edited[0].version
    with pytest.raises(MigrationChecksumError, match=f"{edited_version:04d}_"):
        store.migrate(edited)


def test_migration_unknown_to_this_code_is_rejected(store: Store) -> None:
    with pytest.raises(MigrationError, match="newer"):
        store.migrate(load_migrations()[:-1])


def test_new_migration_is_applied_after_the_existing_ones(store: Store) -> None:
    extra = Migration(999, "extra", "CREATE TABLE IF NOT EXISTS {{table:extra}} (x UInt8) ENGINE = Memory;")
    assert store.migrate([*load_migrations(), extra]) == [extra]
    assert store.applied_migrations()[-1].version == 999
    assert store.migrate([*load_migrations(), extra]) == []


def test_retention_comes_from_settings_and_follows_changes(dsn: str) -> None:
    database = f"t_{uuid.uuid4().hex[:12]}"
    with Store.open(dsn, database=database, events_ttl_days=7, scores_ttl_days=30) as store:
        assert "TTL toDateTime(event_time) + toIntervalDay(7)" in store.show_create_table("inference")
        assert "TTL toDateTime(feedback_time) + toIntervalDay(7)" in store.show_create_table("feedback")
        assert "toIntervalDay(30)" in store.show_create_table("safety_scores")
        assert "toIntervalDay(30)" in store.show_create_table("drift_scores")
    with Store.open(dsn, database=database, events_ttl_days=14, scores_ttl_days=30) as store:
        assert "TTL toDateTime(event_time) + toIntervalDay(14)" in store.show_create_table("inference")
        assert "toIntervalDay(30)" in store.show_create_table("safety_scores")
        assert len(store.applied_migrations()) == len(load_migrations())


def test_single_node_and_cluster_ddl_from_one_template(store: Store) -> None:
    single = render_all(load_migrations(), DdlContext("dl"))
    cluster = render_all(load_migrations(), DdlContext("dl", cluster="prod"))

    assert not any("ON CLUSTER" in s or "Replicated" in s or "Distributed" in s for s in single)
    creates = [s for s in single if s.startswith("CREATE TABLE")]
    assert {re.search(r"`dl`\.`(\w+)`", s).group(1) for s in creates} == {*TABLES, "schema_migrations"}

    assert all("ON CLUSTER `prod`" in s for s in cluster)
    for table in TABLES:
        local = next(s for s in cluster if f"`dl`.`{table}_local`" in s.split("\n")[0])
        assert re.search(r"ENGINE = ReplicatedReplacingMergeTree\('/clickhouse/tables/\{shard\}/", local)
        distributed = [s for s in cluster if s.startswith(f"CREATE TABLE IF NOT EXISTS `dl`.`{table}` ")]
        assert len(distributed) == 1
        assert f"Distributed(`prod`, `dl`, `{table}_local`, cityHash64(" in distributed[0]
    # the engine's own parser accepts every cluster statement (running them needs a real cluster)
    parse = store._client.scalar
    for statement in cluster:
        formatted = parse("SELECT formatQuery({q:String})", {"q": statement})
        assert "ON CLUSTER prod" in formatted


# ---- writes and deduplicated reads --------------------------------------------------------------


def test_same_events_twice_are_stored_once(store: Store) -> None:
    batch = [scored(i) for i in range(50)]
    assert store.events.insert(batch) == 50
    store.events.insert(batch)
    store.events.insert(batch[:10] + batch[:10])

    counts = store.table_counts()
    assert counts["inference"] == 50
    assert counts["safety_scores"] == 100
    assert store.events.count() == 50
    assert store.events.count(app=STREAM.app, start=T0, end=T0 + timedelta(seconds=10)) == 10
    assert store.events.streams() == [STREAM]

    window = store.events.window(STREAM, T0, T0 + timedelta(hours=1))
    assert len(window) == 50 == len(set(window.event_ids))
    assert window.prompt_embeddings.shape == (50, DIM) and window.prompt_embeddings.dtype == np.float32
    assert window.event_times == sorted(window.event_times)
    first = window.event_ids.index(batch[0].event.event_id)
    np.testing.assert_allclose(window.prompt_embeddings[first], batch[0].prompt_embedding, rtol=1e-6)
    assert window.event_times[first] == batch[0].event.event_time


def test_window_filters_stream_and_time_and_samples_the_same_events(store: Store) -> None:
    other = StreamKey(app="other", model="gpt-x", model_version="2026-10")
    store.events.insert([scored(i) for i in range(40)] + [scored(i, stream=other) for i in range(40)])
    window = store.events.window(STREAM, T0 + timedelta(seconds=10), T0 + timedelta(seconds=30))
    assert window.event_ids == [f"support-bot-{i}" for i in range(10, 30)]

    sample = store.events.window(STREAM, T0, T0 + timedelta(seconds=40), limit=15)
    assert len(sample) == 15 and set(sample.event_ids) <= {f"support-bot-{i}" for i in range(40)}
    assert store.events.window(STREAM, T0, T0 + timedelta(seconds=40), limit=15).event_ids == sample.event_ids
    assert sorted(store.events.streams(), key=str) == sorted([STREAM, other], key=str)
    assert len(store.events.window(STREAM, T0 - timedelta(days=1), T0)) == 0


def test_window_embeddings_stay_aligned_with_events(store: Store) -> None:
    no_response = scored(1).model_copy(update={"response_embedding": []})
    unembedded = scored(2).model_copy(update={"prompt_embedding": [], "response_embedding": []})
    store.events.insert([scored(0), no_response, unembedded])
    window = store.events.window(STREAM, T0, T0 + timedelta(minutes=1))
    assert window.event_ids == ["support-bot-0", "support-bot-1"]
    assert window.prompt_embeddings.shape == window.response_embeddings.shape == (2, DIM)
    assert not np.isnan(window.response_embeddings[0]).any() and np.isnan(window.response_embeddings[1]).all()
    assert store.events.count() == 3


def test_feedback_before_after_and_for_unknown_events_is_stored_and_joined(store: Store) -> None:
    store.events.insert_feedback([feedback("early", "support-bot-1", minute=0)])
    store.events.insert([scored(1), scored(2)])
    store.events.insert_feedback(
        [feedback("late", "support-bot-2", minute=1), feedback("orphan", "never-seen", minute=2)]
    )
    store.events.insert_feedback([feedback("late", "support-bot-2", minute=1)])

    assert store.table_counts()["feedback"] == 3
    joined = {j.feedback.feedback_id: j for j in store.events.feedback()}
    assert set(joined) == {"early", "late", "orphan"}
    assert joined["early"].stream == STREAM and joined["early"].prompt == "question 1"
    assert joined["late"].stream == STREAM and joined["late"].event_time == T0 + timedelta(seconds=2)
    assert not joined["orphan"].matched and joined["orphan"].prompt is None
    assert joined["orphan"].feedback.kind is FeedbackKind.THUMBS and joined["orphan"].feedback.value == -1

    assert {j.feedback.feedback_id for j in store.events.feedback(stream=STREAM)} == {"early", "late"}
    assert [j.feedback.feedback_id for j in store.events.feedback(start=T0 + timedelta(minutes=1))] == [
        "late",
        "orphan",
    ]


def test_bound_parameters_survive_quotes_and_injection_attempts(store: Store) -> None:
    nasty = StreamKey(app="x'); DROP TABLE inference; --", model='m"\\', model_version="{app:String}")
    prompt = "it's a \"quote\" \\ and '; DELETE FROM feedback WHERE 1; -- {limit:UInt64}"
    store.events.insert([scored(1, stream=nasty, prompt=prompt)])
    store.events.insert_feedback([feedback("f'1", "x'); DROP TABLE inference; ---1")])

    assert store.events.streams() == [nasty]
    window = store.events.window(nasty, T0, T0 + timedelta(minutes=1))
    assert window.prompts == [prompt]
    assert store.events.count(app="' OR '1'='1") == 0
    assert store.events.count(app=nasty.app, model=nasty.model, model_version=nasty.model_version) == 1
    assert [j.feedback.feedback_id for j in store.events.feedback(stream=nasty)] == ["f'1"]
    assert store.table_counts()["inference"] == 1


def test_dead_letters_keep_their_bytes_and_dedup_on_source_position(store: Store) -> None:
    original = b"\xff\xfe not json \x00 '"
    letters = [
        DeadLetter(
            source_topic="driftloop.inference",
            source_partition=2,
            source_offset=41,
            reason="not JSON",
            error_kind=RejectionKind.NOT_JSON,
            original=original,
            received_at=T0 + timedelta(seconds=s),
        )
        for s in (0, 30)
    ]
    store.events.insert_dead_letters(letters[:1])
    store.events.insert_dead_letters(letters[1:])
    assert store.events.dead_letter_count() == 1
    (stored,) = store.events.dead_letters()
    assert stored.original == original and stored.error_kind is RejectionKind.NOT_JSON


def drift(statistic: float, window_start: datetime = T0) -> DriftResult:
    return DriftResult(
        detector="mmd",
        detector_version="1",
        statistic=statistic,
        p_value=0.01,
        alpha=0.05,
        decision=DriftDecision.DRIFT,
        n_reference=500,
        n_current=480,
        explanation="new topic",
        clusters=[ClusterShift(cluster=3, reference_share=0.0, current_share=0.12, examples=["book a flight"])],
        config={"permutations": 500},
        stream=STREAM,
        window_start=window_start,
        window_end=window_start + timedelta(minutes=5),
        reference_start=window_start - timedelta(hours=1),
        reference_end=window_start,
    )


def test_drift_window_evaluated_again_replaces_the_first_verdict(store: Store) -> None:
    store.drift.insert([drift(0.1), drift(0.2, T0 + timedelta(minutes=5))])
    store.drift.insert([drift(0.3)])
    results = store.drift.results(STREAM)
    assert [(r.window_start, r.statistic) for r in results] == [(T0, 0.3), (T0 + timedelta(minutes=5), 0.2)]
    assert results[0].clusters[0].examples == ["book a flight"] and results[0].config == {"permutations": 500}
    assert store.table_counts()["drift_scores"] == 2
    with pytest.raises(ValueError, match="window"):
        store.drift.insert([drift(0.1).model_copy(update={"stream": None})])


def test_alerts_and_retrain_runs_round_trip(store: Store) -> None:
    alert = Alert(
        alert_id="a1",
        kind=AlertKind.DRIFT,
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        stream=STREAM,
        detector="mmd",
        dedup_key=f"{STREAM}/mmd",
        created_at=T0,
        summary="drift",
        drift=drift(0.3),
    )
    resolved = alert.model_copy(update={"state": AlertState.RESOLVED, "created_at": T0 + timedelta(minutes=10)})
    store.alerts.insert([alert, resolved, alert])
    assert store.alerts.page() == [resolved, alert]
    assert store.alerts.page(state=AlertState.FIRING) == [alert]

    run = RetrainRun(
        run_id="r1",
        stream=STREAM,
        status=RetrainStatus.RUNNING,
        job="builtin",
        updated_at=T0,
        metrics={"auc": 0.9},
    )
    done = run.model_copy(update={"status": RetrainStatus.SUCCEEDED, "updated_at": T0 + timedelta(minutes=1)})
    store.retrain.insert_runs([run, done, done])
    assert store.retrain.runs("r1") == [done, run]


# ---- ownership, errors, threads -----------------------------------------------------------------


def test_second_process_cannot_open_an_owned_data_dir(data_dir: Path) -> None:
    script = textwrap.dedent(
        f"""
        from infra.store import Store, StoreLockedError
        try:
            Store.open({f"chdb://{data_dir}"!r}, database="intruder")
        except StoreLockedError as exc:
            print(exc)
            raise SystemExit(3)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr[-2000:]
    assert str(data_dir) in done.stdout
    assert "another process" in done.stdout and "Only one process" in done.stdout


def test_open_error_names_the_dsn_without_its_password() -> None:
    with pytest.raises(StoreOpenError) as caught:
        Store.open("http://alice:hunter2@127.0.0.1:9/", connect_timeout_s=2)
    assert not isinstance(caught.value, StoreLockedError)
    message = str(caught.value)
    assert "127.0.0.1:9" in message and "alice:***@" in message
    assert "hunter2" not in message


def test_bad_dsn_is_an_open_error() -> None:
    with pytest.raises(StoreOpenError, match="chdb:///"):
        Store.open("chdb://memory")


def test_connect_uses_the_settings(dsn: str) -> None:
    database = f"t_{uuid.uuid4().hex[:12]}"
    settings = Settings(clickhouse={"dsn": dsn, "database": database, "events_ttl_days": 3})
    with connect(settings) as store:
        assert store.database == database and store.embedded and store.ping()
        assert "toIntervalDay(3)" in store.show_create_table("inference")
    assert not store.ping()


def test_concurrent_inserts_and_reads_from_four_threads(store: Store) -> None:
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            rng = np.random.default_rng(thread)
            for batch in range(5):
                base = thread * 1000 + batch * 100
                store.events.insert([scored(base + i, rng=rng, detectors=("pii",)) for i in range(100)])
                store.events.insert_feedback([feedback(f"f{base}", f"support-bot-{base}")])
                store.events.count()
                store.events.window(STREAM, T0, T0 + timedelta(hours=2), limit=50)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    counts = store.table_counts()
    assert counts["inference"] == 2000 and counts["safety_scores"] == 2000 and counts["feedback"] == 20
    assert all(j.matched for j in store.events.feedback())
