// The operations dashboard (docs/reports.md): asks the report endpoints with
// the operator's key, shows each chart as the SVG the API draws from the
// same figures as its JSON and CSV, the executive summary, and CSV downloads.
// The key lives only in this tab (sessionStorage), never in a URL.
"use strict";

const form = document.getElementById("controls");
const statusLine = document.getElementById("status");

function say(text) { statusLine.textContent = text; }

function isoDate(d) { return d.toISOString().slice(0, 10); }

// Defaults: the twelve weeks up to today.
(function defaults() {
  const today = new Date();
  const from = new Date(today.getTime() - 83 * 86400000);
  form.elements.from.value = isoDate(from);
  form.elements.to.value = isoDate(today);
  form.elements.key.value = sessionStorage.getItem("vip-operator-key") || "";
})();

async function api(path, accept) {
  const response = await fetch(path, {
    headers: { authorization: "Bearer " + form.elements.key.value, accept: accept || "application/json" },
  });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not a problem document */ }
    throw new Error(response.status + ": " + detail);
  }
  return response;
}

// The query of a chart: the window, and rows by the chosen grain, by day, or one row.
function query(rows) {
  const f = form.elements;
  const q = new URLSearchParams({ from: f.from.value, to: f.to.value });
  if (rows === "by") q.set("by", f.by.value);
  if (rows === "day") q.set("by", "day");
  return q;
}

async function drawChart(report, el) {
  const q = query(el.dataset.rows);
  q.set("format", "svg");
  q.set("figure", el.dataset.figure);
  q.set("breakdown", el.dataset.breakdown);
  el.dataset.query = q.toString();
  const text = await (await api(`/api/v1/reports/${report}?${q}`, "image/svg+xml")).text();
  const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  el.replaceChildren(document.importNode(svg, true));
  el.dataset.drawn = "true";
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

function shown(f, value) {
  if (value === null || value === undefined) return "–";
  return f.unit === "ratio" ? (value / 10).toFixed(1) + "%" : String(value);
}

async function drawSummary() {
  const period = form.elements.summary.value;
  const s = await (await api(`/api/v1/reports/summary?period=${period}`)).json();
  document.getElementById("summary-period").textContent =
    `${s.from.slice(0, 10)} to ${s.to.slice(0, 10)} (${s.zone}), against the ${period} before`;
  const alerts = document.getElementById("alerts");
  alerts.replaceChildren(...s.alerts.map((a) => {
    const li = document.createElement("li");
    li.textContent = a;
    return li;
  }));
  const body = document.querySelector("#summary-table tbody");
  body.replaceChildren(...s.figures.map((f) => {
    const tr = document.createElement("tr");
    tr.dataset.figure = f.figure;
    if (f.alert) tr.className = "alert";
    cell(tr, f.figure.replaceAll("_", " "));
    cell(tr, shown(f, f.current));
    cell(tr, shown(f, f.previous));
    cell(tr, f.target_percent === null ? "" : f.target_percent + "%");
    return tr;
  }));
  document.getElementById("summary").hidden = false;
}

async function load(event) {
  if (event) event.preventDefault();
  if (!form.reportValidity()) return;
  sessionStorage.setItem("vip-operator-key", form.elements.key.value);
  say("Loading…");
  const began = performance.now();
  document.body.dataset.loaded = "false";
  try {
    const jobs = [drawSummary()];
    for (const section of document.querySelectorAll("section.report")) {
      section.hidden = false;
      for (const el of section.querySelectorAll(".chart")) {
        el.dataset.drawn = "false";
        jobs.push(drawChart(section.dataset.report, el));
      }
    }
    await Promise.all(jobs);
    const ms = Math.round(performance.now() - began);
    document.body.dataset.loaded = "true";
    document.body.dataset.loadMs = String(ms);
    say(`Loaded in ${ms} ms.`);
  } catch (e) {
    say("Could not load the reports: " + e.message);
  }
}

async function download(event) {
  const report = event.target.dataset.report;
  const q = query("by");
  q.set("format", "csv");
  try {
    const response = await api(`/api/v1/reports/${report}?${q}`, "text/csv");
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = `${report}-${form.elements.from.value}-${form.elements.to.value}.csv`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    say(`Downloaded ${a.download}.`);
  } catch (e) {
    say("Could not download: " + e.message);
  }
}

form.addEventListener("submit", load);
for (const button of document.querySelectorAll("button.csv")) button.addEventListener("click", download);
if (form.elements.key.value) load();
