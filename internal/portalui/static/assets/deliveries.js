// Delivery pages: one endpoint's log (filters, cursor paging, replay,
// recover since…) and one delivery with its payload and attempts.

import * as api from "./api.js";
import {
  h, replace, link, time, badge, statusBadge, statusLabel, deliveryStatuses, td, tdStacked, announce, notice, clearNotice,
  showProblem, clearFieldErrors, confirmDialog, fromLocalInput, toLocalInput, prettyJSON,
} from "./dom.js";
import { page, go } from "./nav.js";
import { routingPanel } from "./routing.js";

const replayable = (d) => d.status === "failed" || d.status === "dead_letter";

function logRoute(id, params) {
  const q = new URLSearchParams();
  for (const k of ["status", "event_type", "after", "before", "limit", "cursor"]) if (params[k]) q.set(k, params[k]);
  const s = q.toString();
  return "/endpoints/" + id + "/deliveries" + (s ? "?" + s : "");
}

function lastResult(d) {
  if (d.last_status_code) {
    const extra = d.last_error && d.last_error !== "HTTP " + d.last_status_code ? h("span", { class: "hint" }, d.last_error) : "";
    return h("span", {}, "HTTP " + d.last_status_code, extra);
  }
  if (d.last_error) return h("span", {}, d.last_error);
  return h("span", { class: "muted" }, "—");
}

export async function logPage(view, params, query) {
  const id = params.id;
  const { body, box, heading } = page(view, "Delivery log",
    [["/endpoints", "Endpoints"], ["/endpoints/" + id, "Endpoint"]]);
  const filters = {
    status: query.get("status") || "", event_type: query.get("event_type") || "", after: query.get("after") || "",
    before: query.get("before") || "", limit: query.get("limit") || "", cursor: query.get("cursor") || "",
  };
  api.getEndpoint(id).then((e) => {
    heading.append(h("span", { class: "hint mono breakable", "data-testid": "endpoint-heading-url" }, e.url));
  }).catch(() => {});

  // Filters (a search landmark): applying them starts again at the first page.
  const statusSel = h("select", { id: "f-status", name: "status", "data-testid": "filter-status" },
    h("option", { value: "" }, "Any status"),
    deliveryStatuses.map((s) => h("option", { value: s, selected: s === filters.status }, statusLabel(s))));
  const typeSel = h("select", { id: "f-type", name: "event_type", "data-testid": "filter-event-type" },
    h("option", { value: "" }, "Any event type"));
  const addType = (name) => {
    if ([...typeSel.options].some((o) => o.value === name)) return;
    typeSel.append(h("option", { value: name, selected: name === filters.event_type }, name));
  };
  if (filters.event_type) addType(filters.event_type);
  api.catalogueCached().then((cat) => { addType("webhook.test"); cat.types.forEach((t) => addType(t.name)); }).catch(() => {});
  const limitSel = h("select", { id: "f-limit", name: "limit" },
    [...new Set(["", "20", "50", "100", filters.limit])].map((n) => h("option", { value: n, selected: n === filters.limit }, n ? n + " per page" : "Default page size")));
  const filterForm = h("form", { role: "search", "aria-label": "Filter deliveries", id: "filter-form", class: "panel", novalidate: true },
    h("div", { class: "inline-fields" },
      h("div", { class: "field" }, h("label", { for: "f-status" }, "Status"), statusSel),
      h("div", { class: "field" }, h("label", { for: "f-type" }, "Event type"), typeSel),
      h("div", { class: "field" }, h("label", { for: "f-after" }, "Created after"),
        h("input", { type: "datetime-local", step: 1, id: "f-after", name: "after", value: toLocalInput(filters.after), "data-testid": "filter-after" })),
      h("div", { class: "field" }, h("label", { for: "f-before" }, "Created before"),
        h("input", { type: "datetime-local", step: 1, id: "f-before", name: "before", value: toLocalInput(filters.before), "data-testid": "filter-before" })),
      h("div", { class: "field" }, h("label", { for: "f-limit" }, "Page size"), limitSel)),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", "data-testid": "filter-apply" }, "Apply filters"),
      h("button", { type: "button", "data-testid": "filter-clear", onclick: () => go(logRoute(id, {})) }, "Clear filters"),
      h("button", { type: "button", "data-testid": "refresh", onclick: () => load() }, "Refresh")));
  filterForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    go(logRoute(id, {
      status: statusSel.value, event_type: typeSel.value, limit: limitSel.value,
      after: fromLocalInput(filterForm.elements.after.value), before: fromLocalInput(filterForm.elements.before.value),
    }));
  });

  const results = h("div", { id: "deliveries", "aria-live": "polite", "aria-busy": "true" });
  body.append(h("h2", { class: "visually-hidden" }, "Filters"), filterForm,
    h("h2", { id: "deliveries-heading" }, filters.cursor ? "Deliveries (later page)" : "Deliveries, newest first"), results,
    recoverSection(id, box));

  async function replay(d, btn) {
    btn.disabled = true;
    clearNotice(box);
    try {
      const n = await api.replayDelivery(id, d.id);
      notice(box, "success", h("p", { "data-testid": "replay-result", "data-id": n.id },
        "Replay queued as a new delivery. ", link("/endpoints/" + id + "/deliveries/" + n.id, "Open the new delivery")));
      announce("Replay queued.");
      await load();
    } catch (err) {
      showProblem(box, err);
      btn.disabled = false;
    }
  }

  async function load() {
    results.setAttribute("aria-busy", "true");
    let pageData;
    try {
      pageData = await api.listDeliveries(id, filters);
    } catch (err) {
      results.removeAttribute("aria-busy");
      replace(results);
      return showProblem(box, err, filterForm);
    }
    const list = pageData.data || [];
    const rows = list.map((d) => {
      const actions = h("div", { class: "actions" },
        link("/endpoints/" + id + "/deliveries/" + d.id, "Details", { class: "button small", "aria-label": "Details of delivery " + d.id }));
      if (replayable(d)) {
        const btn = h("button", { type: "button", class: "small", "data-testid": "replay-button", "aria-label": "Replay delivery " + d.id }, "Replay");
        btn.addEventListener("click", () => replay(d, btn));
        actions.append(btn);
      }
      return h("tr", { "data-testid": "delivery-row", "data-id": d.id, "data-status": d.status, "data-replay-of": d.replay_of || "" },
        td("Created", time(d.created_at)),
        td("Event type", h("span", { class: "mono" }, d.event_type)),
        td("Status", statusBadge(d.status)),
        td("Attempts", String(d.attempt_count), d.next_attempt_at ? h("span", { class: "hint" }, "next ", time(d.next_attempt_at)) : ""),
        td("Last result", lastResult(d)),
        td("Replay of", d.replay_of ? link("/endpoints/" + id + "/deliveries/" + d.replay_of, d.replay_of.slice(0, 8) + "…", { class: "mono nowrap", "aria-label": "Replay of delivery " + d.replay_of, "data-testid": "replay-of" }) : h("span", { class: "muted" }, "—")),
        td("Actions", actions));
    });
    const pager = h("nav", { class: "pager", "aria-label": "Pages" },
      filters.cursor ? link(logRoute(id, { ...filters, cursor: "" }), "First page", { class: "button", "data-testid": "first-page" }) : "",
      pageData.next_cursor ? link(logRoute(id, { ...filters, cursor: pageData.next_cursor }), "Next page", { class: "button", "data-testid": "next-page" }) : "",
      h("span", { class: "muted", "data-testid": "page-count" }, list.length + (list.length === 1 ? " delivery" : " deliveries") + " on this page"));
    replace(results,
      list.length ? h("div", { class: "table-wrap" }, h("table", { class: "cards", "data-testid": "deliveries-table", "aria-labelledby": "deliveries-heading" },
        h("thead", {}, h("tr", {}, ["Created", "Event type", "Status", "Attempts", "Last result", "Replay of", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows)))
        : h("div", { class: "panel empty", "data-testid": "no-deliveries" }, "No deliveries match."),
      pager);
    results.removeAttribute("aria-busy");
  }
  await load();
}

function recoverSection(id, box) {
  const out = h("div", { class: "notice", "aria-live": "polite", id: "recover-result", "data-testid": "recover-result" });
  const form = h("form", { id: "recover-form", novalidate: true },
    h("p", {}, "Sends every failed and dead-lettered delivery created in the window again, as new deliveries (at most 90 days)."),
    h("div", { class: "inline-fields" },
      h("div", { class: "field" }, h("label", { for: "r-since" }, "Since"),
        h("input", { type: "datetime-local", step: 1, id: "r-since", name: "since", required: true, "data-testid": "recover-since" })),
      h("div", { class: "field" }, h("label", { for: "r-until" }, "Until (optional, default now)"),
        h("input", { type: "datetime-local", step: 1, id: "r-until", name: "until", "data-testid": "recover-until" }))),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "recover-button" }, "Recover failed deliveries")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const since = fromLocalInput(form.elements.since.value);
    const until = fromLocalInput(form.elements.until.value);
    if (!since) {
      showProblem(out, { status: 0, problem: { title: "Choose a start time", errors: [{ location: "body.since", message: "required" }] } }, form);
      return;
    }
    const ok = await confirmDialog("Recover failed deliveries?",
      "Every failed or dead-lettered delivery of this endpoint created since " + new Date(since).toLocaleString() +
      (until ? " and before " + new Date(until).toLocaleString() : "") + " is sent again.", "Recover");
    if (!ok) return;
    const btn = form.querySelector("button");
    btn.disabled = true;
    try {
      const r = await api.recoverDeliveries(id, since, until);
      notice(out, "success", h("p", { "data-testid": "recover-count", "data-count": r.deliveries },
        r.deliveries === 1 ? "1 delivery is being replayed." : r.deliveries + " deliveries are being replayed.",
        h("span", { class: "hint mono" }, "recovery " + r.id)));
      announce("Recovery started.");
    } catch (err) {
      showProblem(out, err, form);
    } finally {
      btn.disabled = false;
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "recover-heading" },
    h("h2", { id: "recover-heading" }, "Recover failed deliveries"), form, out);
}

// headerNames lists the request header names an attempt sent (the API gives
// names only: values may be credentials).
function headerNames(names) {
  if (!names || !names.length) return h("span", { class: "muted", "data-testid": "attempt-request-headers" }, "—");
  return h("ul", { class: "tags sent-headers", "data-testid": "attempt-request-headers", "aria-label": "Request headers sent" },
    names.map((n) => h("li", { class: "mono" }, n)));
}

export async function deliveryPage(view, params) {
  const { id, did } = params;
  const { body, box, heading } = page(view, "Delivery",
    [["/endpoints", "Endpoints"], ["/endpoints/" + id, "Endpoint"], ["/endpoints/" + id + "/deliveries", "Delivery log"]]);
  body.append(h("p", { class: "muted" }, "Loading…"));
  let d;
  try {
    d = await api.getDelivery(id, did);
  } catch (err) {
    replace(body);
    return showProblem(box, err);
  }
  heading.append(h("span", { class: "hint mono" }, d.id));
  const actions = h("div", { class: "actions" },
    link("/endpoints/" + id + "/deliveries", "Back to the delivery log", { class: "button" }));
  if (replayable(d)) {
    const btn = h("button", { type: "button", class: "primary", "data-testid": "replay-button" }, "Replay");
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      clearNotice(box);
      try {
        const n = await api.replayDelivery(id, d.id);
        notice(box, "success", h("p", { "data-testid": "replay-result", "data-id": n.id }, "Replay queued as a new delivery. ",
          link("/endpoints/" + id + "/deliveries/" + n.id, "Open the new delivery")));
        announce("Replay queued.");
      } catch (err) {
        showProblem(box, err);
      } finally {
        btn.disabled = false;
      }
    });
    actions.append(btn);
  } else if (d.status === "pending" || d.status === "in_flight") {
    actions.append(h("button", { type: "button", onclick: () => go("/endpoints/" + id + "/deliveries/" + did) }, "Refresh"));
  }
  const attempts = d.attempts || [];
  const routing = routingPanel(d, id);
  replace(body,
    h("section", { class: "panel", "aria-labelledby": "summary-heading" }, h("h2", { id: "summary-heading" }, "Summary"),
      h("dl", { class: "props", "data-testid": "delivery-props" },
        h("dt", {}, "Status"), h("dd", {}, statusBadge(d.status)),
        h("dt", {}, "Event type"), h("dd", { class: "mono" }, d.event_type),
        h("dt", {}, "Event ID"), h("dd", { class: "mono" }, d.event_id),
        h("dt", {}, "Attempts"), h("dd", {}, String(d.attempt_count)),
        h("dt", {}, "Last result"), h("dd", {}, lastResult(d)),
        h("dt", {}, "Next attempt"), h("dd", {}, time(d.next_attempt_at)),
        h("dt", {}, "Replay of"), h("dd", {}, d.replay_of ? link("/endpoints/" + id + "/deliveries/" + d.replay_of, d.replay_of, { class: "mono" }) : "—"),
        h("dt", {}, "Created"), h("dd", {}, time(d.created_at)),
        h("dt", {}, "Updated"), h("dd", {}, time(d.updated_at)),
        h("dt", {}, "Completed"), h("dd", {}, time(d.completed_at))),
      actions),
    h("section", { class: "panel", "aria-labelledby": "payload-heading" }, h("h2", { id: "payload-heading" }, "Payload"),
      h("pre", { class: "json", tabindex: "0", "aria-labelledby": "payload-heading", "data-testid": "payload" }, prettyJSON(d.payload))),
    h("section", { class: "panel", "aria-labelledby": "attempts-heading" }, h("h2", { id: "attempts-heading" }, `Attempts (${attempts.length})`),
      attempts.length ? h("div", { class: "table-wrap" }, h("table", { class: "cards", "data-testid": "attempts-table", "aria-labelledby": "attempts-heading" },
        h("thead", {}, h("tr", {}, ["#", "Started", "Duration", "Status code", "Error", "Headers sent", "Response body"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, attempts.map((a) => h("tr", { "data-testid": "attempt-row" },
          td("#", String(a.number)),
          td("Started", time(a.started_at)),
          td("Duration", a.duration_ms + " ms"),
          td("Status code", a.status_code ? badge(a.status_code < 300 ? "ok" : "bad", String(a.status_code)) : h("span", { class: "muted" }, "none")),
          td("Error", a.error || h("span", { class: "muted" }, "—")),
          td("Headers sent", headerNames(a.request_headers)),
          tdStacked("Response body", a.response_body ? h("pre", { class: "body", tabindex: "0", "aria-label": "Response body of attempt " + a.number }, prettyJSON(a.response_body)) : h("span", { class: "muted" }, "empty")))))))
        : h("p", { class: "muted", "data-testid": "no-attempts" }, "No attempt yet.")),
    routing.el);
  await routing.loaded;
}
