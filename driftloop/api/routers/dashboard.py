"""The dashboard: an overview of every stream, a page per stream, usage and version comparison, drawn offline
with plotly.js.

Pages are rendered on the server from the same store queries as the JSON API (aggregated in
ClickHouse); ``static/dashboard.js`` draws the charts from the data embedded in the page.
With tokens configured, the dashboard asks for a token with the read scope once and keeps it
in an HttpOnly cookie.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

import plotly
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from analytics import overall_usage, usage_report
from driftloop.api.analytics_views import compare_charts, metric_rows, usage_charts, version_label
from driftloop.api.auth import COOKIE, authenticate
from driftloop.api.context import ApiContext
from driftloop.api.deps import auto_bucket, optional_stream, storable
from driftloop.api.errors import ApiProblem
from driftloop.api.routers.compare import compare_query
from schemas import Alert, DriftResult, FieldError, Scope, StreamKey, UsageTotals

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

router = APIRouter(include_in_schema=False)


def _allowed(request: Request) -> bool:
    context: ApiContext = request.app.state.context
    api = context.settings.api
    client = request.client.host if request.client else None
    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else request.cookies.get(COOKIE)
    principal = authenticate(api, token, client)
    return principal is not None and principal.allows(Scope.READ)


def _login_redirect(request: Request) -> Response:
    if not request.app.state.context.settings.api.tokens:
        return HTMLResponse("this API has no tokens configured and serves loopback clients only", status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/dashboard/login?{urlencode({'next': target})}", status_code=303)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=307)


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    """plotly.js from the installed plotly package: the dashboard needs no network."""
    return FileResponse(PLOTLY_JS, media_type="application/javascript", headers={"Cache-Control": "max-age=86400"})


@router.get("/dashboard/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/dashboard", failed: bool = False) -> Response:
    return TEMPLATES.TemplateResponse(request, "login.html", {"next": _safe_next(next), "failed": failed})


@router.post("/dashboard/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    target = _safe_next((form.get("next") or ["/dashboard"])[0])
    context: ApiContext = request.app.state.context
    principal = authenticate(context.settings.api, token, request.client.host if request.client else None)
    if principal is None or not principal.allows(Scope.READ):
        return RedirectResponse(f"/dashboard/login?failed=true&next={quote(target)}", status_code=303)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def _safe_next(target: str) -> str:
    """Only paths of this dashboard: never an open redirect."""
    return target if target.startswith("/dashboard") and "//" not in target else "/dashboard"


def stream_link(stream: StreamKey) -> str:
    return "/dashboard/stream?" + urlencode(
        {"app": stream.app, "model": stream.model, "model_version": stream.model_version}
    )


@router.get("/dashboard", response_class=HTMLResponse)
def overview(request: Request, window_s: Annotated[int, Query(ge=60, le=30 * 86400)] = 3600) -> Response:
    if not _allowed(request):
        return _login_redirect(request)
    context: ApiContext = request.app.state.context
    store = context.store
    now = context.clock()
    streams = store.aggregates.stream_overviews(now, window_s) if store else []
    open_alerts = store.alerts.page(open_only=True, limit=50) if store else []
    runs = store.retrain.run_summaries(limit=10) if store else []
    end = max([now, *(s.last_event for s in streams)]) + timedelta(seconds=1)
    start = max([end - timedelta(hours=24), min((s.first_event for s in streams), default=end - timedelta(hours=24))])
    bucket = auto_bucket(end - start)
    rates = []
    for s in streams[:20]:
        usage = store.aggregates.usage_buckets(s.stream, start, end, bucket) if store else []
        rates.append(
            {
                "name": str(s.stream),
                "x": [u.bucket.isoformat() for u in usage],
                "y": [u.events * 60.0 / bucket for u in usage],
            }
        )
    return TEMPLATES.TemplateResponse(
        request,
        "overview.html",
        {
            "page": "overview",
            "streams": streams,
            "open_alerts": open_alerts,
            "runs": runs,
            "window_s": window_s,
            "link": stream_link,
            "data": {"rates": rates, "bucket_s": bucket},
            "has_store": store is not None,
        },
    )


def _p_value(result: DriftResult) -> float | None:
    p = result.adjusted_p_value if result.adjusted_p_value is not None else result.p_value
    return None if p is None else max(p, 1e-6)


def drift_chart(results: list[DriftResult], alerts: list[Alert]) -> dict[str, Any]:
    """p-value per detector and window (adjusted when corrected), the alpha line, and alert markers."""
    series: dict[str, dict[str, list[Any]]] = {}
    for r in results:
        p = _p_value(r)
        if p is None or r.window_end is None:
            continue
        s = series.setdefault(f"{r.detector} ({r.feature})", {"x": [], "y": [], "decision": []})
        s["x"].append(r.window_end.isoformat())
        s["y"].append(p)
        s["decision"].append(r.decision.value)
    alphas = sorted({r.alpha for r in results})
    markers = []
    for a in alerts:
        if a.drift is None:
            continue
        at = a.drift.window_end or a.created_at
        markers.append({"x": at.isoformat(), "state": a.state.value, "text": a.summary, "detector": a.detector})
    return {
        "series": [{"name": name, **values} for name, values in sorted(series.items())],
        "alpha": alphas[0] if alphas else None,
        "alerts": markers,
    }


@router.get("/dashboard/stream", response_class=HTMLResponse)
def stream_page(
    request: Request,
    app: Annotated[str | None, Query(max_length=128)] = None,
    model: Annotated[str | None, Query(max_length=128)] = None,
    model_version: Annotated[str | None, Query(max_length=128)] = None,
    hours: Annotated[float, Query(gt=0, le=24 * 90)] = 24,
) -> Response:
    if not _allowed(request):
        return _login_redirect(request)
    stream = optional_stream(app, model, model_version)
    if stream is None:
        return RedirectResponse("/dashboard", status_code=303)
    context: ApiContext = request.app.state.context
    store = context.store
    now = context.clock()
    overview = next((s for s in (store.aggregates.stream_overviews(now) if store else []) if s.stream == stream), None)
    last: datetime = max(now, overview.last_event) if overview else now
    end = last + timedelta(seconds=1)
    start = end - timedelta(hours=hours)
    if overview is not None and overview.first_event > start:  # a young stream: zoom in on its data
        start = overview.first_event
    bucket = auto_bucket(end - start)
    usage = store.aggregates.usage_buckets(stream, start, end, bucket) if store else []
    safety = store.aggregates.safety_buckets(stream, start, end, bucket) if store else []
    feedback = store.aggregates.feedback_by_version(stream.app, stream.model, start, end) if store else []
    drift = store.drift.results(stream, start, end, limit=5000) if store else []
    alerts = store.alerts.page(stream, limit=200) if store else []
    runs = store.retrain.run_summaries(stream, limit=50) if store else []
    clusters = store.drift.latest_clusters(stream) if store else None
    safety_series: dict[str, dict[str, list[Any]]] = {}
    for b in safety:
        s = safety_series.setdefault(b.detector, {"x": [], "y": []})
        s["x"].append(b.bucket.isoformat())
        s["y"].append(b.rate)
    data = {
        "bucket_s": bucket,
        "drift": drift_chart(drift, alerts),
        "safety": [{"name": name, **values} for name, values in sorted(safety_series.items())],
        "feedback": [
            {
                "version": f.stream.model_version,
                "thumbs_down_rate": f.thumbs_down_rate,
                "mean_rating": f.mean_rating,
                "feedback": f.feedback,
                "current": f.stream == stream,
            }
            for f in feedback
        ],
        "usage": {
            "x": [u.bucket.isoformat() for u in usage],
            "events": [u.events for u in usage],
            "p50": [u.latency_p50_ms for u in usage],
            "p95": [u.latency_p95_ms for u in usage],
            "tokens_in": [u.tokens_in_mean for u in usage],
            "tokens_out": [u.tokens_out_mean for u in usage],
            "cost": [u.cost_usd for u in usage],
        },
    }
    totals = {
        "events": sum(u.events for u in usage),
        "cost": sum(u.cost_usd or 0 for u in usage),
        "latency_p95": max((u.latency_p95_ms for u in usage if u.latency_p95_ms is not None), default=None),
    }
    return TEMPLATES.TemplateResponse(
        request,
        "stream.html",
        {
            "stream": stream,
            "overview": overview,
            "alerts": alerts,
            "runs": runs,
            "clusters": clusters,
            "totals": totals,
            "hours": hours,
            "start": start,
            "end": end,
            "data": data,
            "has_store": store is not None,
        },
    )


@router.get("/dashboard/usage", response_class=HTMLResponse)
def usage_page(
    request: Request,
    hours: Annotated[float, Query(gt=0, le=24 * 90)] = 24,
    app: Annotated[str | None, Query(max_length=128, description="Empty: every app.")] = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response:
    """Active users and sessions, requests per user and session, tokens and cost per version, top spenders."""
    if not _allowed(request):
        return _login_redirect(request)
    context: ApiContext = request.app.state.context
    store = context.store
    app = app or None
    end = context.clock() + timedelta(seconds=1)
    start = end - timedelta(hours=hours)
    bucket = auto_bucket(end - start)
    report = usage_report(store, start, end, bucket, app=app, top=top) if store else None
    overall = overall_usage(store, start, end, bucket, app=app) if store else []
    apps = sorted({s.app for s in store.events.streams()}) if store else []
    return TEMPLATES.TemplateResponse(
        request,
        "usage.html",
        {
            "page": "usage",
            "report": report,
            "app": app,
            "apps": apps,
            "hours": hours,
            "top": top,
            "start": start,
            "end": end,
            "label": version_label,
            "version_link": _totals_link,
            "api_link": "/v1/usage?"
            + urlencode({"start": start.isoformat(), "end": end.isoformat(), **({"app": app} if app else {})}),
            "data": usage_charts(report, overall) if report else {},
            "has_store": store is not None,
        },
    )


def _totals_link(totals: UsageTotals) -> str:
    return stream_link(StreamKey(app=totals.app, model=totals.model, model_version=totals.model_version))


def _form_time(name: str, text: str) -> datetime | None:
    """A time from the compare form (``datetime-local`` gives ``2026-05-01T10:00``), taken as UTC."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        message = f"not an ISO 8601 time: {text!r}"
        raise ApiProblem(422, f"{name}: {message}", [FieldError(field=name, message=message)]) from exc
    try:
        return storable(value)
    except ValueError as exc:
        raise ApiProblem(422, f"{name}: {exc}", [FieldError(field=name, message=str(exc))]) from exc


def _api_link(app: str, a: str, b: str, start: datetime | None, end: datetime | None, tags: list[str]) -> str:
    """The ``/v1/compare`` request that answers what the compare page shows."""
    params: list[tuple[str, str]] = [("app", app), ("a", a), ("b", b)]
    params += [(name, t.isoformat()) for name, t in (("start", start), ("end", end)) if t is not None]
    params += [("experiment", t) for t in tags]
    return "/v1/compare?" + urlencode(params)


@router.get("/dashboard/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    app: Annotated[str, Query(max_length=128)] = "",
    a: Annotated[str, Query(max_length=257)] = "",
    b: Annotated[str, Query(max_length=257)] = "",
    start: Annotated[str, Query(max_length=40)] = "",
    end: Annotated[str, Query(max_length=40)] = "",
    experiment: Annotated[list[str] | None, Query(max_length=257)] = None,
) -> Response:
    """The comparison form and, once ``a`` and ``b`` are given, the comparison ``/v1/compare`` answers."""
    if not _allowed(request):
        return _login_redirect(request)
    context: ApiContext = request.app.state.context
    store = context.store
    tags = [part.strip() for item in experiment or [] for part in item.split(",") if part.strip()]
    streams = store.events.streams() if store else []
    values = {"app": app, "a": a, "b": b, "start": start, "end": end, "experiment": ", ".join(tags)}
    result, problem, json_link = None, None, None
    try:
        if a and b:  # with one version only, the form is being filled in
            if not app:
                raise ApiProblem(422, "app: required to compare", [FieldError(field="app", message="required")])
            query = compare_query(app, a, b, _form_time("start", start), _form_time("end", end), tags)
            result = query.run(store, context.settings) if store else None
            json_link = _api_link(app, a, b, query.start, query.end, tags)
    except ApiProblem as exc:
        problem = exc
    page = {
        "page": "compare",
        "form": values,
        "apps": sorted({s.app for s in streams}),
        "versions": sorted(streams, key=lambda s: (s.app != app, s.app, s.model, s.model_version)),
        "result": result,
        "rows": metric_rows(result) if result else [],
        "problem": problem,
        "json_link": json_link,
        "link": stream_link,
        "has_store": store is not None,
    }
    if result is not None:
        page["data"] = {"compare": compare_charts(result)}
    return TEMPLATES.TemplateResponse(request, "compare.html", page, status_code=problem.status if problem else 200)
