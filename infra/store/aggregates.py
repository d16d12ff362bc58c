"""The aggregates repository: read-side summaries the dashboard, the API and analytics show.

Stream overviews, per-bucket usage, safety and feedback, outcome counts per stream or segment, and usage
totals and series. Every aggregation runs in ClickHouse over the deduplicated tables (``FINAL``). Events are
selected by stream(s), an event-time range ``[start, end)`` and an optional tag filter (``tags[name] = value``
for each item, e.g. the experiment of canary traffic). Feedback and safety scores are joined by event id, so
an event's outcomes count in the window of the event, whenever its feedback arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from infra.store import rows as row_lib
from infra.store.client import Repository
from infra.store.where import Where
from schemas import FeedbackByVersion, SafetyBucket, StreamKey, StreamOverview, UsageBucket

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


@dataclass
class SignalCounts:
    """What one window of one stream holds for its signals: counts for rates, capped samples for the rest.

    ``scored`` / ``breached`` count events per safety detector; ``samples`` hold at most the query's
    ``cap`` values per signal, the events chosen by a hash of their id (latency_ms, tokens_in, tokens_out,
    cost_usd, response_chars, relevance, rating). Feedback counts per event, whenever it arrived.
    """

    events: int = 0
    with_feedback: int = 0
    thumbs: int = 0
    thumbs_down: int = 0
    flagged: int = 0
    corrected: int = 0
    scored: dict[str, int] = field(default_factory=dict)
    breached: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)

    @staticmethod
    def merged(parts: Sequence[SignalCounts]) -> SignalCounts:
        """Counts added and samples concatenated (a trailing reference made of windows)."""
        out = SignalCounts()
        for p in parts:
            for name in ("events", "with_feedback", "thumbs", "thumbs_down", "flagged", "corrected"):
                setattr(out, name, getattr(out, name) + getattr(p, name))
            for total, part in ((out.scored, p.scored), (out.breached, p.breached), (out.samples, p.samples)):
                for key, value in part.items():
                    total[key] = total.get(key, 0 if isinstance(value, int) else []) + value
        return out


SIGNAL_SAMPLES = ("latency_ms", "tokens_in", "tokens_out", "cost_usd", "response_chars", "relevance", "rating")


class AggregateRepository(Repository):
    """Overviews, buckets, outcome counts and usage: reads only, over the events, scores and alerts tables."""

    # ---- dashboard ------------------------------------------------------------------------------------

    def stream_overviews(self, now: datetime, window_s: int = 3600) -> list[StreamOverview]:
        """Every stream with its totals, and its rates over the last ``window_s`` seconds.

        The window ends at ``now``, or at the latest stored event time when producers' clocks run ahead;
        feedback counts by feedback time from the window's start on.
        """
        latest = self._client.scalar("SELECT max(event_time) FROM inference")
        end = max(row_lib.utc(now), row_lib.utc(latest)) if latest is not None else row_lib.utc(now)
        params: dict[str, Any] = {"since": end - timedelta(seconds=window_s)}
        window = "{since:DateTime64(6, 'UTC')}"
        key = ("app", "model", "model_version")
        events = self._client.rows(
            "SELECT app, model, model_version, count() AS events, min(event_time) AS first_event, "
            f"max(event_time) AS last_event, countIf(event_time >= {window}) AS window_events "
            "FROM inference FINAL GROUP BY app, model, model_version ORDER BY app, model, model_version",
            params,
        )
        safety = self._client.rows(
            "SELECT app, model, model_version, uniqExact(event_id) AS scored, "
            "uniqExactIf(event_id, breached) AS breached FROM safety_scores FINAL "
            f"WHERE event_time >= {window} GROUP BY app, model, model_version",
            params,
        )
        thumbs = self._client.rows(
            "SELECT i.app AS app, i.model AS model, i.model_version AS model_version, count() AS thumbs, "
            "countIf(f.value < 0) AS down FROM (SELECT event_id, value FROM feedback FINAL "
            f"WHERE kind = 'thumbs' AND feedback_time >= {window}) AS f "
            "GLOBAL INNER JOIN (SELECT event_id, app, model, model_version FROM inference FINAL "
            "WHERE event_id GLOBAL IN (SELECT event_id FROM feedback WHERE kind = 'thumbs' "
            f"AND feedback_time >= {window})) AS i ON f.event_id = i.event_id "
            "GROUP BY app, model, model_version",
            params,
        )
        open_alerts = self._client.rows(
            "SELECT app, model, model_version, count() AS open FROM (SELECT dedup_key, any(app) AS app, "
            "any(model) AS model, any(model_version) AS model_version, argMax(state, created_at) AS last_state "
            "FROM alerts FINAL GROUP BY dedup_key) WHERE last_state = 'firing' GROUP BY app, model, model_version"
        )
        by_key = {
            name: {tuple(r[k] for k in key): r for r in rows}
            for name, rows in (("safety", safety), ("thumbs", thumbs), ("alerts", open_alerts))
        }
        out = []
        for r in events:
            k = tuple(r[c] for c in key)
            s, t, a = by_key["safety"].get(k), by_key["thumbs"].get(k), by_key["alerts"].get(k)
            out.append(
                StreamOverview(
                    stream=row_lib.stream_of(r),
                    events=r["events"],
                    first_event=r["first_event"],
                    last_event=r["last_event"],
                    window_s=window_s,
                    window_events=r["window_events"],
                    event_rate_per_min=r["window_events"] * 60.0 / window_s,
                    safety_breach_rate=s["breached"] / s["scored"] if s and s["scored"] else None,
                    thumbs_feedback=t["thumbs"] if t else 0,
                    thumbs_down_rate=t["down"] / t["thumbs"] if t and t["thumbs"] else None,
                    open_alerts=a["open"] if a else 0,
                )
            )
        return out

    def usage_buckets(self, stream: StreamKey, start: datetime, end: datetime, bucket_s: int) -> list[UsageBucket]:
        """Events, latency quantiles, mean tokens and summed cost of ``stream`` per ``bucket_s`` of event time."""
        where = Where().stream(stream).time("event_time", start, end)
        rows = self._client.rows(
            "SELECT toStartOfInterval(event_time, toIntervalSecond({bucket_s:UInt32})) AS bucket, count() AS events, "
            "quantileIf(0.5)(latency_ms, isNotNull(latency_ms)) AS p50, "
            "quantileIf(0.95)(latency_ms, isNotNull(latency_ms)) AS p95, countIf(isNotNull(latency_ms)) AS n_latency, "
            "avgIf(tokens_in, isNotNull(tokens_in)) AS tin, countIf(isNotNull(tokens_in)) AS n_tin, "
            "avgIf(tokens_out, isNotNull(tokens_out)) AS tout, countIf(isNotNull(tokens_out)) AS n_tout, "
            "sumIf(cost_usd, isNotNull(cost_usd)) AS cost, countIf(isNotNull(cost_usd)) AS n_cost "
            f"FROM inference FINAL {where.sql()} GROUP BY bucket ORDER BY bucket",
            {**where.params, "bucket_s": bucket_s},
        )
        return [
            UsageBucket(
                bucket=r["bucket"],
                events=r["events"],
                latency_p50_ms=r["p50"] if r["n_latency"] else None,
                latency_p95_ms=r["p95"] if r["n_latency"] else None,
                tokens_in_mean=r["tin"] if r["n_tin"] else None,
                tokens_out_mean=r["tout"] if r["n_tout"] else None,
                cost_usd=r["cost"] if r["n_cost"] else None,
            )
            for r in rows
        ]

    def safety_buckets(self, stream: StreamKey, start: datetime, end: datetime, bucket_s: int) -> list[SafetyBucket]:
        """Per detector and ``bucket_s`` of event time: events scored, events with a breach, their share."""
        where = Where().stream(stream).time("event_time", start, end)
        rows = self._client.rows(
            "SELECT toStartOfInterval(event_time, toIntervalSecond({bucket_s:UInt32})) AS bucket, detector, "
            "uniqExact(event_id) AS scored, uniqExactIf(event_id, breached) AS breached "
            f"FROM safety_scores FINAL {where.sql()} GROUP BY bucket, detector ORDER BY bucket, detector",
            {**where.params, "bucket_s": bucket_s},
        )
        return [SafetyBucket(**r, rate=r["breached"] / r["scored"] if r["scored"] else 0.0) for r in rows]

    def feedback_by_version(
        self, app: str, model: str | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> list[FeedbackByVersion]:
        """Feedback in ``[start, end)`` of feedback time on ``app``'s inferences, per model and version."""
        fb = Where().time("feedback_time", start, end)
        inf = Where().equal("app", app).equal("model", model)
        rows = self._client.rows(
            "SELECT i.app AS app, i.model AS model, i.model_version AS model_version, count() AS feedback, "
            "countIf(f.kind = 'thumbs') AS thumbs, countIf(f.kind = 'thumbs' AND f.value < 0) AS thumbs_down, "
            "countIf(f.kind = 'rating') AS ratings, avgIf(f.value, f.kind = 'rating') AS mean_rating, "
            "countIf(f.kind = 'flag') AS flags "
            f"FROM (SELECT event_id, kind, value FROM feedback FINAL {fb.sql()}) AS f "
            "GLOBAL INNER JOIN (SELECT event_id, app, model, model_version FROM inference FINAL "
            f"{inf.sql()}) AS i ON f.event_id = i.event_id "
            "GROUP BY app, model, model_version ORDER BY app, model, model_version",
            Where.merged(fb, inf),
        )
        return [
            FeedbackByVersion(
                stream=row_lib.stream_of(r),
                feedback=r["feedback"],
                thumbs=r["thumbs"],
                thumbs_down=r["thumbs_down"],
                thumbs_down_rate=r["thumbs_down"] / r["thumbs"] if r["thumbs"] else None,
                ratings=r["ratings"],
                mean_rating=r["mean_rating"] if r["ratings"] else None,
                flags=r["flags"],
            )
            for r in rows
        ]

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
        where = Where().streams(streams).time("event_time", start, end).tags(tag_filter)
        options: dict[str, Any] = {
            "refusal": refusal_detector,
            "off_topic": off_topic_detector,
            "breach": list(breach_detectors),
            "seg_tags": list(segment_tags),
            "unset": unset_label,
            "other": other_label,
            "max_values": max_values,
        }
        events_sql = f"SELECT event_id FROM inference {where.sql()}"
        scores_where = Where().streams(streams).time("event_time", start, end)
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
        rows = self._client.rows(
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
            Where.merged(where, scores_where, **options),
            settings={"join_use_nulls": 0},
        )
        return [
            OutcomeCounts(
                stream=row_lib.stream_of(r),
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

    # ---- window signals (monitor.signals) -------------------------------------------------------------

    def signal_windows(
        self,
        stream: StreamKey,
        start: datetime,
        end: datetime,
        size_s: float,
        *,
        detectors: Sequence[str],
        relevance_detector: str = "relevance",
        cap: int = 1000,
    ) -> dict[int, SignalCounts]:
        """Signal counts of ``stream`` per window of ``size_s`` from ``start`` (key: window index), one query.

        Windows without events are absent. ``detectors`` are the safety detectors counted.
        """
        where = Where().stream(stream).time("event_time", start, end)
        det = {f"d{i}": name for i, name in enumerate(detectors)}
        per_event = "".join(
            f"countIf(detector = {{{k}:String}}) > 0 AS s_{k}, maxIf(breached, detector = {{{k}:String}}) AS b_{k}, "
            for k in det
        )
        per_window = "".join(f"countIf(s.s_{k}) AS scored_{k}, countIf(s.b_{k}) AS breached_{k}, " for k in det)

        def sample(value: str, condition: str) -> str:
            return (
                f"arrayMap(x -> x.2, arraySlice(arraySort(groupArrayIf((cityHash64(i.event_id), toFloat64({value})), "
                f"{condition})), 1, {{cap:UInt32}}))"
            )

        samples = {
            "latency_ms": sample("assumeNotNull(i.latency_ms)", "isNotNull(i.latency_ms)"),
            "tokens_in": sample("assumeNotNull(i.tokens_in)", "isNotNull(i.tokens_in)"),
            "tokens_out": sample("assumeNotNull(i.tokens_out)", "isNotNull(i.tokens_out)"),
            "cost_usd": sample("assumeNotNull(i.cost_usd)", "isNotNull(i.cost_usd)"),
            "response_chars": sample("i.response_chars", "1"),
            "relevance": sample("s.relevance", "s.has_relevance"),
            "rating": sample("ifNull(f.last_rating, 0)", "f.ratings > 0"),
        }
        rows = self._client.rows(
            "SELECT intDiv(toUnixTimestamp64Milli(i.event_time) - {origin:Int64}, {size:Int64}) AS bucket, "
            "count() AS events, countIf(f.feedback > 0) AS with_feedback, countIf(f.thumbs > 0) AS thumbs, "
            "countIf(f.thumbs > 0 AND f.last_thumb < 0) AS thumbs_down, countIf(f.flags > 0) AS flagged, "
            f"countIf(f.corrections > 0) AS corrected, {per_window}"
            + ", ".join(f"{expr} AS sample_{name}" for name, expr in samples.items())
            + " FROM (SELECT event_id, event_time, latency_ms, tokens_in, tokens_out, cost_usd, "
            f"lengthUTF8(response) AS response_chars FROM inference FINAL {where.sql()}) AS i "
            "GLOBAL LEFT JOIN (SELECT event_id, count() AS feedback, countIf(kind = 'thumbs') AS thumbs, "
            "argMaxIf(value, feedback_time, kind = 'thumbs') AS last_thumb, countIf(kind = 'flag') AS flags, "
            "countIf(kind = 'correction') AS corrections, countIf(kind = 'rating') AS ratings, "
            "argMaxIf(value, feedback_time, kind = 'rating') AS last_rating FROM feedback FINAL "
            f"WHERE event_id GLOBAL IN (SELECT event_id FROM inference {where.sql()}) GROUP BY event_id) AS f "
            "ON f.event_id = i.event_id "
            f"GLOBAL LEFT JOIN (SELECT event_id, {per_event}"
            "countIf(detector = {relevance:String}) > 0 AS has_relevance, "
            "anyIf(score, detector = {relevance:String}) AS relevance "
            f"FROM safety_scores FINAL {where.sql()} GROUP BY event_id) AS s ON s.event_id = i.event_id "
            "GROUP BY bucket ORDER BY bucket",
            {
                **where.params,
                **det,
                "relevance": relevance_detector,
                "cap": cap,
                "origin": int(row_lib.utc(start).timestamp() * 1000),
                "size": int(size_s * 1000),
            },
            settings={"join_use_nulls": 0},
        )
        return {
            int(r["bucket"]): SignalCounts(
                events=int(r["events"]),
                with_feedback=int(r["with_feedback"]),
                thumbs=int(r["thumbs"]),
                thumbs_down=int(r["thumbs_down"]),
                flagged=int(r["flagged"]),
                corrected=int(r["corrected"]),
                scored={name: int(r[f"scored_{k}"]) for k, name in det.items()},
                breached={name: int(r[f"breached_{k}"]) for k, name in det.items()},
                samples={name: [float(v) for v in r[f"sample_{name}"]] for name in SIGNAL_SAMPLES},
            )
            for r in rows
        }

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
        where = Where().time("event_time", start, end).equal("app", app)
        cols = _GROUP_COLUMNS[group_by]
        select = "".join(f"{c}, " for c in cols)
        group = f"GROUP BY {', '.join(cols)}" if cols else ""
        order = (
            "ORDER BY cost_usd DESC, requests DESC"
            if order_by_cost
            else (f"ORDER BY {', '.join(cols)}" if cols else "")
        )
        rows = self._client.rows(
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
        where = Where().time("event_time", start, end).equal("app", app)
        cols = _GROUP_COLUMNS[group_by]
        keys = "".join(f", {c}" for c in cols)
        return self._client.rows(
            "SELECT toStartOfInterval(event_time, toIntervalSecond({bucket_s:UInt32})) AS bucket"
            f"{keys}, {self._USAGE} FROM inference FINAL {where.sql()} GROUP BY bucket{keys} ORDER BY bucket{keys}",
            {**where.params, "bucket_s": bucket_s},
        )
