// cxpulse live page: reads /metrics (Prometheus text format) every few seconds and
// shows the key numbers as tiles with a small history. No framework, no network
// beyond this worker. Each tile's raw value is in data-value (used by the tests).
"use strict";

const REFRESH_MS = 3000;
const HISTORY = 120;

// --- the Prometheus text format: name{labels} value --------------------------
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: parseFloat(m[3]) });
  }
  return samples;
}

function select(samples, name, match = {}) {
  return samples.filter(s => s.name === name &&
    Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
const sum = (samples, name, match) => select(samples, name, match).reduce((a, s) => a + s.value, 0);
const has = (samples, name, match) => select(samples, name, match).length > 0;
function ratio(num, den) { return den > 0 ? num / den : null; }

// --- what each tile shows ---------------------------------------------------
const W1 = { window: "1h" }, W24 = { window: "24h" }, D30 = { window: "30d" };
const TILES = [
  { id: "backlog", title: "Backlog", unit: "count",
    help: "cx_tickets_open: tickets opened and not resolved (a reopen puts one back), now",
    value: s => has(s, "cx_tickets_open") ? sum(s, "cx_tickets_open") : null,
    detail: s => ["urgent", "high", "normal", "low"].map(p =>
      `${p} ${sum(s, "cx_tickets_open", { priority: p })}`).join(" · ") },
  { id: "opened", title: "Tickets opened (1h)", unit: "count",
    help: "cx_tickets_opened{window=\"1h\"}: tickets opened in the last hour",
    value: s => has(s, "cx_tickets_opened", W1) ? sum(s, "cx_tickets_opened", W1) : null,
    detail: s => `resolved ${sum(s, "cx_tickets_resolved", W1)}` },
  { id: "first_response_p90", title: "First response p90 (1h)", unit: "duration",
    help: "cx_first_response_seconds{quantile=\"0.9\",window=\"1h\"}: first counted response - opened; the worst channel per priority",
    value: s => worst(s, "cx_first_response_seconds", null),
    detail: s => ["urgent", "high", "normal", "low"].map(p => {
      const v = worst(s, "cx_first_response_seconds", p);
      return `${p} ${v === null ? "—" : duration(v)}`; }).join(" · ") },
  { id: "sla_attainment", title: "SLA attainment (24h)", unit: "percent", good: 0.9,
    help: "cx_sla_attainment_ratio: targets met / (met + breached) in the window, first response and resolution together",
    value: s => ratio(sum(s, "cx_sla_met", W24), sum(s, "cx_sla_met", W24) + sum(s, "cx_sla_breached", W24)),
    detail: s => `breaches ${sum(s, "cx_sla_breaches_total")} · in breach now ${sum(s, "cx_tickets_in_breach")}` },
  { id: "at_risk", title: "At risk: breach within 15 min", unit: "count", bad: 1,
    help: "cx_sla_at_risk_tickets{within=\"15m\"}: SLA targets whose clock runs (not paused, " +
      "met or breached) and whose deadline is at most 15 minutes away, every SLA together; " +
      "next to the tickets already in breach",
    value: s => has(s, "cx_sla_at_risk_tickets") ? sum(s, "cx_sla_at_risk_tickets", { within: "15m" }) : null,
    detail: s => `1h ${sum(s, "cx_sla_at_risk_tickets", { within: "1h" })} · ` +
      `in breach now ${sum(s, "cx_tickets_in_breach")} · paused ${sum(s, "cx_tickets_paused")}` },
  { id: "in_queue", title: "Contacts in queue", unit: "count",
    help: "cx_contacts_in_queue: contacts queued and neither answered nor abandoned, now",
    value: s => has(s, "cx_contacts_in_queue") ? sum(s, "cx_contacts_in_queue") : null,
    detail: s => { const ages = select(s, "cx_oldest_queued_contact_age_seconds");
      return ages.length ? `oldest ${duration(Math.max(...ages.map(a => a.value)))}` : "queue empty"; } },
  { id: "service_level", title: "Service level (1h)", unit: "percent", good: 0.8,
    help: "cx_contact_service_level_ratio: answered with wait <= target (20 s) / (answered + abandoned), short abandons excluded",
    value: s => ratio(sum(s, "cx_contacts_answered_in_target", W1),
                      sum(s, "cx_contacts_answered", W1) + sum(s, "cx_contacts_abandoned", W1)),
    detail: s => `answered ${sum(s, "cx_contacts_answered", W1)} · abandoned ${sum(s, "cx_contacts_abandoned", W1)}` },
  { id: "abandonment", title: "Abandonment (1h)", unit: "percent", bad: 0.2,
    help: "cx_contact_abandonment_ratio: abandoned / (answered + abandoned); abandons under 5 s count in neither",
    value: s => ratio(sum(s, "cx_contacts_abandoned", W1),
                      sum(s, "cx_contacts_answered", W1) + sum(s, "cx_contacts_abandoned", W1)),
    detail: () => "" },
  { id: "dau", title: "Active users today", unit: "count",
    help: "cx_active_users{window=\"1d\"}: distinct users with any session event since local midnight",
    value: s => has(s, "cx_active_users", { window: "1d" }) ? sum(s, "cx_active_users", { window: "1d" }) : null,
    detail: s => `7d ${sum(s, "cx_active_users", { window: "7d" })} · 28d ${sum(s, "cx_active_users", { window: "28d" })}` },
  { id: "conversion", title: "Conversion (24h)", unit: "percent",
    help: "cx_conversion_ratio: conversions / sessions started in the window",
    value: s => ratio(sum(s, "cx_conversions", W24), sum(s, "cx_sessions_started", W24)),
    detail: s => `value ${sum(s, "cx_conversion_value", W24).toFixed(2)}` },
  { id: "nps", title: "NPS (24h)", unit: "score",
    help: "cx_nps: 100 x (promoters 9-10 - detractors 0-6) / NPS answers, -100..100",
    value: s => { const n = sum(s, "cx_survey_answers", { window: "24h", survey: "nps" });
      return n > 0 ? 100 * (sum(s, "cx_survey_promoters", W24) - sum(s, "cx_survey_detractors", W24)) / n : null; },
    detail: s => `${sum(s, "cx_survey_answers", { window: "24h", survey: "nps" })} answers` },
  { id: "csat", title: "CSAT (24h)", unit: "percent", good: 0.8,
    help: "cx_csat_ratio: CSAT answers of 4 or 5 / CSAT answers",
    value: s => ratio(sum(s, "cx_survey_satisfied", W24), sum(s, "cx_survey_answers", { window: "24h", survey: "csat" })),
    detail: s => `${sum(s, "cx_survey_answers", { window: "24h", survey: "csat" })} answers` },
  { id: "customers", title: "Active customers", unit: "count",
    help: "cx_customers_active: customers with a subscription started and not cancelled, now; " +
      "MRR: sum of their subscriptions' mrr. Lifetime value (CLV) = (MRR / active customers) " +
      "x gross margin (customers.gross_margin) / 30-day churn: it assumes today's revenue per " +
      "customer, margin and churn rate stay constant; absent while churn is 0",
    value: s => has(s, "cx_customers_active") ? sum(s, "cx_customers_active") : null,
    detail: s => `MRR ${money(sum(s, "cx_mrr"))}` +
      (has(s, "cx_customer_lifetime_value") ? ` · CLV ${money(sum(s, "cx_customer_lifetime_value"))}` : "") },
  { id: "churn_30d", title: "Churn (30d)", unit: "percent", bad: 0.05,
    help: "cx_customer_churn_ratio{window=\"30d\"}: of the customers active at the first local " +
      "midnight of the 30 days, the share not active now; NRR: their subscriptions' mrr now / mrr then",
    value: s => { const start = sum(s, "cx_customers_at_start", D30);
      return start > 0 ? (start - sum(s, "cx_customers_retained", D30)) / start : null; },
    detail: s => { const nrr = ratio(sum(s, "cx_mrr_now_of_start", D30), sum(s, "cx_mrr_at_start", D30));
      return `NRR ${nrr === null ? "—" : format(nrr, "percent")}`; } },
  { id: "complaints_open", title: "Open complaints", unit: "count",
    help: "cx_complaints_open: complaints opened and not closed, now",
    value: s => has(s, "cx_complaints_open") ? sum(s, "cx_complaints_open") : null,
    detail: s => `opened (30d) ${sum(s, "cx_complaints_opened", D30)}` },
  { id: "agents", title: "Agents logged in", unit: "count",
    help: "cx_agents: agents whose latest state is available, busy or acw, now (an agent " +
      "silent for 12 h counts as offline)",
    value: s => has(s, "cx_agents") ? ["available", "busy", "acw"].reduce(
      (n, state) => n + sum(s, "cx_agents", { state }), 0) : null,
    detail: s => ["available", "busy", "acw", "away"].map(state =>
      `${state} ${sum(s, "cx_agents", { state })}`).join(" · ") },
  { id: "occupancy", title: "Occupancy (1h)", unit: "percent", bad: 0.9,
    help: "cx_agent_occupancy_ratio: seconds busy or in acw / seconds available, busy or " +
      "in acw in the last hour, time-weighted",
    value: s => ratio(sum(s, "cx_agent_busy_seconds", W1), sum(s, "cx_agent_staffed_seconds", W1)),
    detail: s => { const o = ratio(sum(s, "cx_agent_busy_seconds", W24), sum(s, "cx_agent_staffed_seconds", W24));
      return `24h ${o === null ? "—" : format(o, "percent")}`; } },
];

function money(value) { return value.toLocaleString("en", { maximumFractionDigits: 0 }); }

function worst(samples, name, priority) {
  const match = { window: "1h", quantile: "0.9" };
  if (priority) match.priority = priority;
  const found = select(samples, name, match);
  return found.length ? Math.max(...found.map(s => s.value)) : null;
}

// --- formatting and drawing ---------------------------------------------------
function duration(seconds) {
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
function format(value, unit) {
  if (value === null) return "—";
  if (unit === "percent") return `${(100 * value).toFixed(1)} %`;
  if (unit === "duration") return duration(value);
  if (unit === "score") return value.toFixed(0);
  return Math.round(value).toLocaleString("en");
}
function sparkline(points) {
  const values = points.filter(v => v !== null);
  if (values.length < 2) return "";
  const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const last = Math.max(points.length - 1, 1);  // the line always spans the tile
  return points.map((v, i) => v === null ? null :
    `${(i / last) * 100},${36 - ((v - lo) / span) * 32}`).filter(Boolean).join(" ");
}

const history = Object.fromEntries(TILES.map(t => [t.id, []]));

function render(samples) {
  const main = document.getElementById("tiles");
  for (const tile of TILES) {
    let el = document.getElementById(`tile-${tile.id}`);
    if (!el) {
      el = document.createElement("section");
      el.className = "tile"; el.id = `tile-${tile.id}`; el.title = tile.help;
      el.innerHTML = `<h2>${tile.title}</h2><div class="value"></div><div class="detail"></div>` +
        `<svg class="spark" viewBox="0 0 100 38" preserveAspectRatio="none"><polyline/></svg>`;
      main.appendChild(el);
    }
    const value = tile.value(samples);
    const points = history[tile.id];
    points.push(value); if (points.length > HISTORY) points.shift();
    const v = el.querySelector(".value");
    v.textContent = format(value, tile.unit);
    v.dataset.value = value === null ? "" : String(value);
    v.className = "value" + (value === null ? "" :
      tile.good !== undefined ? (value >= tile.good ? " good" : " bad") :
      tile.bad !== undefined ? (value >= tile.bad ? " bad" : " good") : "");
    el.querySelector(".detail").textContent = value === null ? "no data yet" : tile.detail(samples);
    el.querySelector("polyline").setAttribute("points", sparkline(points));
  }
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("metrics", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(parseMetrics(await response.text()));
    const now = new Date();
    status.textContent = `updated ${now.toLocaleTimeString()}`;
    status.dataset.updates = String(Number(status.dataset.updates || 0) + 1);
  } catch (err) {
    status.textContent = `cannot read /metrics (${err.message}); retrying`;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
