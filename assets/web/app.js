// The classroom page: controls → POST /api/run → headline numbers and SVG charts.
// Only values the teacher changed are sent; every string from the world is inserted
// as text (textContent), never as markup. The SVG charts are the server's own drawing.
"use strict";

const state = { controls: [], changed: {}, latest: 0 };
const $ = (id) => document.getElementById(id);

function el(tag, props, text) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  if (text !== undefined) e.textContent = text;
  return e;
}

function showError(msg) {
  $("error").hidden = !msg;
  $("error").textContent = msg || "";
}

async function post(url, body) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return r;
}

function buildControls() {
  const box = $("controls");
  box.replaceChildren();
  for (const c of state.controls) {
    const id = "control-" + c.id.replace(/[^a-zA-Z0-9_-]/g, "_");
    const label = el("label", { htmlFor: id }, c.label + (c.unit ? " (" + c.unit + ") " : " "));
    const shown = el("output", { id: id + "-value" }, c.value);
    label.appendChild(shown);
    box.appendChild(label);
    let input;
    if (c.kind === "month") {
      input = el("input", { type: "month", id, value: c.value });
    } else {
      input = el("input", { type: "range", id, min: c.min, max: c.max, step: c.step, value: c.value });
    }
    input.dataset.control = c.id;
    input.addEventListener("input", () => {
      shown.textContent = input.value;
      if (input.value === c.value) delete state.changed[c.id];
      else state.changed[c.id] = input.value;
      schedule();
    });
    box.appendChild(input);
  }
}

let timer = null;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(rerun, 40);
}

async function rerun() {
  const ticket = ++state.latest;
  document.body.dataset.busy = "1";
  try {
    const r = await post("/api/run", { values: state.changed });
    const body = await r.json();
    if (ticket !== state.latest) return;
    if (!r.ok) { showError(body.error || ("error " + r.status)); return; }
    showError("");
    render(body);
  } catch (e) {
    if (ticket === state.latest) showError(String(e));
  } finally {
    if (ticket === state.latest) {
      delete document.body.dataset.busy;
      document.body.dataset.runs = String(ticket);
    }
  }
}

function render(view) {
  const dl = $("headline");
  dl.replaceChildren();
  for (const [k, v] of view.headline) {
    const div = el("div");
    const dd = el("dd", {}, v);
    if (k === "NPV") { dd.id = "npv"; dd.dataset.npvUsd = String(view.npv_usd); }
    div.append(el("dt", {}, k), dd);
    dl.appendChild(div);
  }
  drawCharts($("charts"), view.charts);
}

function drawCharts(box, charts) {
  box.replaceChildren();
  for (const c of charts) {
    const fig = el("figure", { id: "chart-" + c.name });
    fig.className = "chart";
    const holder = el("div");
    holder.innerHTML = c.svg; // the server's own SVG: world strings in it are escaped
    fig.append(holder, el("figcaption", {}, c.caption));
    box.appendChild(fig);
  }
}

async function sweep() {
  const bar = $("sweep-progress");
  $("sweep").disabled = true;
  bar.hidden = false;
  bar.value = 0;
  try {
    const r = await post("/api/sweep", { values: state.changed, runs: 200 });
    const start = await r.json();
    if (!r.ok) { showError(start.error); return; }
    for (;;) {
      await new Promise((ok) => setTimeout(ok, 150));
      const s = await (await fetch("/api/sweep/" + start.id)).json();
      bar.max = s.total;
      bar.value = s.done;
      $("sweep-status").textContent = s.done + " / " + s.total + " runs";
      if (s.finished) {
        if (s.error) showError(s.error); else showSweep(s.result);
        return;
      }
    }
  } catch (e) {
    showError(String(e));
  } finally {
    $("sweep").disabled = false;
  }
}

function money(v) {
  if (v === null || v === undefined) return "-";
  return "$" + (v / 1e6).toFixed(1) + "M";
}

function showSweep(result) {
  const box = $("sweep-result");
  box.replaceChildren();
  const s = result.summary;
  const t = el("table", { id: "sweep-table" });
  const row = (cells, tag) => {
    const tr = el("tr");
    for (const c of cells) tr.appendChild(el(tag || "td", {}, c));
    t.appendChild(tr);
  };
  row(["", "P10", "P50", "P90"], "th");
  row(["NPV", money(s.npv_usd.p10), money(s.npv_usd.p50), money(s.npv_usd.p90)]);
  row(["payback month", s.payback_month.p10 || "never", s.payback_month.p50 || "never", s.payback_month.p90 || "never"]);
  box.appendChild(el("h2", {}, "Sweep of " + s.runs_completed + " runs"));
  box.appendChild(t);
  const charts = el("div");
  box.appendChild(charts);
  drawCharts(charts, result.charts);
}

async function download() {
  const r = await post("/api/world.ron", { values: state.changed });
  if (!r.ok) { showError((await r.json()).error); return; }
  const blob = await r.blob();
  const a = el("a", { href: URL.createObjectURL(blob), download: "world.ron" });
  document.body.appendChild(a);
  a.click();
  a.remove();
}

async function start() {
  const w = await (await fetch("/api/world")).json();
  state.controls = w.controls;
  state.changed = {};
  buildControls();
  await rerun();
}

$("sweep").addEventListener("click", sweep);
$("download").addEventListener("click", download);
$("reset").addEventListener("click", start);
start();
