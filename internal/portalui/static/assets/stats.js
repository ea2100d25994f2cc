// An endpoint's delivery stats (get-webhook-stats, DESIGN §9.4): a range
// selector, the window's totals and a chart the page draws itself in SVG
// (stacked bars of deliveries by final status per bucket, the p99 attempt
// duration as a line on a second axis). Nothing is fetched but the numbers.
//
// No inline styles (the CSP forbids them): the SVG gets attributes and the
// classes portal.css colours.

import * as api from "./api.js";
import { h, replace, showProblem } from "./dom.js";

// The SVG namespace is a name, not an address (written in two parts so the
// check for references to other hosts does not take it for one).
const NS = "http" + "://www.w3.org/2000/svg";

// Ranges end at the end of the current bucket, so each spans exactly n
// buckets; the API truncates a window's start to its bucket (in UTC).
export const ranges = [
  { id: "1h", label: "1 hour", bucket: "1m", ms: 60e3, n: 60, per: "minute" },
  { id: "24h", label: "24 hours", bucket: "1h", ms: 3600e3, n: 24, per: "hour" },
  { id: "30d", label: "30 days", bucket: "1d", ms: 86400e3, n: 30, per: "day (UTC)" },
];
const defaultRange = "24h";

const statuses = [
  ["succeeded", "Succeeded"],
  ["failed", "Failed"],
  ["dead_letter", "Dead letter"],
];

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const count = (n) => Number(n || 0).toLocaleString();
const fmtMs = (v) => (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10).toLocaleString() + " ms";
const delivered = (b) => b.succeeded + b.failed + b.dead_letter;

// niceStep is the smallest 1, 2 or 5 × 10^k (at least 1) not below x.
function niceStep(x) {
  if (!(x > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

// scale: ticks 0…top (at most about 5) for values up to max.
function scale(max) {
  const step = niceStep(max / 4);
  return { step, top: Math.max(step, Math.ceil(max / step) * step) };
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
const whenFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function tickLabel(range, d) {
  return range.bucket === "1d" ? dayFmt.format(d) : timeFmt.format(d);
}

function bucketLabel(range, start) {
  const d = new Date(start);
  if (range.bucket === "1d") return dayFmt.format(d) + " (UTC day)";
  return whenFmt.format(d) + "–" + timeFmt.format(new Date(d.getTime() + range.ms));
}

// labelled says which buckets carry a time label: about one per maxLabels,
// on round times (every k minutes or hours of the clock; for days, counted
// back from the newest).
function labelled(range, n, maxLabels) {
  const steps = { "1m": [1, 2, 5, 10, 15, 30, 60], "1h": [1, 2, 3, 4, 6, 8, 12, 24], "1d": [1, 2, 3, 5, 7, 10, 15, 30] }[range.bucket];
  const k = steps.find((s) => s * maxLabels >= n) || steps[steps.length - 1];
  return (d, i) => range.bucket === "1m" ? (d.getHours() * 60 + d.getMinutes()) % k === 0
    : range.bucket === "1h" ? d.getHours() % k === 0 : (n - 1 - i) % k === 0;
}

// chart draws the window's buckets at width (CSS pixels: the viewBox is
// the box's own size, so text keeps its size on a phone).
function chart(range, win, width) {
  const W = Math.max(260, Math.round(width));
  const H = W < 480 ? 200 : 240;
  const m = { l: 40, r: 48, t: 22, b: 26 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const bs = win.buckets;
  const n = bs.length;
  const counts = scale(Math.max(1, ...bs.map(delivered)));
  const maxMs = Math.max(0, ...bs.map((b) => (b.attempts ? b.p99_ms : 0)));
  const ms = scale(maxMs);
  const slot = pw / n;
  const barW = Math.max(1, slot * 0.72);
  const yCount = (v) => m.t + ph - (ph * v) / counts.top;
  const yMs = (v) => m.t + ph - (ph * v) / ms.top;
  const t = win.totals;

  const el = svg("svg", {
    class: "stats-chart", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "data-testid": "stats-chart",
    "data-buckets": n, focusable: "false",
    "aria-label": `Deliveries per ${range.per} in the last ${range.label}: ${count(t.succeeded)} succeeded, ` +
      `${count(t.failed)} failed, ${count(t.dead_letter)} dead letter` + (maxMs ? `; p99 attempt duration up to ${fmtMs(maxMs)}.` : "."),
  });

  // Grid and the count axis (left), the p99 axis (right).
  const grid = svg("g", { class: "stats-grid" });
  for (let v = 0; v <= counts.top; v += counts.step) {
    const y = yCount(v);
    grid.append(svg("line", { x1: m.l, x2: W - m.r, y1: y, y2: y, class: v ? "stats-gridline" : "stats-axis" }),
      svg("text", { x: m.l - 6, y: y + 4, "text-anchor": "end", class: "stats-tick", "data-testid": "stats-count-tick" }, count(v)));
  }
  grid.append(svg("text", { x: 2, y: 12, class: "stats-axis-title" }, "Deliveries"));
  if (maxMs) {
    for (let v = 0; v <= ms.top; v += ms.step) {
      grid.append(svg("text", { x: W - m.r + 6, y: yMs(v) + 4, class: "stats-tick stats-tick-ms" }, count(v)));
    }
    grid.append(svg("text", { x: W - 2, y: 12, "text-anchor": "end", class: "stats-axis-title stats-tick-ms" }, "p99 ms"));
  }
  el.append(grid);

  // One group per bucket: its stacked bars, a full-height target for the
  // pointer and a <title> with the bucket's figures.
  const bars = svg("g", { class: "stats-bars" });
  const ticks = svg("g", { class: "stats-time" });
  const isLabelled = labelled(range, n, Math.max(2, Math.floor(pw / 64)));
  bs.forEach((b, i) => {
    const x = m.l + i * slot;
    const g = svg("g", { class: "stats-bar", "data-testid": "stats-bar", "data-start": b.start },
      svg("title", {}, `${bucketLabel(range, b.start)}: ${count(b.succeeded)} succeeded, ${count(b.failed)} failed, ` +
        `${count(b.dead_letter)} dead letter; ${count(b.attempts)} attempts` +
        (b.attempts ? `; p50 ${fmtMs(b.p50_ms)}, p99 ${fmtMs(b.p99_ms)}` : "")),
      svg("rect", { x, y: m.t, width: slot, height: ph, class: "stats-hit" }));
    let acc = 0;
    for (const [key] of statuses) {
      const v = b[key];
      if (!v) continue;
      const y0 = yCount(acc);
      acc += v;
      const y1 = yCount(acc);
      g.append(svg("rect", { x: x + (slot - barW) / 2, y: y1, width: barW, height: Math.max(1, y0 - y1), class: "stats-" + key }));
    }
    bars.append(g);
    const d = new Date(b.start);
    if (isLabelled(d, i)) {
      const cx = x + slot / 2;
      ticks.append(svg("line", { x1: cx, x2: cx, y1: m.t + ph, y2: m.t + ph + 4, class: "stats-axis" }),
        svg("text", { x: cx, y: H - 6, "text-anchor": "middle", class: "stats-tick", "data-testid": "stats-time-tick" }, tickLabel(range, d)));
    }
  });
  el.append(bars, ticks);

  // p99 as a line through the buckets that had attempts (broken by those
  // without), with a dot on each.
  if (maxMs) {
    let path = "";
    let prev = false;
    const dots = svg("g", { class: "stats-p99-dots" });
    bs.forEach((b, i) => {
      if (!b.attempts) { prev = false; return; }
      const x = (m.l + (i + 0.5) * slot).toFixed(1);
      const y = yMs(b.p99_ms).toFixed(1);
      path += (prev ? "L" : "M") + x + " " + y;
      prev = true;
      dots.append(svg("circle", { cx: x, cy: y, r: 2.5 }));
    });
    el.append(svg("path", { d: path, class: "stats-p99", "data-testid": "stats-p99" }), dots);
  }
  return el;
}

function figures(t) {
  const none = !t.attempts;
  const fig = (key, label, value, text, swatch) => h("div", { class: "stat", "data-testid": "stats-total", "data-key": key, "data-value": value },
    h("dt", {}, swatch ? h("span", { class: "swatch stats-" + key, "aria-hidden": "true" }) : "", label),
    h("dd", {}, text));
  return h("dl", { class: "stat-figures", "data-testid": "stats-totals" },
    statuses.map(([key, label]) => fig(key, label, t[key], count(t[key]), true)),
    fig("attempts", "Attempts", t.attempts, count(t.attempts)),
    fig("p50_ms", "p50 duration", t.p50_ms, none ? "—" : fmtMs(t.p50_ms)),
    fig("p99_ms", "p99 duration", t.p99_ms, none ? "—" : fmtMs(t.p99_ms)));
}

function legend() {
  return h("ul", { class: "stats-legend", "data-testid": "stats-legend" },
    statuses.map(([key, label]) => h("li", {}, h("span", { class: "swatch stats-" + key, "aria-hidden": "true" }), label)),
    h("li", {}, h("span", { class: "swatch line", "aria-hidden": "true" }), "p99 attempt duration (right axis)"));
}

// statsPanel is the "Delivery stats" panel of endpoint id, showing range
// (an id of ranges) first; onRange(id) hears the user's choice. loaded
// settles when the first window is shown.
export function statsPanel(id, range, onRange) {
  let current = ranges.find((r) => r.id === range) || ranges.find((r) => r.id === defaultRange);
  const box = h("div", { class: "notice", "aria-live": "polite" });
  const totals = h("div", { class: "stats-totals" });
  const plot = h("div", { class: "stats-plot", "data-testid": "stats-plot" });
  // A tap (or click) on a bar writes its figures out: touch screens show
  // no <title> tooltips.
  const picked = h("p", { class: "stats-picked", "aria-live": "polite", "data-testid": "stats-picked" });
  plot.addEventListener("click", (ev) => {
    const bar = ev.target.closest && ev.target.closest(".stats-bar");
    if (bar) picked.textContent = bar.querySelector("title").textContent;
  });
  const radios = ranges.map((r) => {
    const input = h("input", { type: "radio", name: "stats-range", id: "stats-range-" + r.id, value: r.id, checked: r === current,
      "data-testid": "stats-range-" + r.id });
    input.addEventListener("change", () => {
      if (!input.checked) return;
      current = r;
      if (onRange) onRange(r.id);
      load();
    });
    return [input, h("label", { for: "stats-range-" + r.id }, r.label)];
  });
  const el = h("section", { class: "panel stats", id: "stats-panel", "aria-labelledby": "stats-heading", "data-testid": "stats-panel", "data-state": "loading" },
    h("div", { class: "stats-head" },
      h("h2", { id: "stats-heading" }, "Delivery stats"),
      h("fieldset", { class: "segmented", "data-testid": "stats-range" }, h("legend", {}, "Last"), radios)),
    box, totals, plot);

  let win = null;
  let drawnWidth = 0;
  const draw = () => {
    if (!win) return;
    drawnWidth = plot.clientWidth;
    const empty = !win.totals.attempts && !delivered(win.totals);
    replace(plot, empty
      ? h("p", { class: "empty", "data-testid": "stats-empty" }, "No deliveries in this window")
      : [chart(current, win, drawnWidth || 640), legend(),
        h("p", { class: "hint" }, "Deliveries by the ", current.per, " they finished in. Point at or tap a bar for its figures."), picked]);
    if (!empty) picked.textContent = "";
  };
  // The chart is drawn to the box's width; redrawn when that changes.
  if (window.ResizeObserver) {
    const ro = new ResizeObserver(() => {
      if (!plot.isConnected) return void ro.disconnect();
      if (Math.abs(plot.clientWidth - drawnWidth) > 4) draw();
    });
    ro.observe(plot);
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    const r = current;
    el.dataset.state = "loading";
    el.setAttribute("aria-busy", "true");
    const until = new Date(Math.ceil(Date.now() / r.ms) * r.ms);
    const since = new Date(until.getTime() - r.n * r.ms);
    let got;
    try {
      got = await api.endpointStats(id, { since: since.toISOString(), until: until.toISOString(), bucket: r.bucket });
    } catch (err) {
      if (mine !== seq) return;
      el.removeAttribute("aria-busy");
      el.dataset.state = "error";
      replace(plot);
      replace(totals);
      showProblem(box, err);
      return;
    }
    if (mine !== seq) return; // a later choice is loading
    box.className = "notice";
    box.replaceChildren();
    win = { buckets: got.buckets || [], totals: got.totals || {} };
    Object.assign(el.dataset, { range: r.id, bucket: r.bucket, since: since.toISOString(), until: until.toISOString() });
    replace(totals, figures(win.totals));
    draw();
    el.removeAttribute("aria-busy");
    el.dataset.state = win.totals.attempts || delivered(win.totals) ? "ready" : "empty";
  }
  return { el, loaded: load() };
}
