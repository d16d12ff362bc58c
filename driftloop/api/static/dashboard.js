// Draws the dashboard's charts from the JSON the server embedded in the page (no network, no CDN).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  var data = source ? JSON.parse(source.textContent) : {};
  var config = { displaylogo: false, responsive: true };

  function layout(extra) {
    var base = {
      margin: { l: 55, r: 20, t: 10, b: 40 },
      height: 280,
      legend: { orientation: "h", y: -0.25 },
      xaxis: { type: "date" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
    };
    return Object.assign(base, extra || {});
  }

  function countPoints(traces) {
    return traces.reduce(function (n, t) {
      return n + (t.y || []).filter(function (v) { return v !== null && v !== undefined; }).length;
    }, 0);
  }

  // Draws into #id, or says the chart is empty; data-points tells tests (and people) what was drawn.
  function draw(id, traces, extra) {
    var div = document.getElementById(id);
    if (!div) return;
    var points = countPoints(traces);
    div.dataset.points = String(points);
    if (points === 0 || typeof Plotly === "undefined") {
      div.classList.add("empty");
      div.textContent = div.dataset.empty || "No data yet.";
      return;
    }
    Plotly.newPlot(div, traces, layout(extra), config);
  }

  function line(name, x, y, extra) {
    return Object.assign({ type: "scatter", mode: "lines+markers", name: name, x: x, y: y, marker: { size: 5 } }, extra || {});
  }

  if (data.rates) {
    draw("chart-rates", data.rates.map(function (s) { return line(s.name, s.x, s.y); }), {
      yaxis: { title: { text: "events/min" }, rangemode: "tozero" },
    });
  }

  if (data.drift) {
    var drift = data.drift;
    var traces = drift.series.map(function (s) {
      return line(s.name, s.x, s.y, { text: s.decision, hovertemplate: "%{x}<br>p=%{y:.3g}<br>%{text}<extra>%{fullData.name}</extra>" });
    });
    var shapes = [];
    if (drift.alpha !== null && traces.length) {
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: drift.alpha, y1: drift.alpha,
        line: { color: "#c0392b", dash: "dash", width: 1.5 } });
    }
    var firing = drift.alerts.filter(function (a) { return a.state === "firing"; });
    var resolved = drift.alerts.filter(function (a) { return a.state !== "firing"; });
    var y0 = drift.alpha || 0.05;
    [[firing, "alert fired", "#c0392b", "triangle-up"], [resolved, "alert resolved", "#27ae60", "circle"]].forEach(function (g) {
      if (!g[0].length) return;
      traces.push({ type: "scatter", mode: "markers", name: g[1], x: g[0].map(function (a) { return a.x; }),
        y: g[0].map(function () { return y0; }), text: g[0].map(function (a) { return a.text; }),
        marker: { color: g[2], symbol: g[3], size: 13, line: { width: 1, color: "#222" } },
        hovertemplate: "%{x}<br>%{text}<extra>%{fullData.name}</extra>" });
    });
    draw("chart-drift", traces, {
      yaxis: { type: "log", title: { text: "p-value (log)" }, range: [-6.2, 0.1] },
      shapes: shapes,
      annotations: drift.alpha !== null && traces.length ? [{ xref: "paper", x: 1, y: Math.log10(drift.alpha), yanchor: "bottom",
        text: "α = " + drift.alpha, showarrow: false, font: { color: "#c0392b", size: 11 } }] : [],
    });
  }

  if (data.safety) {
    draw("chart-safety", data.safety.map(function (s) { return line(s.name, s.x, s.y); }), {
      yaxis: { title: { text: "share of events breached" }, tickformat: ".0%", rangemode: "tozero" },
    });
  }

  if (data.feedback) {
    var fb = data.feedback;
    draw("chart-feedback", [
      { type: "bar", name: "thumbs-down rate", x: fb.map(function (f) { return f.version; }),
        y: fb.map(function (f) { return f.thumbs_down_rate; }),
        marker: { color: fb.map(function (f) { return f.current ? "#2c7fb8" : "#a6bddb"; }) },
        text: fb.map(function (f) { return f.feedback + " feedback"; }) },
    ], { xaxis: { type: "category", title: { text: "model version" } },
         yaxis: { tickformat: ".0%", title: { text: "thumbs-down rate" }, rangemode: "tozero" } });
  }

  if (data.usage) {
    var u = data.usage;
    draw("chart-latency", [line("p50", u.x, u.p50), line("p95", u.x, u.p95)], {
      yaxis: { title: { text: "latency (ms)" }, rangemode: "tozero" },
    });
    draw("chart-tokens", [
      line("tokens in (mean)", u.x, u.tokens_in),
      line("tokens out (mean)", u.x, u.tokens_out),
      line("cost (USD)", u.x, u.cost, { yaxis: "y2" }),
    ], {
      yaxis: { title: { text: "tokens" }, rangemode: "tozero" },
      yaxis2: { title: { text: "USD" }, overlaying: "y", side: "right", rangemode: "tozero" },
      margin: { l: 55, r: 55, t: 10, b: 40 },
    });
  }

  // Usage page: activity over time, cost and tokens per app/model/version, top spenders.
  if (data.activity) {
    var act = data.activity;
    draw("chart-active", [line("active users", act.x, act.users), line("sessions", act.x, act.sessions)], {
      yaxis: { title: { text: "distinct per bucket" }, rangemode: "tozero" },
    });
    draw("chart-per-user", [line("requests per user", act.x, act.per_user),
      line("requests per session", act.x, act.per_session)], {
      yaxis: { title: { text: "requests" }, rangemode: "tozero" },
    });
  }

  if (data.versions) {
    draw("chart-cost", data.versions.map(function (v) {
      return { type: "bar", name: v.name, x: v.x, y: v.cost, hovertemplate: "%{x}<br>$%{y:.4f}<extra>%{fullData.name}</extra>" };
    }), { barmode: "stack", yaxis: { title: { text: "USD per bucket" }, rangemode: "tozero" }, height: 320 });
    draw("chart-version-tokens", data.versions.map(function (v) { return line(v.name, v.x, v.tokens); }), {
      yaxis: { title: { text: "tokens in + out per bucket" }, rangemode: "tozero" }, height: 320,
    });
  }

  function topBars(id, rows) {
    var ordered = rows.slice().reverse(); // the biggest spender on top
    draw(id, [{ type: "bar", orientation: "h", name: "cost", x: ordered.map(function (r) { return r.cost; }),
      y: ordered.map(function (r) { return r.name; }), text: ordered.map(function (r) { return r.requests + " requests"; }),
      textposition: "none",
      marker: { color: "#2c7fb8" }, hovertemplate: "%{y}<br>$%{x:.4f}<br>%{text}<extra></extra>" }], {
      xaxis: { title: { text: "USD" }, rangemode: "tozero" }, yaxis: { type: "category", automargin: true },
      height: Math.max(160, 40 + 28 * rows.length), showlegend: false,
    });
  }
  if (data.top_apps) topBars("chart-top-apps", data.top_apps);
  if (data.top_models) topBars("chart-top-models", data.top_models);

  // Compare page: signed effect sizes and B - A deltas per metric, coloured by the metric's verdict.
  var VERDICT_COLOURS = { worse: "#c0392b", better: "#27ae60", mixed: "#d4a017", different: "#2c7fb8",
    no_significant_difference: "#9aa5b1", insufficient_data: "#d0d5db" };
  function colours(rows) { return rows.map(function (r) { return VERDICT_COLOURS[r.verdict] || "#9aa5b1"; }); }

  // Bars of B - A and, as its own trace, each interval from low to high: a percentile bootstrap interval of a
  // median difference need not contain the point estimate on multimodal data, so no error bars around it.
  function deltaBars(id, rows, axisTitle, format) {
    var ordered = rows.slice().reverse();
    var traces = [{ type: "bar", orientation: "h", name: "B − A", y: ordered.map(function (r) { return r.metric; }),
      x: ordered.map(function (r) { return r.delta; }), textposition: "none",
      text: ordered.map(function (r) { return r.verdict.replace(/_/g, " "); }),
      marker: { color: colours(ordered) }, showlegend: false,
      hovertemplate: "%{y}: %{x:" + format + "}<br>%{text}<extra></extra>" }];
    var ci = ordered.filter(function (r) { return r.low !== null && r.high !== null; });
    if (ci.length) {
      var x = [], y = [];
      ci.forEach(function (r) { x.push(r.low, r.high, null); y.push(r.metric, r.metric, null); });
      traces.push({ type: "scatter", mode: "lines+markers", name: "confidence interval", x: x, y: y, connectgaps: false,
        line: { color: "#222", width: 1.5 }, marker: { symbol: "line-ns-open", size: 10, color: "#222" },
        hovertemplate: "%{y}: %{x:" + format + "}<extra>CI bound</extra>" });
    }
    draw(id, traces, {
      xaxis: { title: { text: axisTitle }, tickformat: format, zeroline: true, zerolinewidth: 2 },
      yaxis: { type: "category", automargin: true, categoryorder: "array",
        categoryarray: ordered.map(function (r) { return r.metric; }) },
      showlegend: ci.length > 0, legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom" },
      margin: { l: 55, r: 20, t: 30, b: 45 }, height: Math.max(200, 90 + 32 * rows.length),
    });
  }

  if (data.compare) {
    var cmp = data.compare;
    // Count categories, not values: a metric with effect 0 is still drawn.
    draw("chart-effects", [{ type: "bar", orientation: "h", name: "effect size",
      y: cmp.effects.map(function (e) { return e.metric; }).reverse(),
      x: cmp.effects.map(function (e) { return e.effect; }).reverse(),
      text: cmp.effects.map(function (e) { return e.name.replace(/_/g, " ") + ", " + e.verdict.replace(/_/g, " "); }).reverse(),
      textposition: "none",
      marker: { color: colours(cmp.effects.slice().reverse()) },
      hovertemplate: "%{y}: %{x:+.3f}<br>%{text}<extra></extra>" }], {
      xaxis: { title: { text: "effect size (Cohen's h for rates, rank-biserial otherwise)" }, zeroline: true, zerolinewidth: 2 },
      yaxis: { type: "category", automargin: true }, showlegend: false,
      height: Math.max(180, 60 + 32 * cmp.effects.length),
    });
    deltaBars("chart-rate-deltas", cmp.rates, "B − A", "+.1%");
    deltaBars("chart-median-deltas", cmp.medians, "median B − A, relative to A", "+.1%");
  }

  document.body.dataset.chartsReady = "1";
})();
