// Bulwark's small script: progressive enhancement only. Every page works
// without it. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";

  // Menu toggle on narrow screens.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-toggle]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-toggle"));
    if (!el) return;
    var open = el.classList.toggle("open");
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Charts: a <canvas data-chart="bar" data-source="ID"> reads its series
  // from the JSON block with that ID: {labels, values, label}, or several
  // stacked series as {labels, datasets: [{label, data, color}]}. Chart.js
  // is loaded only when needed.
  function drawCharts() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    if (!canvases.length) return;
    function draw() {
      canvases.forEach(function (c) {
        var src = document.getElementById(c.getAttribute("data-source"));
        if (!src || c.dataset.drawn) return;
        var s = JSON.parse(src.textContent);
        c.dataset.drawn = "1";
        var stacked = Array.isArray(s.datasets);
        var sets = stacked ? s.datasets.map(function (d) { return { label: d.label, data: d.data, backgroundColor: d.color }; })
          : [{ label: s.label, data: s.values, backgroundColor: "#0a6cc2" }];
        new window.Chart(c, {
          type: c.getAttribute("data-chart"),
          data: { labels: s.labels, datasets: sets },
          options: { animation: false, responsive: true, maintainAspectRatio: false,
            plugins: { legend: { display: stacked } },
            scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } } } }
        });
      });
    }
    if (window.Chart) { draw(); return; }
    var sc = document.createElement("script");
    sc.src = "/static/vendor/chart.umd.min.js";
    sc.onload = draw;
    document.head.appendChild(sc);
  }

  // htmx requests carry the CSRF token of the page's forms.
  document.addEventListener("htmx:configRequest", function (e) {
    var t = document.querySelector("input[name=csrf]");
    if (t) e.detail.headers["X-CSRF-Token"] = t.value;
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawCharts);
  else drawCharts();
})();
