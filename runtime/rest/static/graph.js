// The job graph of the dashboard: one box per JobVertex (its chained operators listed inside),
// one arrow per input edge labelled with its ship strategy, laid out left to right by the
// longest path from a source. Drawn once per plan; update() only changes texts and colours,
// so a live page does not flicker or lose its scroll position.
"use strict";

const JobGraph = (() => {
  const SVG = "http://www.w3.org/2000/svg";
  const W = 250, H = 104, GAP_X = 90, GAP_Y = 28, PAD = 20;

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  // Flink's TREE description: "Head<br/>+- Op<br/>..." -> ["Head", "Op", ...]
  function operators(node) {
    return String(node.description || "").split("<br/>").map(s => s.replace(/^[\s+-]+/, "").trim()).filter(Boolean);
  }

  function layers(nodes) {
    const byId = new Map(nodes.map(n => [n.id, n]));
    const depth = new Map();
    const visit = (id, seen) => {
      if (depth.has(id)) return depth.get(id);
      if (seen.has(id)) return 0;  // never loops on a malformed plan
      seen.add(id);
      const inputs = (byId.get(id)?.inputs || []).filter(i => byId.has(i.id));
      const d = inputs.length ? 1 + Math.max(...inputs.map(i => visit(i.id, seen))) : 0;
      depth.set(id, d);
      return d;
    };
    nodes.forEach(n => visit(n.id, new Set()));
    return depth;
  }

  // Colour of a vertex by what its subtasks spend their time on: back-pressured (red),
  // busy (orange) or idle (blue-grey), as Flink's UI does.
  function colour(busy, backpressured) {
    if (backpressured > 0.5) return "#f8c9c4";
    if (backpressured > 0.1) return "#fde2c8";
    if (busy > 0.5) return "#fdebc8";
    if (busy > 0.1) return "#fff6dd";
    return "#eef4fb";
  }

  function draw(container, plan) {
    const nodes = plan.nodes || [];
    const depth = layers(nodes);
    const columns = new Map();
    for (const n of nodes) {
      const d = depth.get(n.id) || 0;
      if (!columns.has(d)) columns.set(d, []);
      columns.get(d).push(n);
    }
    const pos = new Map();
    let width = 0, height = 0;
    for (const [d, col] of [...columns.entries()].sort((a, b) => a[0] - b[0])) {
      col.forEach((n, i) => {
        const x = PAD + d * (W + GAP_X), y = PAD + i * (H + GAP_Y);
        pos.set(n.id, {x, y});
        width = Math.max(width, x + W + PAD); height = Math.max(height, y + H + PAD);
      });
    }
    const root = svg("svg", {width, height, viewBox: `0 0 ${width} ${height}`, "data-plan": plan.jid || ""});
    const defs = svg("defs");
    const marker = svg("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto"});
    marker.append(svg("path", {d: "M0,0 L10,5 L0,10 z", fill: "#9aa5b1"}));
    defs.append(marker); root.append(defs);
    for (const n of nodes) {
      for (const input of n.inputs || []) {
        const a = pos.get(input.id), b = pos.get(n.id);
        if (!a || !b) continue;
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
        root.append(svg("path", {class: "edge", d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)"}));
        root.append(svg("text", {class: "edge-label", x: mx, y: (y1 + y2) / 2 - 5, "text-anchor": "middle"}, input.ship_strategy || ""));
      }
    }
    const boxes = new Map();
    for (const n of nodes) {
      const {x, y} = pos.get(n.id);
      const g = svg("g", {class: "vertex", "data-vertex-id": n.id, transform: `translate(${x},${y})`});
      const rect = svg("rect", {width: W, height: H, fill: colour(0, 0)});
      const ops = operators(n);
      const title = svg("text", {class: "title", x: 10, y: 18}, clip(ops[0] || n.id, 34));
      const chained = svg("text", {class: "op", x: 10, y: 34}, ops.length > 1 ? clip(`+ ${ops.slice(1).join(" → ")}`, 40) : "");
      const par = svg("text", {x: 10, y: 52}, `Parallelism: ${n.parallelism}`);
      const status = svg("text", {x: W - 10, y: 52, "text-anchor": "end", class: "status"}, "");
      const records = svg("text", {x: 10, y: 70, class: "records"}, "Records in: —  out: —");
      const load = svg("text", {x: 10, y: 86, class: "load"}, "");
      const wm = svg("text", {x: 10, y: 100, class: "watermark"}, "");
      const tip = svg("title", {}, ops.join("\n"));
      g.append(rect, title, chained, par, status, records, load, wm, tip);
      root.append(g);
      boxes.set(n.id, {g, rect, status, records, load, wm});
    }
    container.replaceChildren(root);
    return {plan: plan.jid, boxes};
  }

  function clip(text, n) { text = String(text); return text.length > n ? text.slice(0, n - 1) + "…" : text; }

  function fmt(n) {
    if (n === null || n === undefined || Number.isNaN(n)) return "—";
    if (n >= 1e9) return (n / 1e9).toFixed(1) + "G";
    if (n >= 1e6) return (n / 1e6).toFixed(1) + "M";
    if (n >= 1e4) return (n / 1e3).toFixed(1) + "k";
    return String(Math.round(n));
  }

  // figures are known once reported (complete) or counting; zeros with complete=false are unknown
  function hasFigures(m) {
    return !!(m["read-records-complete"] || m["write-records-complete"] || (m["read-records"] || 0) + (m["write-records"] || 0) > 0);
  }

  // vertex: an entry of /jobs/:id "vertices"; extra: {watermark, busy, backpressured} (ratios 0..1, may be null)
  function update(drawn, vertex, extra) {
    const box = drawn.boxes.get(vertex.id);
    if (!box) return;
    const m = vertex.metrics || {};
    const known = hasFigures(m);
    box.g.setAttribute("data-records-in", known ? m["read-records"] : "");
    box.g.setAttribute("data-records-out", known ? m["write-records"] : "");
    box.records.textContent = known ? `Records in: ${fmt(m["read-records"])}  out: ${fmt(m["write-records"])}` : "Records in: —  out: —";
    box.status.textContent = vertex.status || "";
    const busy = extra.busy, bp = extra.backpressured;
    box.load.textContent = busy === null && bp === null ? "" :
      `Busy: ${busy === null ? "—" : Math.round(busy * 100) + "%"}  Backpressured: ${bp === null ? "—" : Math.round(bp * 100) + "%"}`;
    box.rect.setAttribute("fill", colour(busy || 0, bp || 0));
    box.wm.textContent = extra.watermark ? `Watermark: ${extra.watermark}` : "";
  }

  return {draw, update, fmt, hasFigures};
})();
