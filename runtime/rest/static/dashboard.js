// The PyFlink dashboard: a few hash-routed pages over the REST API (Flink's paths and shapes).
//   #/                 overview: cluster counters, running and completed jobs, TaskManagers
//   #/jobs/<jid>       one job: graph, vertices, exceptions, checkpoints, output, configuration
//   #/taskmanagers/<id> one TaskManager: resources, metrics, log and stdout
//   #/jobmanager       configuration, metrics and log of the JobManager
// Endpoints that are missing or answer nothing yet are shown as "not available", never as errors.
"use strict";

const TERMINAL = new Set(["FINISHED", "CANCELED", "FAILED"]);
const TOKEN_KEY = "pyflink-rest-token";
let timer = null;       // the current page's refresh
let pageToken = 0;      // bumps on navigation: a stale refresh must not draw over a new page

// ------------------------------------------------------------------ helpers
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function link(href, text, cls) { const a = el("a", text, cls); a.href = href; return a; }
function badge(state) { return el("span", state, `badge ${state}`); }
function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    if (c instanceof HTMLTableCellElement) { tr.append(c); continue; }
    const td = el("td"); td.append(c instanceof Node ? c : String(c ?? "—")); tr.append(td);
  }
  return tr;
}
function num(v) { const td = el("td", v, "num"); return td; }
function table(headers, rows, emptyText) {
  const t = el("table"), head = el("thead"), body = el("tbody");
  head.append(row(headers.map(h => Object.assign(el("th", h)))));
  body.append(...(rows.length ? rows : [row([Object.assign(el("td", emptyText, "empty"), {colSpan: headers.length})])]));
  t.append(head, body);
  return t;
}
function cards(pairs) {
  const c = el("div", null, "cards");
  for (const [label, value] of pairs) { const d = el("div", null, "card"); d.append(el("div", value ?? "—", "v"), el("div", label, "k")); c.append(d); }
  return c;
}
function section(title, ...children) { const s = el("section"); s.append(el("h2", title), ...children); return s; }
function fmtTime(ms) { return ms > 0 ? new Date(ms).toLocaleString() : "—"; }
function fmtDuration(ms) {
  if (!(ms >= 0)) return "—";
  let s = Math.floor(ms / 1000); const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60); s %= 60;
  return h ? `${h}h ${m}m ${s}s` : m ? `${m}m ${s}s` : `${s}s`;
}
function fmtBytes(n) {
  if (!(n > 0)) return "0 B";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}
function setStatus(text, err) { const s = document.getElementById("status"); s.textContent = text; s.className = err ? "err" : ""; }

// ------------------------------------------------------------------ REST access
(function takeTokenFromFragment() {
  // The link `pyflink cluster start` prints carries the token (#token=...): never sent to the
  // server, removed from the address bar at once, kept in this tab's sessionStorage only.
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) { sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1])); history.replaceState(null, "", location.pathname + "#/"); }
})();
function authHeaders() { const t = sessionStorage.getItem(TOKEN_KEY); return t ? {"Authorization": `Bearer ${t}`} : {}; }
class HttpError extends Error { constructor(path, status) { super(`${path}: HTTP ${status}`); this.status = status; } }
async function request(path, init) {
  const r = await fetch(path, Object.assign({cache: "no-store"}, init || {}, {headers: Object.assign(authHeaders(), (init || {}).headers || {})}));
  if (r.status === 401) { document.getElementById("login").hidden = false; throw new Error("the REST token is missing or wrong"); }
  return r;
}
async function getJson(path) { const r = await request(path); if (!r.ok) throw new HttpError(path, r.status); return r.json(); }
async function optionalJson(path) {   // null when the endpoint is absent or fails
  try { return await getJson(path); } catch (e) { if (e instanceof HttpError) return null; throw e; }
}
async function optionalText(path) {
  try {
    const r = await request(path);
    if (!r.ok) return null;
    const type = r.headers.get("content-type") || "";
    if (type.includes("json")) { const j = await r.json(); return typeof j === "string" ? j : (j.output ?? j.log ?? JSON.stringify(j, null, 1)); }
    return await r.text();
  } catch (e) { return null; }
}
document.getElementById("use-token").onclick = () => {
  const t = document.getElementById("token").value.trim();
  if (t) { sessionStorage.setItem(TOKEN_KEY, t); document.getElementById("login").hidden = true; route(); }
};

// ------------------------------------------------------------------ overview
function jobsTable(jobs, withCancel) {
  return table(["Job ID", "Name", "State", "Start time", "Duration", "Tasks"], jobs.map(j => {
    const tasks = Object.entries(j.tasks || {}).filter(([, n]) => n > 0).map(([s, n]) => `${s.toLowerCase()} ${n}`).join(", ");
    return row([link(`#/jobs/${j.jid}`, j.jid, "mono"), Object.assign(el("td", j.name, "wrap")), badge(j.state),
                fmtTime(j["start-time"]), fmtDuration(j.duration), tasks || "—"]);
  }), withCancel ? "No running jobs." : "No completed jobs.");
}
function tmTable(tms) {
  return table(["ID", "Host", "PID", "Slots", "Free slots", "Tasks", "Last heartbeat"], tms.map(t => row([
    link(`#/taskmanagers/${encodeURIComponent(t.id)}`, t.id, "mono"), t.host ?? t.path, t.pid ?? "—", num(t.slotsNumber), num(t.freeSlots),
    num(t.assignedTasks ?? "—"), t.timeSinceLastHeartbeat > 0 ? `${((Date.now() - t.timeSinceLastHeartbeat) / 1000).toFixed(1)} s ago` : "—",
  ])), "No task managers registered.");
}
async function overviewPage(view, token) {
  const [o, j, t] = await Promise.all([getJson("/overview"), getJson("/jobs/overview"), getJson("/taskmanagers")]);
  if (token !== pageToken) return;
  document.getElementById("version").textContent = o["flink-version"] || "";
  const jobs = (j.jobs || []).sort((a, b) => (b["start-time"] || 0) - (a["start-time"] || 0));
  view.replaceChildren(
    cards([["Task managers", o.taskmanagers], ["Total slots", o["slots-total"]], ["Available slots", o["slots-available"]],
           ["Running jobs", o["jobs-running"]], ["Finished", o["jobs-finished"]], ["Cancelled", o["jobs-cancelled"]], ["Failed", o["jobs-failed"]]]),
    section("Running jobs", jobsTable(jobs.filter(x => !TERMINAL.has(x.state)), true)),
    section("Completed jobs", jobsTable(jobs.filter(x => TERMINAL.has(x.state)), false)),
    section("Task managers", tmTable(t.taskmanagers || [])));
}
async function taskManagersPage(view, token) {
  const t = await getJson("/taskmanagers");
  if (token === pageToken) view.replaceChildren(section("Task managers", tmTable(t.taskmanagers || [])));
}

// ------------------------------------------------------------------ one job
const jobState = {};  // per job page: drawn graph, previous figures, output offset, tab
function resetJobState(jid) {
  for (const k of Object.keys(jobState)) delete jobState[k];
  Object.assign(jobState, {jid, drawn: null, previous: {}, ratios: {}, watermarks: {}, outputOffset: 0, outputDone: false,
                           output: "", outputAvailable: null, tab: "vertices", extrasAt: 0, view: null});
}
function ratiosFromFigures(v) {
  // busy / back-pressured share of the time since the last refresh, from the accumulated times
  const m = v.metrics || {}, prev = jobState.previous[v.id];
  const now = {busy: m["accumulated-busy-time"] || 0, idle: m["accumulated-idle-time"] || 0, bp: m["accumulated-backpressured-time"] || 0};
  jobState.previous[v.id] = now;
  if (!prev) return null;
  const busy = now.busy - prev.busy, idle = now.idle - prev.idle, bp = now.bp - prev.bp, total = busy + idle + bp;
  return total > 0 ? {busy: busy / total, backpressured: bp / total} : null;
}
function watermarkText(values) {
  const nums = values.map(x => Number(x.value)).filter(x => Number.isFinite(x));
  if (!nums.length) return "";
  const w = Math.min(...nums);
  if (w <= -9e15) return "none yet";
  return w > 1e11 && w < 1e14 ? new Date(w).toISOString().replace("T", " ").replace("Z", "") : String(w);
}
async function refreshExtras(jid, vertices) {
  // back pressure and watermarks (the metric endpoints); absent ones leave the figures' ratios
  await Promise.all(vertices.map(async v => {
    const [bp, wm] = await Promise.all([optionalJson(`/jobs/${jid}/vertices/${v.id}/backpressure`),
                                        optionalJson(`/jobs/${jid}/vertices/${v.id}/watermarks`)]);
    if (bp && Array.isArray(bp.subtasks) && bp.subtasks.length) {
      const r = bp.subtasks.map(s => Number(s.ratio) || 0), b = bp.subtasks.map(s => Number(s.busyRatio)).filter(Number.isFinite);
      jobState.ratios[v.id] = {backpressured: Math.max(...r), busy: b.length ? b.reduce((a, c) => a + c, 0) / b.length : null,
                               fromEndpoint: true};
    }
    if (Array.isArray(wm)) jobState.watermarks[v.id] = watermarkText(wm.filter(x => /currentInputWatermark$/.test(x.id)));
  }));
}
async function cancelJob(jid, button) {
  if (button.dataset.armed !== "1") { button.dataset.armed = "1"; button.textContent = "Confirm cancel"; return; }
  button.disabled = true;
  const r = await request(`/jobs/${encodeURIComponent(jid)}?mode=cancel`, {method: "PATCH"});
  const note = document.getElementById("action-note");
  note.textContent = r.ok ? "cancelling…" : ((await r.json().catch(() => ({}))).errors || [`HTTP ${r.status}`]).join("; ");
}
async function stopJob(jid, button) {
  const dir = document.getElementById("savepoint-dir").value.trim();
  button.disabled = true;
  const note = document.getElementById("action-note");
  const r = await request(`/jobs/${encodeURIComponent(jid)}/stop`, {method: "POST", headers: {"Content-Type": "application/json"},
                          body: JSON.stringify(dir ? {targetDirectory: dir, drain: false} : {drain: false})});
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { note.textContent = (body.errors || [`HTTP ${r.status}`]).join("; "); button.disabled = false; return; }
  note.textContent = "taking a savepoint…";
  for (;;) {
    await new Promise(res => setTimeout(res, 500));
    const s = await optionalJson(`/jobs/${jid}/savepoints/${body["request-id"]}`);
    if (s && s.status && s.status.id === "COMPLETED") {
      const op = s.operation || {};
      note.textContent = op.location ? `stopped with savepoint ${op.location}` : `savepoint failed: ${(op["failure-cause"] || {})["stack-trace"] || "?"}`;
      return;
    }
  }
}
function verticesTable(job) {
  return table(["Name", "Status", "Parallelism", "Records in", "Records out", "Bytes in", "Bytes out", "Busy", "Backpressured", "Watermark", "Duration"],
    job.vertices.map(v => {
      const m = v.metrics || {}, r = jobState.ratios[v.id] || {};
      const pct = x => (x === null || x === undefined) ? "—" : `${Math.round(x * 100)}%`;
      const known = JobGraph.hasFigures(m), shown = (x, f) => known ? f(x) : "—";
      return row([Object.assign(el("td", v.name, "wrap")), badge(v.status), num(v.parallelism), num(shown(m["read-records"], JobGraph.fmt)),
                  num(shown(m["write-records"], JobGraph.fmt)), num(shown(m["read-bytes"], fmtBytes)), num(shown(m["write-bytes"], fmtBytes)), num(pct(r.busy)),
                  num(pct(r.backpressured)), jobState.watermarks[v.id] || "—", fmtDuration(v.duration)]);
    }), "No vertices.");
}
function exceptionsView(ex) {
  const entries = (ex && ex.exceptionHistory && ex.exceptionHistory.entries) || [];
  if (!entries.length) return el("p", "No exceptions.", "note");
  const box = el("div");
  for (const e of entries) {
    const d = el("details"), s = el("summary");
    s.append(el("b", e.exceptionName), ` ${fmtTime(e.timestamp)}`, e.taskName ? ` — ${e.taskName}` : "", e.endpoint ? ` on ${e.endpoint}` : "");
    d.append(s, el("pre", e.stacktrace));
    for (const c of e.concurrentExceptions || []) d.append(el("h3", `concurrent: ${c.exceptionName} ${c.taskName || ""}`), el("pre", c.stacktrace));
    box.append(d);
  }
  return box;
}
function checkpointsView(c) {
  if (!c || !c.counts) return el("p", "No checkpoint statistics.", "note");
  const latest = (c.latest || {}).completed;
  const d = el("div");
  d.append(cards([["Triggered", c.counts.total], ["Completed", c.counts.completed], ["Failed", c.counts.failed],
                    ["In progress", c.counts.in_progress], ["Restored", c.counts.restored],
                    ["Latest completed", latest ? `#${latest.id}` : "—"]]),
             table(["ID", "Status", "Type", "Triggered", "Duration", "State size", "Acknowledged", "Path"], (c.history || []).map(h => row([
               num(h.id), badge(h.status), h.checkpoint_type || "", fmtTime(h.trigger_timestamp), fmtDuration(h.end_to_end_duration),
               num(fmtBytes(h.state_size)), `${h.num_acknowledged_subtasks}/${h.num_subtasks}`, Object.assign(el("td", h.external_path || "—", "wrap mono"))])),
               "No checkpoints yet."));
  return d;
}
async function refreshOutput(jid) {
  if (jobState.outputDone || jobState.outputAvailable === false) return;
  const o = await optionalJson(`/jobs/${jid}/output?offset=${jobState.outputOffset}`);
  if (!o) { jobState.outputAvailable = false; return; }
  jobState.outputAvailable = true;
  jobState.output = (jobState.output + (o.output || "")).slice(-200000);
  jobState.outputOffset = o.offset ?? jobState.outputOffset;
  jobState.outputDone = !!o.finished;
}
function tabs(names, current, onPick) {
  const bar = el("div", null, "tabs");
  for (const [key, label] of names) {
    const b = el("button", label, key === current ? "on" : ""); b.dataset.tab = key;
    b.onclick = () => onPick(key); bar.append(b);
  }
  return bar;
}
async function jobPage(view, token, jid) {
  if (jobState.jid !== jid) resetJobState(jid);
  const job = await getJson(`/jobs/${jid}`);
  if (token !== pageToken) return;
  const running = !TERMINAL.has(job.state);
  if (Date.now() - jobState.extrasAt > 2500 && running) { jobState.extrasAt = Date.now(); await refreshExtras(jid, job.vertices); }
  for (const v of job.vertices) { const r = ratiosFromFigures(v); if (r && !jobState.ratios[v.id]?.fromEndpoint) jobState.ratios[v.id] = r; }
  const tab = jobState.tab;
  const [ex, cp, cfg] = await Promise.all([tab === "exceptions" ? optionalJson(`/jobs/${jid}/exceptions`) : null,
                                           tab === "checkpoints" ? optionalJson(`/jobs/${jid}/checkpoints`) : null,
                                           tab === "config" ? optionalJson(`/jobs/${jid}/config`) : null]);
  if (tab === "output") await refreshOutput(jid);
  if (token !== pageToken) return;

  if (!jobState.view) {   // the page's frame: built once, then only its parts change
    const head = el("div", null, "jobhead");
    const title = el("h2"); title.id = "job-name";
    const state = el("span"); state.id = "job-state";
    const times = el("span", null, "note"); times.id = "job-times";
    const actions = el("div", null, "actions");
    const dir = el("input"); dir.id = "savepoint-dir"; dir.placeholder = "savepoint directory (optional)"; dir.size = 28;
    const stop = el("button", "Stop with savepoint"); stop.id = "stop-job"; stop.onclick = () => stopJob(jid, stop);
    const cancel = el("button", "Cancel job", "danger"); cancel.id = "cancel-job"; cancel.onclick = () => cancelJob(jid, cancel);
    const note = el("span", null, "note"); note.id = "action-note";
    actions.append(note, dir, stop, cancel);
    head.append(title, state, times, actions);
    const graph = el("div", null, "graph"); graph.id = "job-graph";
    const legend = el("div", null, "legend");
    legend.append("Vertex colour:", el("i", null, "sw-idle"), "idle", el("i", null, "sw-busy"), "busy",
                  el("i", null, "sw-bp"), "back-pressured");
    const body = el("div"); body.id = "job-tab";
    const bar = el("div"); bar.id = "job-tabs";
    jobState.view = {head, graph, body, bar, actions};
    view.replaceChildren(head, graph, legend, bar, body);
  }
  const v = jobState.view;
  document.getElementById("job-name").textContent = job.name;
  document.getElementById("job-state").replaceChildren(badge(job.state));
  document.getElementById("job-times").textContent = `${job.jid} · started ${fmtTime(job["start-time"])} · ${fmtDuration(job.duration)}`;
  v.actions.hidden = !running;
  if (!jobState.drawn || jobState.drawn.plan !== job.plan.jid) jobState.drawn = JobGraph.draw(v.graph, job.plan);
  for (const vertex of job.vertices) {
    const r = jobState.ratios[vertex.id] || {};
    JobGraph.update(jobState.drawn, vertex, {busy: r.busy ?? null, backpressured: r.backpressured ?? null, watermark: jobState.watermarks[vertex.id]});
  }
  v.bar.replaceChildren(tabs([["vertices", "Vertices"], ["exceptions", "Exceptions"], ["checkpoints", "Checkpoints"], ["output", "Output"], ["config", "Configuration"]],
                             tab, key => { jobState.tab = key; route(); }));
  let content;
  if (tab === "vertices") content = verticesTable(job);
  else if (tab === "exceptions") content = exceptionsView(ex);
  else if (tab === "checkpoints") content = checkpointsView(cp);
  else if (tab === "output") {
    content = jobState.outputAvailable === false ? el("p", "The job's output is not available from this JobManager.", "note")
                                                 : el("pre", jobState.output || "(no output yet)");
    content.id = "job-output";
  } else {
    const ec = (cfg || {})["execution-config"] || {};
    content = table(["Key", "Value"], [["restart-strategy", ec["restart-strategy"]], ["job-parallelism", ec["job-parallelism"]],
      ["object-reuse-mode", ec["object-reuse-mode"]], ...Object.entries(ec["user-config"] || {})].map(([k, x]) => row([el("span", k, "mono"), String(x)])), "—");
  }
  v.body.replaceChildren(content);
}

// ------------------------------------------------------------------ TaskManager / JobManager
function metricsTable(values) {
  return table(["Metric", "Value"], (values || []).map(m => row([el("span", m.id, "mono"), num(m.value)])), "No metrics reported.");
}
function logBlock(text, what) {
  return text === null ? el("p", `The ${what} is not available.`, "note") : el("pre", text.length > 65536 ? "…" + text.slice(-65536) : text);
}
async function taskManagerPage(view, token, id) {
  const tm = await getJson(`/taskmanagers/${encodeURIComponent(id)}`);
  const q = encodeURIComponent(id);
  const [metrics, log, out] = await Promise.all([
    optionalJson(`/taskmanagers/${q}/metrics?get=Status.JVM.CPU.Load,Status.JVM.Memory.RSS,Status.JVM.Threads.Count,Status.JVM.CPU.Time`),
    optionalText(`/taskmanagers/${q}/log`), optionalText(`/taskmanagers/${q}/stdout`)]);
  if (token !== pageToken) return;
  const hw = tm.hardware || {};
  view.replaceChildren(el("h2", `Task manager ${tm.id}`),
    cards([["Slots", tm.slotsNumber], ["Free slots", tm.freeSlots], ["Tasks", tm.assignedTasks], ["CPU cores", hw.cpuCores],
           ["Physical memory", fmtBytes(hw.physicalMemory)], ["Data port", tm.dataPort], ["PID", tm.pid]]),
    section("Allocated slots", table(["Job", "Tasks"], (tm.allocatedSlots || []).map(s => row([link(`#/jobs/${s.jobId}`, s.jobId, "mono"), num(s.assignedTasks)])), "No allocated slots.")),
    section("Metrics", metricsTable(metrics)), section("Log", logBlock(log, "log")), section("Stdout", logBlock(out, "stdout")));
}
async function jobManagerPage(view, token) {
  const [config, metrics, log] = await Promise.all([getJson("/jobmanager/config"),
    optionalJson("/jobmanager/metrics?get=Status.JVM.CPU.Load,Status.JVM.Memory.RSS,Status.JVM.Threads.Count,numRegisteredTaskManagers,numRunningJobs"),
    optionalText("/jobmanager/log")]);
  if (token !== pageToken) return;
  view.replaceChildren(el("h2", "Job manager"), section("Metrics", metricsTable(metrics)),
    section("Configuration", table(["Key", "Value"], config.map(e => row([el("span", e.key, "mono"), el("span", e.value, "mono")])), "Only defaults.")),
    section("Log", logBlock(log, "log")));
}

// ------------------------------------------------------------------ routing
const ROUTES = [
  [/^#\/?$/, overviewPage, 3000], [/^#\/jobs\/?$/, overviewPage, 3000], [/^#\/taskmanagers\/?$/, taskManagersPage, 3000],
  [/^#\/jobs\/([0-9a-f]{32})$/, jobPage, 1000], [/^#\/taskmanagers\/(.+)$/, taskManagerPage, 5000], [/^#\/jobmanager$/, jobManagerPage, 10000],
];
async function route() {
  clearTimeout(timer);
  const token = ++pageToken;
  const hash = location.hash || "#/";
  const [re, page, every] = ROUTES.find(([re]) => re.test(hash)) || ROUTES[0];
  const arg = (re.exec(hash) || [])[1];
  const view = document.getElementById("view");
  if (page !== jobPage) jobState.jid = null;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", hash.startsWith(a.getAttribute("href")) && a.getAttribute("href") !== "#/" || a.getAttribute("href") === hash);
  try {
    await page(view, token, arg && decodeURIComponent(arg));
    if (token === pageToken) setStatus(`updated ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    if (token === pageToken) setStatus(`cannot reach the JobManager (${e.message})`, true);
  }
  if (token === pageToken) timer = setTimeout(route, every);
}
window.addEventListener("hashchange", () => { if (location.hash.startsWith("#/jobs/")) jobState.view = null; route(); });
route();
