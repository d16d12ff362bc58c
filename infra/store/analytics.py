"""Store queries for segments, version comparison and usage analytics; mixed into :class:`~infra.store.Store`.

Every aggregation runs in ClickHouse over the deduplicated tables (``FINAL``), every value travels as
a bound parameter. Events are selected by stream(s), an event-time range ``[start, end)`` and an
optional tag filter (``tags[name] = value`` for each item, e.g. the experiment of canary traffic).
Feedback and safety scores are joined by event id, so an event's outcomes count in the window of the
event, whenever its feedback arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np

from infra.store import rows as row_lib
from infra.store.queries import QueryBase
from schemas import SegmentDisparity, StreamKey

UsageGroup = Literal["app", "model", "version", "none"]
_GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "app": ("app",),
    "model": ("model",),
    "version": ("app", "model", "model_version"),
    "none": (),
}


@dataclass(frozen=True)
class OutcomeCounts:
    """Per-event outcome counts of one group of events (a stream, or a segment of it).

    ``tag`` and ``value`` name the segment ('' for a whole stream). Each rate has its own denominator:
    thumbs-down among events with thumbs feedback (the latest thumbs of an event decides), flags among all
    events, breaches among events with safety scores, refusal and off-topic among events that detector scored.
    """

    stream: StreamKey
    tag: str
    value: str
    events: int
    thumbs: int
    thumbs_down: int
    flagged: int
    scored: int
    breached: int
    refusal_scored: int
    refused: int
    relevance_scored: int
    off_topic: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None

    def rate_counts(self, metric: str) -> tuple[int, int]:
        """``(k, n)`` of one rate metric: thumbs_down, flag, safety_breach, refusal or off_topic."""
        return {
            "thumbs_down": (self.thumbs_down, self.thumbs),
            "flag": (self.flagged, self.events),
            "safety_breach": (self.breached, self.scored),
            "refusal": (self.refused, self.refusal_scored),
            "off_topic": (self.off_topic, self.relevance_scored),
        }[metric]


class _Filter:
    """WHERE clauses over ``inference`` (or a table with the same stream and time columns)."""

    def __init__(
        self,
        streams: Sequence[StreamKey],
        start: datetime | None,
        end: datetime | None,
        tag_filter: Mapping[str, str] | None = None,
        *,
        with_tags: bool = True,
    ) -> None:
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}
        alternatives = []
        for i, s in enumerate(streams):
            alternatives.append(
                f"(app = {{a{i}:String}} AND model = {{m{i}:String}} AND model_version = {{v{i}:String}})"
            )
            self.params.update({f"a{i}": s.app, f"m{i}": s.model, f"v{i}": s.model_version})
        if alternatives:
            self.clauses.append(f"({' OR '.join(alternatives)})")
        if start is not None:
            self.clauses.append("event_time >= {start:DateTime64(6, 'UTC')}")
            self.params["start"] = row_lib.utc(start)
        if end is not None:
            self.clauses.append("event_time < {end:DateTime64(6, 'UTC')}")
            self.params["end"] = row_lib.utc(end)
        if with_tags:
            for i, (name, value) in enumerate(sorted((tag_filter or {}).items())):
                self.clauses.append(f"tags[{{tk{i}:String}}] = {{tv{i}:String}}")
                self.params.update({f"tk{i}": name, f"tv{i}": value})

    def sql(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


class AnalyticsQueries(QueryBase):
    """Segment, comparison and usage queries."""

    # ---- outcomes per stream or segment --------------------------------------------------------------

    def outcome_counts(
        self,
        streams: Sequence[StreamKey],
        start: datetime | None,
        end: datetime | None,
        *,
        segment_tags: Sequence[str] = (),
        max_values: int = 10,
        other_label: str = "other",
        unset_label: str = "(unset)",
        tag_filter: Mapping[str, str] | None = None,
        refusal_detector: str = "refusal",
        off_topic_detector: str = "relevance",
        breach_detectors: Sequence[str] = ("jailbreak", "harmful_request", "toxicity", "pii"),
    ) -> list[OutcomeCounts]:
        """Outcome counts of each stream, or of each segment of each stream when ``segment_tags`` are given.

        Per stream and tag, the ``max_values`` most frequent values in the range are kept and the rest
        pooled under ``other_label``; events without the tag count under ``unset_label``.
        """
        where = _Filter(streams, start, end, tag_filter)
        params: dict[str, Any] = {
            **where.params,
            "refusal": refusal_detector,
            "off_topic": off_topic_detector,
            "breach": list(breach_detectors),
            "seg_tags": list(segment_tags),
            "unset": unset_label,
            "other": other_label,
            "max_values": max_values,
        }
        events_sql = f"SELECT event_id FROM inference {where.sql()}"
        scores_where = _Filter(streams, start, end, with_tags=False)
        if segment_tags:
            pairs = "arrayMap(t -> (t, if(mapContains(tags, t), tags[t], {unset:String})), {seg_tags:Array(String)})"
            top = (
                f"SELECT app, model, model_version, tv.1 AS tag, tv.2 AS value FROM inference FINAL "
                f"ARRAY JOIN {pairs} AS tv {where.sql()} GROUP BY app, model, model_version, tag, value "
                "ORDER BY count() DESC, value LIMIT {max_values:UInt32} BY app, model, model_version, tag"
            )
            segment = f"if((app, model, model_version, tv.1, tv.2) GLOBAL IN ({top}), tv.2, {{other:String}})"
        else:
            pairs, segment = "[('', '')]", "tv.2"
        rows = self._rows(
            "SELECT i.app AS app, i.model AS model, i.model_version AS model_version, i.tag AS tag, "
            "i.value AS value, count() AS events, countIf(f.thumbs > 0) AS thumbs, "
            "countIf(f.thumbs > 0 AND f.last_thumb < 0) AS thumbs_down, countIf(f.flags > 0) AS flagged, "
            "countIf(s.scored > 0) AS scored, countIf(s.breach) AS breached, "
            "countIf(s.refusal_scored) AS refusal_scored, countIf(s.refused) AS refused, "
            "countIf(s.relevance_scored) AS relevance_scored, countIf(s.off_topic) AS off_topic, "
            "quantileIf(0.5)(i.latency_ms, isNotNull(i.latency_ms)) AS p50, "
            "quantileIf(0.95)(i.latency_ms, isNotNull(i.latency_ms)) AS p95, "
            "countIf(isNotNull(i.latency_ms)) AS n_latency "
            f"FROM (SELECT event_id, app, model, model_version, latency_ms, tv.1 AS tag, {segment} AS value "
            f"FROM inference FINAL ARRAY JOIN {pairs} AS tv {where.sql()}) AS i "
            "GLOBAL LEFT JOIN (SELECT event_id, countIf(kind = 'thumbs') AS thumbs, "
            "argMaxIf(value, feedback_time, kind = 'thumbs') AS last_thumb, countIf(kind = 'flag') AS flags "
            f"FROM feedback FINAL WHERE event_id GLOBAL IN ({events_sql}) GROUP BY event_id) AS f "
            "ON f.event_id = i.event_id "
            "GLOBAL LEFT JOIN (SELECT event_id, count() AS scored, "
            "max(breached AND detector IN {breach:Array(String)}) AS breach, "
            "countIf(detector = {refusal:String}) > 0 AS refusal_scored, "
            "maxIf(breached, detector = {refusal:String}) AS refused, "
            "countIf(detector = {off_topic:String}) > 0 AS relevance_scored, "
            "maxIf(breached, detector = {off_topic:String}) AS off_topic "
            f"FROM safety_scores FINAL {scores_where.sql()} GROUP BY event_id) AS s ON s.event_id = i.event_id "
            "GROUP BY app, model, model_version, tag, value ORDER BY app, model, model_version, tag, value",
            {**params, **scores_where.params},
            settings={"join_use_nulls": 0},
        )
        return [
            OutcomeCounts(
                stream=StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]),
                tag=r["tag"],
                value=r["value"],
                events=int(r["events"]),
                thumbs=int(r["thumbs"]),
                thumbs_down=int(r["thumbs_down"]),
                flagged=int(r["flagged"]),
                scored=int(r["scored"]),
                breached=int(r["breached"]),
                refusal_scored=int(r["refusal_scored"]),
                refused=int(r["refused"]),
                relevance_scored=int(r["relevance_scored"]),
                off_topic=int(r["off_topic"]),
                latency_p50_ms=float(r["p50"]) if r["n_latency"] else None,
                latency_p95_ms=float(r["p95"]) if r["n_latency"] else None,
            )
            for r in rows
        ]

    # ---- samples for rank tests and embedding drift ----------------------------------------------------

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
        where = _Filter([stream], start, end, tag_filter)
        scores = _Filter([stream], start, end, with_tags=False)
        rows = self._rows(
            "SELECT i.latency_ms AS latency_ms, i.tokens_in AS tokens_in, i.tokens_out AS tokens_out, "
            "i.cost_usd AS cost_usd, s.score AS relevance FROM ("
            "SELECT event_id, latency_ms, tokens_in, tokens_out, cost_usd FROM inference FINAL "
            f"{where.sql()} ORDER BY cityHash64(event_id) LIMIT {{limit:UInt64}}) AS i "
            "GLOBAL LEFT JOIN (SELECT event_id, any(score) AS score FROM safety_scores FINAL "
            f"{scores.sql()}{' AND' if scores.clauses else ' WHERE'} detector = {{relevance:String}} "
            "GROUP BY event_id) AS s ON s.event_id = i.event_id",
            {**where.params, **scores.params, "limit": limit, "relevance": relevance_detector},
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
        where = _Filter([stream], start, end, tag_filter)
        where.clauses.append(f"notEmpty({feature})")
        rows = self._rows(
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
        where = _Filter([stream], start, end, with_tags=False)
        where.clauses.append(f"notEmpty({feature})")
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
        rows = self._rows(
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

    # ---- usage --------------------------------------------------------------------------------------

    _USAGE = (
        "count() AS requests, uniqExact(user_id) AS users, uniqExact(session_id) AS sessions, "
        "countIf(isNotNull(user_id)) AS with_user, countIf(isNotNull(session_id)) AS with_session, "
        "toUInt64(sum(ifNull(tokens_in, 0))) AS tokens_in, toUInt64(sum(ifNull(tokens_out, 0))) AS tokens_out, "
        "sum(ifNull(cost_usd, 0)) AS cost_usd"
    )

    def usage_totals(
        self,
        start: datetime | None,
        end: datetime | None,
        *,
        group_by: UsageGroup = "version",
        app: str | None = None,
        order_by_cost: bool = False,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Requests, active users and sessions, requests per user and session, tokens and cost per group.

        ``group_by``: ``app``, ``model``, ``version`` (app/model/version) or ``none`` (one row, all events).
        """
        where = _Filter([], start, end)
        if app is not None:
            where.clauses.append("app = {app:String}")
            where.params["app"] = app
        cols = _GROUP_COLUMNS[group_by]
        select = "".join(f"{c}, " for c in cols)
        group = f"GROUP BY {', '.join(cols)}" if cols else ""
        order = (
            "ORDER BY cost_usd DESC, requests DESC"
            if order_by_cost
            else (f"ORDER BY {', '.join(cols)}" if cols else "")
        )
        rows = self._rows(
            f"SELECT {select}{self._USAGE} FROM inference FINAL {where.sql()} {group} {order} LIMIT {{limit:UInt64}}",
            {**where.params, "limit": limit},
        )
        for r in rows:
            r["requests_per_user"] = r["with_user"] / r["users"] if r["users"] else None
            r["requests_per_session"] = r["with_session"] / r["sessions"] if r["sessions"] else None
        return rows

    def usage_series(
        self,
        start: datetime,
        end: datetime,
        bucket_s: int,
        *,
        group_by: UsageGroup = "none",
        app: str | None = None,
    ) -> list[dict[str, Any]]:
        """Usage per ``bucket_s`` of event time (and per group), oldest bucket first."""
        where = _Filter([], start, end)
        if app is not None:
            where.clauses.append("app = {app:String}")
            where.params["app"] = app
        cols = _GROUP_COLUMNS[group_by]
        keys = "".join(f", {c}" for c in cols)
        return self._rows(
            "SELECT toStartOfInterval(event_time, toIntervalSecond({bucket_s:UInt32})) AS bucket"
            f"{keys}, {self._USAGE} FROM inference FINAL {where.sql()} GROUP BY bucket{keys} ORDER BY bucket{keys}",
            {**where.params, "bucket_s": bucket_s},
        )

    # ---- segment results and progress (monitor.segments) --------------------------------------------

    def insert_segment_results(self, results: Sequence[SegmentDisparity]) -> int:
        """Store disparity results; a window evaluated again replaces its rows."""
        return self._insert("segment_results", row_lib.segment_result_columns(results))

    def segment_results(
        self,
        stream: StreamKey | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        disparate_only: bool = False,
        limit: int = 1000,
    ) -> list[SegmentDisparity]:
        """Stored disparity results of windows starting in ``[start, end)``, newest window first."""
        where = _Filter([stream] if stream else [], None, None, with_tags=False)
        if start is not None:
            where.clauses.append("window_start >= {start:DateTime64(6, 'UTC')}")
            where.params["start"] = row_lib.utc(start)
        if end is not None:
            where.clauses.append("window_start < {end:DateTime64(6, 'UTC')}")
            where.params["end"] = row_lib.utc(end)
        if disparate_only:
            where.clauses.append("disparate")
        rows = self._rows(
            f"SELECT result FROM segment_results FINAL {where.sql()} "
            "ORDER BY window_start DESC, app, model, model_version, tag, value, metric LIMIT {limit:UInt64}",
            {**where.params, "limit": limit},
        )
        return [SegmentDisparity.model_validate_json(r["result"]) for r in rows]

    def segment_progress(self) -> dict[StreamKey, datetime]:
        """The end of the last segment window evaluated per stream."""
        rows = self._rows("SELECT app, model, model_version, window_end FROM segment_progress FINAL")
        return {
            StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]): r["window_end"] for r in rows
        }

    def set_segment_progress(self, stream: StreamKey, window_end: datetime) -> None:
        self._insert(
            "segment_progress",
            (
                ["app", "model", "model_version", "window_end"],
                [[stream.app], [stream.model], [stream.model_version], [row_lib.utc(window_end)]],
            ),
        )
