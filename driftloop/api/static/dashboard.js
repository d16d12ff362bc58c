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

  document.body.dataset.chartsReady = "1";
})();
