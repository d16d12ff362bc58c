"""Store aggregates for the dashboard and the API (driftloop.api); mixed into :class:`~infra.store.Store`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from infra.store import rows as row_lib
from infra.store.queries import QueryBase
from infra.store.where import Where
from schemas import FeedbackByVersion, SafetyBucket, StreamKey, StreamOverview, UsageBucket


class DashboardQueries(QueryBase):
    """Stream overviews and per-bucket usage, safety and feedback aggregates."""

    def stream_overviews(self, now: datetime, window_s: int = 3600) -> list[StreamOverview]:
        """Every stream with its totals, and its rates over the last ``window_s`` seconds.

        The window ends at ``now``, or at the latest stored event time when producers' clocks run ahead;
        feedback counts by feedback time from the window's start on.
        """
        latest = self._scalar("SELECT max(event_time) FROM inference")
        end = max(row_lib.utc(now), row_lib.utc(latest)) if latest is not None else row_lib.utc(now)
        params: dict[str, Any] = {"since": end - timedelta(seconds=window_s)}
        window = "{since:DateTime64(6, 'UTC')}"
        key = ("app", "model", "model_version")
        events = self._rows(
            "SELECT app, model, model_version, count() AS events, min(event_time) AS first_event, "
            f"max(event_time) AS last_event, countIf(event_time >= {window}) AS window_events "
            "FROM inference FINAL GROUP BY app, model, model_version ORDER BY app, model, model_version",
            params,
        )
        safety = self._rows(
            "SELECT app, model, model_version, uniqExact(event_id) AS scored, "
            "uniqExactIf(event_id, breached) AS breached FROM safety_scores FINAL "
            f"WHERE event_time >= {window} GROUP BY app, model, model_version",
            params,
        )
        thumbs = self._rows(
            "SELECT i.app AS app, i.model AS model, i.model_version AS model_version, count() AS thumbs, "
            "countIf(f.value < 0) AS down FROM (SELECT event_id, value FROM feedback FINAL "
            f"WHERE kind = 'thumbs' AND feedback_time >= {window}) AS f "
            "GLOBAL INNER JOIN (SELECT event_id, app, model, model_version FROM inference FINAL "
            "WHERE event_id GLOBAL IN (SELECT event_id FROM feedback WHERE kind = 'thumbs' "
            f"AND feedback_time >= {window})) AS i ON f.event_id = i.event_id "
            "GROUP BY app, model, model_version",
            params,
        )
        open_alerts = self._rows(
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
                    stream=StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]),
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
        rows = self._rows(
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
        rows = self._rows(
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
        inf = Where().add("app = {app:String}", app=app)
        if model is not None:
            inf.add("model = {model:String}", model=model)
        rows = self._rows(
            "SELECT i.app AS app, i.model AS model, i.model_version AS model_version, count() AS feedback, "
            "countIf(f.kind = 'thumbs') AS thumbs, countIf(f.kind = 'thumbs' AND f.value < 0) AS thumbs_down, "
            "countIf(f.kind = 'rating') AS ratings, avgIf(f.value, f.kind = 'rating') AS mean_rating, "
            "countIf(f.kind = 'flag') AS flags "
            f"FROM (SELECT event_id, kind, value FROM feedback FINAL {fb.sql()}) AS f "
            "GLOBAL INNER JOIN (SELECT event_id, app, model, model_version FROM inference FINAL "
            f"{inf.sql()}) AS i ON f.event_id = i.event_id "
            "GROUP BY app, model, model_version ORDER BY app, model, model_version",
            {**fb.params, **inf.params},
        )
        return [
            FeedbackByVersion(
                stream=StreamKey(app=r["app"], model=r["model"], model_version=r["model_version"]),
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
