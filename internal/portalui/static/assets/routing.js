// Routing of events to an endpoint (DESIGN §9.2): the channels and filter in
// the create/edit form, with a box that tries the filter on a sample event;
// how they are shown; and a delivery page's "Routing of this event" panel.
//
// JSON typed by the user is parsed here before anything is sent, and shown
// back only as text (a textarea's value, a <pre>'s text node).

import * as api from "./api.js";
import { h, replace, link, badge, tags, td, notice, clearNotice, showProblem, clearFieldErrors, prettyJSON, announce } from "./dom.js";

function field(id, labelText, control, hint) {
  if (hint) control.setAttribute("aria-describedby", id + "-hint");
  return h("div", { class: "field" }, h("label", { for: id }, labelText),
    control, hint ? h("span", { class: "hint", id: id + "-hint" }, hint) : "");
}

// parseChannels: "eu, premium" → ["eu", "premium"], without repeats and
// sorted as the server keeps them.
export function parseChannels(text) {
  return [...new Set(String(text || "").split(/[\s,]+/).filter(Boolean))].sort();
}

// parseObject parses text as a JSON object: {value} or {error} (a problem
// item naming location, as the API would).
function parseObject(text, location, what) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: { location, message: what + " is not valid JSON: " + (e && e.message || e) } };
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { error: { location, message: what + " must be a JSON object {…}" } };
  return { value: v };
}

const localProblem = (title, errors) => ({ status: 0, problem: { title, errors } });
const hasFilter = (e) => e.filter !== null && e.filter !== undefined;

// ---- the form ---------------------------------------------------------------

// routingForm builds the "Routing" part of the endpoint form for cur (the
// endpoint being edited, or a new one's defaults); cat is the catalogue
// (api.catalogueCached). check() is a problem found before sending (or
// null); create(b) and patch(b) add the fields to a request body; annotate
// names the channel a server error is about.
export function routingForm(cur, cat) {
  const origChannels = [...(cur.channels || [])].sort();
  const origFilter = hasFilter(cur) ? prettyJSON(cur.filter) : "";
  const channels = h("input", { type: "text", id: "ep-channels", name: "channels", value: origChannels.join(", "),
    autocomplete: "off", spellcheck: "false", placeholder: "e.g. eu, premium", "data-testid": "channels-input" });
  const filter = h("textarea", { id: "ep-filter", name: "filter", rows: 10, spellcheck: "false", autocomplete: "off", class: "mono",
    placeholder: '{"data": {"amount": {"$gte": 100}}}', "data-testid": "filter-input" });
  filter.value = origFilter;
  let section = null;
  const test = filterTestBox(filter, cat, cur, () => section);
  section = h("section", { class: "controls routing", "aria-labelledby": "routing-heading", "data-testid": "routing-section" },
    h("h2", { id: "routing-heading" }, "Routing"),
    h("p", { class: "hint" }, "Optional: of the subscribed event types, deliver only the events published to a channel, or matching a filter."),
    field("ep-channels", "Channels (optional)", channels,
      "Separated by commas, up to 10, each of letters, digits and . _ : + - (at most 128). With channels, only events published to one of them are delivered (an event without channels is not). Empty: every event."),
    h("div", { class: "routing-grid" },
      field("ep-filter", "Filter (optional, JSON)", filter,
        'A JSON object matched against each event\'s {"type", "channels", "data"}: its keys must all match, a nested object is a path, a value matches an array containing it. ' +
        "Operators: $eq $neq $gt $gte $lt $lte $in $nin $startsWith $endsWith $contains $exist $regex $and $or $not. Empty: no filter."),
      test));

  const readFilter = () => {
    const text = filter.value.trim();
    return text ? parseObject(text, "body.filter", "The filter") : { empty: true };
  };
  let sent = []; // the channels of the last request, for annotate
  return {
    el: section,
    check() {
      const f = readFilter();
      return f.error ? localProblem("Check the filter", [f.error]) : null;
    },
    create(b) {
      sent = parseChannels(channels.value);
      if (sent.length) b.channels = sent;
      const f = readFilter();
      if (f.value) b.filter = f.value;
    },
    // patch: channels when the set changed ([] clears them); the filter when
    // its text changed (null removes it); nothing otherwise.
    patch(b) {
      sent = parseChannels(channels.value);
      if (sent.join("\n") !== origChannels.join("\n")) b.channels = sent;
      const text = filter.value.trim();
      if (text === origFilter.trim()) return;
      if (!text) {
        if (hasFilter(cur)) b.filter = null;
        return;
      }
      const f = readFilter();
      if (f.value && JSON.stringify(f.value) !== JSON.stringify(cur.filter)) b.filter = f.value;
    },
    annotate(err) {
      const p = err && err.problem;
      if (!p || !Array.isArray(p.errors)) return err;
      p.errors = p.errors.map((e) => {
        const m = /^body\.channels\[(\d+)\]$/.exec(e.location || "");
        return m && sent[+m[1]] !== undefined ? { ...e, message: `"${sent[+m[1]]}": ${e.message || "invalid"}` } : e;
      });
      return err;
    },
  };
}

// filterTestBox tries the filter textarea's current text on a sample event
// (test-filter): its type, channels and data, the data filled from the type's
// example when the catalogue has one. scope() is the part of the form whose
// fields a problem may mark.
function filterTestBox(filterArea, cat, cur, scope) {
  const types = (cat && cat.types) || [];
  const examples = new Map(types.filter((t) => t.example !== null && t.example !== undefined).map((t) => [t.name, t.example]));
  const names = [...new Set([...types.map((t) => t.name), ...((cat && cat.names) || [])])];
  if (!names.length) names.push("webhook.test");
  const initial = (cur.events || []).find((n) => n !== "*" && names.includes(n)) || names[0];
  const type = h("select", { id: "ft-type", name: "event.type", "data-testid": "filter-test-type" },
    names.map((n) => h("option", { value: n, selected: n === initial }, examples.has(n) ? n + " (has an example)" : n)));
  const chans = h("input", { type: "text", id: "ft-channels", name: "event.channels", autocomplete: "off", spellcheck: "false",
    placeholder: "e.g. eu", "data-testid": "filter-test-channels" });
  const data = h("textarea", { id: "ft-data", name: "event.data", rows: 6, spellcheck: "false", autocomplete: "off", class: "mono",
    "data-testid": "filter-test-data" });
  const out = h("div", { class: "notice", "aria-live": "polite", id: "filter-test-result", "data-testid": "filter-test-result" });
  const btn = h("button", { type: "button", id: "filter-test-button", "data-testid": "filter-test-button" }, "Test");

  // The data follows the chosen type's example until the user edits it.
  let prefilled = "";
  const prefill = () => {
    if (data.value.trim() && data.value !== prefilled) return;
    prefilled = examples.has(type.value) ? prettyJSON(examples.get(type.value)) : "{}";
    data.value = prefilled;
  };
  type.addEventListener("change", prefill);
  prefill();

  const run = async () => {
    clearNotice(out);
    const errors = [];
    const ftext = filterArea.value.trim();
    const f = ftext ? parseObject(ftext, "body.filter", "The filter") : { error: { location: "body.filter", message: "write a filter to test" } };
    if (f.error) errors.push(f.error);
    const d = parseObject(data.value.trim() || "{}", "body.event.data", "The event data");
    if (d.error) errors.push(d.error);
    if (errors.length) {
      showProblem(out, localProblem("Cannot test yet", errors), scope());
      return;
    }
    const ev = { type: type.value, data: d.value };
    const ch = parseChannels(chans.value);
    if (ch.length) ev.channels = ch;
    btn.disabled = true;
    try {
      const r = await api.testFilter(f.value, ev);
      clearFieldErrors(scope());
      if (r.matched) {
        notice(out, "success", h("p", { "data-testid": "filter-test-outcome", "data-matched": "true" },
          h("strong", {}, "Matches:"), " this event passes the filter."));
        announce("The filter matches.");
      } else {
        notice(out, "warn", h("p", { "data-testid": "filter-test-outcome", "data-matched": "false", "data-reason": r.reason || "" },
          h("strong", {}, "Does not match"), r.reason ? [" at ", h("code", { "data-testid": "filter-test-reason" }, r.reason)] : "",
          ": this event would not be delivered."));
        announce("The filter does not match" + (r.reason ? " at " + r.reason : "") + ".");
      }
    } catch (err) {
      showProblem(out, err, scope());
    } finally {
      btn.disabled = false;
    }
  };
  btn.addEventListener("click", run);
  // Enter in the box tests (rather than submitting the endpoint form).
  chans.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); run(); }
  });

  return h("fieldset", { id: "filter-test", class: "filter-test", "data-testid": "filter-test" },
    h("legend", {}, "Test the filter"),
    h("p", { class: "hint" }, "Tries the filter on a sample event, as publishing would. Only the filter is tested, not the channels above."),
    field("ft-type", "Event type", type),
    field("ft-channels", "Event channels (optional)", chans, "Separated by commas, up to 5."),
    field("ft-data", "Event data (JSON)", data, "Filled from the type's example when it has one."),
    h("div", { class: "actions" }, btn), out);
}

// ---- showing them -------------------------------------------------------------

// routingProps are the <dt>/<dd> pairs of an endpoint's channels and filter.
export function routingProps(e) {
  const ch = e.channels || [];
  return [
    h("dt", {}, "Channels"), h("dd", { "data-testid": "prop-channels" },
      ch.length ? tags(ch) : h("span", { class: "muted" }, "none (events of every channel)")),
    h("dt", {}, "Filter"), h("dd", { "data-testid": "prop-filter" }, hasFilter(e)
      ? h("pre", { class: "json filter", tabindex: "0", "aria-label": "Filter" }, prettyJSON(e.filter))
      : h("span", { class: "muted" }, "none")),
  ];
}

// routingSummary is a short hint for the endpoint list ("" when neither is set).
export function routingSummary(e) {
  const parts = [];
  if ((e.channels || []).length) parts.push("channels " + e.channels.join(", "));
  if (hasFilter(e)) parts.push("filtered");
  return parts.length ? h("span", { class: "hint", "data-testid": "routing-summary" }, parts.join(" · ")) : "";
}

// ---- a delivery's event -------------------------------------------------------

const reasons = {
  channels: "the event shares none of the endpoint's channels",
  filter: "the endpoint's filter did not match",
  inactive: "the endpoint was inactive",
};

// routingPanel explains where the event of delivery d (to endpoint
// currentID) went: every endpoint subscribed to its type when it was
// published. loaded settles when the panel is filled.
export function routingPanel(d, currentID) {
  const out = h("div", { id: "routing-body", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const el = h("section", { class: "panel", "aria-labelledby": "routing-panel-heading", "data-testid": "routing-panel" },
    h("h2", { id: "routing-panel-heading" }, "Routing of this event"), out);
  const loaded = (async () => {
    let rt;
    let eps = [];
    try {
      [rt, eps] = await Promise.all([api.eventRouting(d.event_id),
        api.listEndpoints().then((r) => (r && r.data) || []).catch(() => [])]);
    } catch (err) {
      out.removeAttribute("aria-busy");
      if (err.status === 404) {
        replace(out, h("p", { class: "muted", "data-testid": "routing-none" },
          "Hookline has no routing record for this event: a test delivery goes to its endpoint directly."));
      } else {
        replace(out, h("div", { class: "notice", "data-testid": "routing-error" }));
        showProblem(out.firstChild, err);
      }
      return;
    }
    const byID = new Map(eps.map((e) => [e.id, e]));
    const list = rt.endpoints || [];
    const matched = list.filter((r) => r.matched).length;
    const rows = list.map((r) => {
      const e = byID.get(r.endpoint_id);
      const who = e
        ? [link("/endpoints/" + r.endpoint_id, e.url, { class: "mono breakable", "data-testid": "routing-endpoint" }),
          e.description ? h("span", { class: "hint" }, e.description) : ""]
        : h("span", { class: "mono breakable", "data-testid": "routing-endpoint" }, r.endpoint_id);
      const result = r.matched ? badge("ok", "Matched")
        : h("span", {}, badge("off", "Not sent"), h("span", { class: "hint" }, h("code", {}, r.reason), ": ", reasons[r.reason] || r.reason));
      const here = r.delivery_id && r.delivery_id === d.id;
      const delivery = r.matched && r.delivery_id
        ? link("/endpoints/" + r.endpoint_id + "/deliveries/" + r.delivery_id, here ? "This delivery" : "Open the delivery",
          { "data-testid": "routing-delivery-link", "aria-current": here ? "page" : null,
            "aria-label": here ? null : "Delivery to " + (e ? e.url : r.endpoint_id) })
        : h("span", { class: "muted" }, "—");
      return h("tr", { "data-testid": "routing-row", "data-endpoint-id": r.endpoint_id, "data-matched": String(!!r.matched), "data-reason": r.reason },
        td("Endpoint", who, r.endpoint_id === currentID ? h("span", { class: "hint" }, "(this endpoint)") : ""),
        td("Result", result),
        td("Delivery", delivery));
    });
    out.removeAttribute("aria-busy");
    replace(out,
      h("p", { "data-testid": "routing-count" }, list.length === 1 ? "1 endpoint was" : list.length + " endpoints were",
        " subscribed to ", h("code", { class: "breakable" }, rt.type), " when the event ", h("code", { class: "breakable" }, rt.event_id), " was published; ",
        matched === 1 ? "1 got" : matched + " got", " a delivery."),
      list.length ? h("div", { class: "table-wrap" }, h("table", { class: "cards", "data-testid": "routing-table", "aria-labelledby": "routing-panel-heading" },
        h("thead", {}, h("tr", {}, ["Endpoint", "Result", "Delivery"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows))) : "");
  })();
  return { el, loaded };
}
