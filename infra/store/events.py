"""The events repository: scored inference events (with their safety scores), feedback and dead letters.

Writes are safe to repeat: the tables are ReplacingMergeTree keyed on the event (feedback, dead-letter
position), and every read that counts or returns rows deduplicates (``FINAL``): an event delivered twice
counts once. Samples (``metric_samples``, ``embedding_sample``, ``segment_embedding_samples``) pick events by a hash
of their id, so a window read again gives the same events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np

from infra.store import rows as row_lib
from infra.store.client import Repository
from infra.store.where import Where
from schemas import DeadLetter, FeedbackEvent, ScoredFeedback, ScoredInference, StreamKey
from schemas.errors import StoreError


@dataclass(frozen=True)
class InferenceWindow:
    """Events of one stream in ``[start, end)`` with their embeddings, ordered by event time.

    ``prompt_embeddings`` and ``response_embeddings`` are ``(n, dim)`` float32 arrays aligned with ``event_ids``
    (``(0, 0)`` when there is none; an event stored without a response embedding has a row of NaN).
    """

    stream: StreamKey
    start: datetime
    end: datetime
    event_ids: list[str]
    event_times: list[datetime]
    prompts: list[str]
    responses: list[str]
    prompt_embeddings: np.ndarray = field(repr=False)
    response_embeddings: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.event_ids)


@dataclass(frozen=True)
class StreamSpan:
    """A stream with the event times of its first and last stored events."""

    stream: StreamKey
    first_event: datetime
    last_event: datetime


@dataclass(frozen=True)
class JoinedFeedback:
    """A feedback event with the inference it is about; ``stream`` is None while that inference is unknown."""

    feedback: FeedbackEvent
    received_at: datetime
    stream: StreamKey | None
    event_time: datetime | None
    prompt: str | None
    response: str | None

    @property
    def matched(self) -> bool:
        return self.stream is not None


def _embeddings(values: Sequence[Sequence[float]]) -> np.ndarray:
    """Stack vectors into ``(n, dim)`` float32; a missing (empty) vector becomes a row of NaN."""
    dims = {len(v) for v in values if len(v)}
    if not dims:
        return np.zeros((0, 0), dtype=np.float32)
    if len(dims) > 1:
        raise StoreError(
            f"embeddings of different sizes {sorted(dims)} in one window: pass embedding_model= to pick one model"
        )
    (dim,) = dims
    if all(len(v) for v in values):
        return np.asarray(values, dtype=np.float32)
    out = np.full((len(values), dim), np.nan, dtype=np.float32)
    for i, vector in enumerate(values):
        if len(vector):
            out[i] = vector
    return out


class EventRepository(Repository):
    """Inference events and their safety scores, feedback, dead letters; streams, windows and samples of events."""

    tables = ("inference", "safety_scores", "feedback", "dead_letters")

    def insert(self, rows: Sequence[ScoredInference]) -> int:
        """Store scored events and their safety scores; return how many events were written."""
        if not rows:
            return 0
        self._client.insert("safety_scores", row_lib.safety_columns(rows))
        return self._client.insert_arrow("inference", row_lib.inference_table(rows))

    def insert_feedback(self, rows: Sequence[ScoredFeedback]) -> int:
        return self._client.insert("feedback", row_lib.feedback_columns(rows))

    def insert_dead_letters(self, rows: Sequence[DeadLetter]) -> int:
        return self._client.insert("dead_letters", row_lib.dead_letter_columns(rows))

    def count(
        self,
        app: str | None = None,
        model: str | None = None,
        model_version: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> int:
        """Distinct events, optionally of one app/model/version and in ``[start, end)`` of event time."""
        where = Where().time("event_time", start, end).equal("app", app).equal("model", model)
        where.equal("model_version", model_version)
        return int(self._client.scalar(f"SELECT count() FROM inference FINAL {where.sql()}", where.params))

    def streams(self, since: datetime | None = None) -> list[StreamKey]:
        """Every (app, model, model_version) with events, optionally only those with events since ``since``."""
        where = Where().time("event_time", since, None)
        rows = self._client.rows(
            f"SELECT DISTINCT app, model, model_version FROM inference {where.sql()} "
            "ORDER BY app, model, model_version",
            where.params,
        )
        return [StreamKey(**row) for row in rows]

    def stream_spans(self, since: datetime | None = None) -> list[StreamSpan]:
        """Every stream with its first and last event time; with ``since``, only streams with events since then."""
        having = ""
        params: dict[str, Any] = {}
        if since is not None:
            having = "HAVING max(event_time) >= {since:DateTime64(6, 'UTC')}"
            params["since"] = row_lib.utc(since)
        rows = self._client.rows(
            "SELECT app, model, model_version, min(event_time) AS first_event, max(event_time) AS last_event "
            f"FROM inference GROUP BY app, model, model_version {having} ORDER BY app, model, model_version",
            params,
        )
        return [
            StreamSpan(
                row_lib.stream_of(r),
                r["first_event"],
                r["last_event"],
            )
            for r in rows
        ]

    def window(
        self,
        stream: StreamKey,
        start: datetime,
        end: datetime,
        limit: int | None = None,
        *,
        embedding_model: str | None = None,
    ) -> InferenceWindow:
        """Embedded events of ``stream`` with ``start <= event_time < end``.

        With ``limit``, a uniform sample of that many events is taken, the same on every call
        (ordered by a hash of the event id), so a window re-evaluated reads the same events.
        Events stored without embeddings are left out.
        """
        where = Where().stream(stream).time("event_time", start, end).add("notEmpty(prompt_embedding)")
        if embedding_model is not None:
            where.add("embedding_model = {embedding_model:String}", embedding_model=embedding_model)
        limit_sql = ""
        if limit is not None:
            if limit < 0:
                raise ValueError("limit must be >= 0")
            limit_sql = "ORDER BY cityHash64(event_id) LIMIT {limit:UInt64}"
            where.params["limit"] = limit
        rows = self._client.rows(
            "SELECT event_id, event_time, prompt, response, prompt_embedding, response_embedding FROM ("
            f"SELECT event_id, event_time, prompt, response, prompt_embedding, response_embedding "
            f"FROM inference FINAL {where.sql()} {limit_sql}) ORDER BY event_time, event_id",
            where.params,
        )
        return InferenceWindow(
            stream=stream,
            start=row_lib.utc(start),
            end=row_lib.utc(end),
            event_ids=[r["event_id"] for r in rows],
            event_times=[r["event_time"] for r in rows],
            prompts=[r["prompt"] for r in rows],
            responses=[r["response"] for r in rows],
            prompt_embeddings=_embeddings([r["prompt_embedding"] for r in rows]),
            response_embeddings=_embeddings([r["response_embedding"] for r in rows]),
        )

    def rows(
        self,
        stream: StreamKey,
        *,
        windows: Sequence[tuple[datetime, datetime]] = (),
        event_ids: Sequence[str] = (),
        limit: int = 100_000,
    ) -> list[dict[str, Any]]:
        """Events of ``stream`` inside any of ``windows`` (``[start, end)``) or with one of ``event_ids``.

        Rows carry every stored column a dataset snapshot needs, embeddings included, ordered by
        ``(event_time, event_id)``; the same stored events always give the same rows.
        """
        if limit < 0:
            raise ValueError("limit must be >= 0")
        where = Where().stream(stream)
        params: dict[str, Any] = dict(where.params)
        alternatives = []
        for i, (start, end) in enumerate(windows):
            alternatives.append(
                f"(event_time >= {{ws{i}:DateTime64(6, 'UTC')}} AND event_time < {{we{i}:DateTime64(6, 'UTC')}})"
            )
            params[f"ws{i}"], params[f"we{i}"] = row_lib.utc(start), row_lib.utc(end)
        if event_ids:
            alternatives.append("event_id IN {event_ids:Array(String)}")
            params["event_ids"] = sorted(set(event_ids))
        if not alternatives:
            return []
        where.add(f"({' OR '.join(alternatives)})")
        return self._client.rows(
            "SELECT event_id, event_time, app, model, model_version, prompt, response, latency_ms, tokens_in, "
            "tokens_out, user_id, session_id, prompt_embedding, response_embedding, embedding_model "
            f"FROM inference FINAL {where.sql()} ORDER BY event_time, event_id LIMIT {{limit:UInt64}}",
            {**params, "limit": limit},
        )

    def breached_ids(self, detectors: Sequence[str]) -> set[str]:
        """Ids of events with a breached score from any of ``detectors``."""
        rows = self._client.rows(
            "SELECT DISTINCT event_id FROM safety_scores FINAL "
            "WHERE breached AND detector IN {detectors:Array(String)}",
            {"detectors": list(detectors)},
        )
        return {r["event_id"] for r in rows}

    def embedding_models(self) -> list[str]:
        """The embedding models stored rows were embedded with (empty name: not embedded)."""
        rows = self._client.rows("SELECT DISTINCT embedding_model FROM inference WHERE embedding_model != ''")
        return sorted(r["embedding_model"] for r in rows)

    # ---- feedback, joined to its inference -----------------------------------------------------------

    def feedback(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        stream: StreamKey | None = None,
        limit: int = 100_000,
    ) -> list[JoinedFeedback]:
        """Feedback in ``[start, end)`` of feedback time, each with its inference when that is stored.

        Feedback whose inference has not arrived (or never will) is returned with ``stream=None``;
        with ``stream`` given, only feedback matched to that stream is returned.
        """
        where = Where().time("feedback_time", start, end)
        matched = Where().stream(stream, prefix="i.")
        rows = self._client.rows(
            "SELECT f.feedback_id AS feedback_id, f.event_id AS event_id, f.feedback_time AS feedback_time, "
            "f.kind AS kind, f.value AS value, f.labels AS labels, f.text AS text, f.user_id AS user_id, "
            "f.schema_version AS schema_version, f.received_at AS received_at, i.app AS app, i.model AS model, "
            "i.model_version AS model_version, i.event_time AS event_time, i.prompt AS prompt, i.response AS response "
            f"FROM (SELECT * FROM feedback FINAL {where.sql()}) AS f "
            "GLOBAL LEFT JOIN (SELECT event_id, app, model, model_version, event_time, prompt, response "
            "FROM inference FINAL WHERE event_id GLOBAL IN "
            f"(SELECT event_id FROM feedback {where.sql()})) AS i ON f.event_id = i.event_id "
            f"{matched.sql()} ORDER BY f.feedback_time, f.feedback_id LIMIT {{limit:UInt64}}",
            Where.merged(where, matched, limit=limit),
            settings={"join_use_nulls": 1},
        )
        return [
            JoinedFeedback(
                feedback=FeedbackEvent(
                    feedback_id=r["feedback_id"],
                    event_id=r["event_id"],
                    feedback_time=r["feedback_time"],
                    kind=r["kind"],
                    value=r["value"],
                    labels=r["labels"],
                    text=r["text"],
                    user_id=r["user_id"],
                    schema_version=r["schema_version"],
                ),
                received_at=r["received_at"],
                stream=None if r["app"] is None else row_lib.stream_of(r),
                event_time=r["event_time"],
                prompt=r["prompt"],
                response=r["response"],
            )
            for r in rows
        ]

    # ---- dead letters --------------------------------------------------------------------------------

    def dead_letter_count(self) -> int:
        return int(self._client.scalar("SELECT count() FROM dead_letters FINAL"))

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The most recent dead letters, newest first, with their original bytes."""
        rows = self._client.rows(
            "SELECT source_topic, source_partition, source_offset, error_kind, reason, original, received_at "
            "FROM dead_letters FINAL ORDER BY received_at DESC, source_offset DESC LIMIT {limit:UInt64}",
            {"limit": limit},
            column_formats={"original": "bytes"},
        )
        return [DeadLetter(**r) for r in rows]

    # ---- samples for rank tests and embedding drift ---------------------------------------------------

    def metric_samples(
        self,
        stream: StreamKey,
        start: datetime | None,
        end: datetime | None,
        *,
        tag_filter: Mapping[str, str] | None = None,
        limit: int = 20_000,
        relevance_detector: str = "relevance",
    ) -> dict[str, np.ndarray]:
        """Per-event latency, tokens, cost and relevance score of a deterministic sample (by event-id hash).

        Arrays are float64 and aligned; a missing value is NaN.
        """
        where = Where().stream(stream).time("event_time", start, end).tags(tag_filter)
        scores = Where().stream(stream).time("event_time", start, end).equal("detector", relevance_detector)
        rows = self._client.rows(
            "SELECT i.latency_ms AS latency_ms, i.tokens_in AS tokens_in, i.tokens_out AS tokens_out, "
            "i.cost_usd AS cost_usd, s.score AS relevance FROM ("
            "SELECT event_id, latency_ms, tokens_in, tokens_out, cost_usd FROM inference FINAL "
            f"{where.sql()} ORDER BY cityHash64(event_id) LIMIT {{limit:UInt64}}) AS i "
            "GLOBAL LEFT JOIN (SELECT event_id, any(score) AS score FROM safety_scores FINAL "
            f"{scores.sql()} GROUP BY event_id) AS s ON s.event_id = i.event_id",
            Where.merged(where, scores, limit=limit),
            settings={"join_use_nulls": 1},
        )
        names = ("latency_ms", "tokens_in", "tokens_out", "cost_usd", "relevance")
        return {
            name: np.array([np.nan if r[name] is None else float(r[name]) for r in rows], dtype=np.float64)
            for name in names
        }

    def embedding_sample(
        self,
        stream: StreamKey,
        start: datetime | None,
        end: datetime | None,
        *,
        feature: Literal["prompt_embedding", "response_embedding"] = "response_embedding",
        tag_filter: Mapping[str, str] | None = None,
        limit: int = 1000,
    ) -> tuple[np.ndarray, list[str]]:
        """Embeddings of one feature (with their texts) of a deterministic sample of embedded events."""
        if feature not in ("prompt_embedding", "response_embedding"):
            raise ValueError(f"unknown embedding feature {feature!r}")
        text = "prompt" if feature == "prompt_embedding" else "response"
        where = Where().stream(stream).time("event_time", start, end).tags(tag_filter).add(f"notEmpty({feature})")
        rows = self._client.rows(
            f"SELECT {feature} AS v, {text} AS t FROM inference FINAL {where.sql()} "
            "ORDER BY cityHash64(event_id) LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        dims = {len(r["v"]) for r in rows}
        if not rows or len(dims) != 1:
            return np.zeros((0, 0), dtype=np.float32), []
        return np.asarray([r["v"] for r in rows], dtype=np.float32), [r["t"] for r in rows]

    def segment_embedding_samples(
        self,
        stream: StreamKey,
        start: datetime | None,
        end: datetime | None,
        segments: Sequence[tuple[str, str]],
        *,
        feature: Literal["prompt_embedding", "response_embedding"] = "prompt_embedding",
        limit: int = 500,
        unset_label: str = "(unset)",
        one_per_session: bool = False,
    ) -> dict[tuple[str, str], tuple[np.ndarray, list[str]]]:
        """Embeddings (with their texts) of each ``(tag, value)`` segment: at most ``limit`` per segment.

        The sample is deterministic (the ``limit`` events of the segment with the smallest hash of their id),
        so a window read again gives the same rows. Ids are picked first and only their embeddings are read,
        so a long range costs an id scan, not an embedding scan. Events without the tag belong to the
        ``unset_label`` segment; events without the embedding are left out. Segments with no events are absent.
        With ``one_per_session``, a session contributes one event per segment (the turns of a session share
        its topic, so they are not independent draws); events without a session id count alone.
        """
        if feature not in ("prompt_embedding", "response_embedding"):
            raise ValueError(f"unknown embedding feature {feature!r}")
        if not segments:
            return {}
        text = "prompt" if feature == "prompt_embedding" else "response"
        where = Where().stream(stream).time("event_time", start, end).add(f"notEmpty({feature})")
        pairs = "arrayMap(t -> (t, if(mapContains(tags, t), tags[t], {unset:String})), {seg_tags:Array(String)})"
        candidates = (
            f"SELECT event_id, tv.1 AS tag, tv.2 AS value, ifNull(session_id, event_id) AS unit "
            f"FROM inference FINAL ARRAY JOIN {pairs} AS tv "
            f"{where.sql()} AND has({{segments:Array(Tuple(String, String))}}, tv)"
        )
        if one_per_session:
            candidates += " ORDER BY cityHash64(event_id) LIMIT 1 BY tag, value, unit"
        picked = (
            f"SELECT event_id, tag, value FROM ({candidates}) "
            "ORDER BY tag, value, cityHash64(event_id) LIMIT {limit:UInt64} BY tag, value"
        )
        rows = self._client.rows(
            f"WITH picked AS ({picked}) "
            "SELECT p.tag AS tag, p.value AS value, e.v AS v, e.t AS t FROM picked AS p "
            f"GLOBAL INNER JOIN (SELECT event_id, {feature} AS v, {text} AS t FROM inference FINAL {where.sql()} "
            "AND event_id GLOBAL IN (SELECT event_id FROM picked)) AS e ON e.event_id = p.event_id "
            "ORDER BY tag, value, cityHash64(p.event_id)",
            {
                **where.params,
                "unset": unset_label,
                "seg_tags": sorted({tag for tag, _ in segments}),
                "segments": [tuple(s) for s in segments],
                "limit": limit,
            },
        )
        grouped: dict[tuple[str, str], tuple[list[list[float]], list[str]]] = {}
        for r in rows:
            vectors, texts = grouped.setdefault((r["tag"], r["value"]), ([], []))
            vectors.append(r["v"])
            texts.append(r["t"])
        out: dict[tuple[str, str], tuple[np.ndarray, list[str]]] = {}
        for key, (vectors, texts) in grouped.items():
            if len({len(v) for v in vectors}) == 1:
                out[key] = np.asarray(vectors, dtype=np.float32), texts
        return out
