// The Lodestone dashboard: reads /v1/reports/* with the viewer's key and redraws every 5 s.
"use strict";

const REFRESH_MS = 5000;
const STAGES = ["subscriber", "lead", "marketing_qualified", "sales_qualified", "opportunity", "customer"];
const PALETTE = ["#2d6cdf", "#1f9d55", "#e59f23", "#9c4dcc", "#d64545", "#17a2b8", "#7a869a", "#f06595", "#3b5bdb", "#94d82d", "#845ef7", "#495057"];
const state = { charts: {}, data: {}, refreshedAt: null };
window.lodestone = state;

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
const pct = (r) => (r === null || r === undefined ? "–" : `${(100 * r).toFixed(1)}%`);
const label = (s) => String(s).replaceAll("_", " ");
const money = (m) => Object.entries(m || {}).map(([c, v]) => `${c} ${fmt(Math.round(v))}`).join(" · ") || "–";

function key() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromHash) { localStorage.setItem("lodestone-key", fromHash); history.replaceState(null, "", location.pathname); }
  return localStorage.getItem("lodestone-key") || "";
}

async function report(path, params = {}) {
  const days = Number($("days").value);
  const end = new Date();
  const start = new Date(end.getTime() - (days - 1) * 86400000);
  const query = new URLSearchParams({
    start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10),
    interval: days > 90 ? "month" : days > 31 ? "week" : "day", ...params,
  });
  const response = await fetch(`/v1/reports/${path}?${query}`, { headers: { Authorization: `Bearer ${key()}` } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(`${path}: ${response.status} ${body.detail || body.error || response.statusText}`);
  }
  return response.json();
}

function chart(id, type, data, options = {}) {
  const existing = state.charts[id];
  if (existing) {
    existing.data.labels = data.labels;
    existing.data.datasets = data.datasets;
    existing.update("none");
    return existing;
  }
  state.charts[id] = new Chart($(id), {
    type, data,
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      ...options,
    },
  });
  return state.charts[id];
}

function table(id, columns, rows) {
  const head = `<tr>${columns.map(([, title]) => `<th>${title}</th>`).join("")}</tr>`;
  const body = rows.map((row) => `<tr>${columns.map(([get]) => `<td>${escape(get(row))}</td>`).join("")}</tr>`).join("");
  $(id).innerHTML = head + (body || `<tr><td colspan="${columns.length}">no data yet</td></tr>`);
}

function escape(value) {
  return String(value ?? "–").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function drawFunnel(f) {
  chart("chart-funnel", "bar", {
    labels: f.stages.map((s) => label(s.stage)),
    datasets: [
      { label: "reached in period", data: f.stages.map((s) => s.reached), backgroundColor: PALETTE[0] },
      { label: "in stage now", data: f.stages.map((s) => s.now), backgroundColor: PALETTE[6] },
    ],
  }, { indexAxis: "y" });
  table("table-funnel", [
    [(s) => label(s.stage), "stage"], [(s) => fmt(s.now), "now"], [(s) => fmt(s.reached), "reached"],
    [(s) => pct(s.conversion_to_next), "→ next stage"],
    [(s) => (s.median_days_in_stage === null || s.median_days_in_stage === undefined ? "–" : `${s.median_days_in_stage} d`), "median time in stage"],
  ], [...f.stages, ...f.exits]);
}

function drawInteractions(r) {
  const types = Object.keys(r.by_type);
  chart("chart-interactions", "bar", {
    labels: r.series.map((p) => p.period),
    datasets: types.map((t, i) => ({ label: label(t), data: r.series.map((p) => p[t] || 0), backgroundColor: PALETTE[i % PALETTE.length] })),
  }, { scales: { x: { stacked: true }, y: { stacked: true } } });
}

function drawSources(s) {
  chart("chart-sources", "bar", {
    labels: s.sources.map((r) => r.source),
    datasets: [
      { label: "contacts", data: s.sources.map((r) => r.contacts), backgroundColor: PALETTE[0] },
      { label: "customers", data: s.sources.map((r) => r.customers), backgroundColor: PALETTE[1] },
    ],
  });
  table("table-sources", [
    [(r) => r.source, "source"], [(r) => fmt(r.contacts), "contacts"], [(r) => fmt(r.sales_qualified), "SQL"],
    [(r) => fmt(r.customers), "customers"], [(r) => pct(r.conversion), "conversion"], [(r) => money(r.revenue), "revenue"],
  ], s.sources);
}

function drawScores(s) {
  const bands = Object.keys(s.bands);
  chart("chart-scores", "doughnut", {
    labels: bands.map(label),
    datasets: [{ data: bands.map((b) => s.bands[b]), backgroundColor: bands.map((_, i) => PALETTE[i % PALETTE.length]) }],
  }, { plugins: { legend: { position: "right" } } });
  table("table-top", [
    [(r) => r.name || r.email || r.contact_id, "top prospect"], [(r) => r.company, "company"],
    [(r) => fmt(Math.round(r.score)), "score"], [(r) => r.grade, "grade"], [(r) => r.owner, "owner"],
  ], s.top);
}

function drawLeaderboard(l) {
  chart("chart-leaderboard", "bar", {
    labels: l.reps.map((r) => r.owner),
    datasets: [
      { label: "conversions", data: l.reps.map((r) => r.conversions), backgroundColor: PALETTE[1] },
      { label: "calls", data: l.reps.map((r) => r.calls), backgroundColor: PALETTE[0] },
      { label: "meetings", data: l.reps.map((r) => r.meetings), backgroundColor: PALETTE[2] },
    ],
  });
  const goal = (r, name) => (r.goals[name] ? `${pct(r.goals[name].attainment)} of ${fmt(r.goals[name].target)}` : "–");
  table("table-leaderboard", [
    [(r) => r.owner, "rep"], [(r) => fmt(r.leads_owned), "leads owned"], [(r) => fmt(r.calls), "calls"],
    [(r) => fmt(r.meetings), "meetings"], [(r) => fmt(r.tasks_done), "tasks done"], [(r) => fmt(r.tasks_overdue), "overdue"],
    [(r) => fmt(r.conversions), "conversions"],
    [(r) => (r.response_median_hours === null ? "–" : `${r.response_median_hours} h`), "median response"],
    [(r) => goal(r, "conversions"), "conversion goal"],
  ], l.reps);
}

function drawWorkflows(w) {
  chart("chart-workflows", "bar", {
    labels: w.workflows.map((r) => r.name || r.workflow_id),
    datasets: [
      { label: "enrolled", data: w.workflows.map((r) => r.enrolled), backgroundColor: PALETTE[6] },
      { label: "emails sent", data: w.workflows.map((r) => r.emails_sent), backgroundColor: PALETTE[0] },
      { label: "opened", data: w.workflows.map((r) => r.opened), backgroundColor: PALETTE[2] },
      { label: "clicked", data: w.workflows.map((r) => r.clicked), backgroundColor: PALETTE[1] },
    ],
  });
  table("table-workflows", [
    [(r) => r.name || r.workflow_id, "workflow"], [(r) => fmt(r.enrolled), "enrolled"], [(r) => fmt(r.completed), "completed"],
    [(r) => fmt(r.emails_sent), "sent"], [(r) => pct(r.open_rate), "open rate"], [(r) => pct(r.click_rate), "click rate"],
    [(r) => fmt(r.bounced), "bounced"], [(r) => pct(r.goal_conversion), "goal conversion"],
  ], w.workflows);
}

function drawPurchases(p) {
  const currencies = Object.keys(p.revenue);
  chart("chart-revenue", "line", {
    labels: p.series.map((s) => s.period),
    datasets: currencies.map((c, i) => ({ label: `revenue ${c}`, data: p.series.map((s) => s[c] || 0), borderColor: PALETTE[i], backgroundColor: PALETTE[i], tension: 0.2 })),
  });
  table("table-products", [
    [(r) => r.product, "top product"], [(r) => fmt(r.units), "units"], [(r) => money(r.revenue), "revenue"],
  ], p.top_products);
}

function drawTiles(d) {
  $("kpi-contacts").textContent = fmt(d.funnel.stages.reduce((n, s) => n + s.now, 0));
  $("kpi-new").textContent = fmt(d.contacts.total);
  $("kpi-interactions").textContent = fmt(d.interactions.total);
  $("kpi-customers").textContent = fmt(d.funnel.stages[STAGES.length - 1].reached);
  $("kpi-conversion").textContent = pct(d.funnel.overall_conversion);
  $("kpi-revenue").textContent = money(d.purchases.revenue);
}

async function refresh() {
  const live = $("live");
  if (!key()) {
    live.className = "live bad";
    live.textContent = "enter an API key with reports:read";
    return;
  }
  try {
    const [funnel, interactions, sources, scores, leaderboard, workflows, purchases, contacts] = await Promise.all(
      ["funnel", "interactions", "sources", "scores", "leaderboard", "workflows", "purchases", "contacts"].map((p) => report(p)),
    );
    state.data = { funnel, interactions, sources, scores, leaderboard, workflows, purchases, contacts };
    drawTiles(state.data);
    drawFunnel(funnel);
    drawInteractions(interactions);
    drawSources(sources);
    drawScores(scores);
    drawLeaderboard(leaderboard);
    drawWorkflows(workflows);
    drawPurchases(purchases);
    state.refreshedAt = new Date();
    live.className = "live ok";
    live.textContent = `live · updated ${state.refreshedAt.toLocaleTimeString()}`;
    $("problem").hidden = true;
    document.body.dataset.ready = "true";
  } catch (error) {
    live.className = "live bad";
    live.textContent = "not updating";
    $("problem").hidden = false;
    $("problem").textContent = String(error.message || error);
  }
}

function start() {
  if (typeof Chart === "undefined") {
    $("problem").hidden = false;
    $("problem").textContent = "The chart library is missing: run `make vendor` (it is fetched from npm at build time).";
    return;
  }
  $("key").value = key();
  $("key").addEventListener("change", () => { localStorage.setItem("lodestone-key", $("key").value.trim()); refresh(); });
  $("days").addEventListener("change", refresh);
  refresh();
  setInterval(refresh, REFRESH_MS);
}

start();
