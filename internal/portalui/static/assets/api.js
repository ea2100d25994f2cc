// The portal's calls to its own server: /portal/api/… with the session
// cookie, and the CSRF token on every write. Errors are RFC 9457 problems.

const base = "/portal/api";
let csrfToken = "";
let onExpired = () => {};

export class APIError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || { title: `HTTP ${status}`, status };
  }
}

// whenExpired registers what to do when the server answers 401.
export function whenExpired(fn) { onExpired = fn; }

async function call(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json, application/problem+json" } };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(base + path, init);
  } catch (e) {
    throw new APIError(0, { title: "The server could not be reached", detail: String(e && e.message || e) });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = null; }
  }
  if (!res.ok) {
    const problem = data && typeof data === "object" ? data : { title: res.statusText || `HTTP ${res.status}`, detail: text.slice(0, 500) };
    const err = new APIError(res.status, problem);
    if (res.status === 401) onExpired(err);
    throw err;
  }
  return data;
}

// session loads the session and keeps its CSRF token for later writes.
export async function session() {
  const s = await call("GET", "/session");
  csrfToken = s.csrf_token || "";
  return s;
}

// logout ends the session (the server clears the cookie).
export const logout = () => call("DELETE", "/session");

const enc = encodeURIComponent;
const ep = (id) => "/webhooks/" + enc(id);

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

// listEndpoints follows next_cursor to the end: the page shows them all.
export async function listEndpoints() {
  const data = [];
  let cursor = "";
  do {
    const page = await call("GET", "/webhooks" + query({ limit: 100, cursor }));
    data.push(...((page && page.data) || []));
    cursor = (page && page.next_cursor) || "";
  } while (cursor);
  return { data };
}
export const getEndpoint = (id) => call("GET", ep(id));
export const createEndpoint = (body) => call("POST", "/webhooks", body);
export const updateEndpoint = (id, body) => call("PATCH", ep(id), body);
export const deleteEndpoint = (id) => call("DELETE", ep(id));
export const rotateSecret = (id) => call("POST", ep(id) + "/rotate-secret", {});
export const verifyEndpoint = (id) => call("POST", ep(id) + "/verify");
export const testEndpoint = (id, eventType) => call("POST", ep(id) + "/test", eventType ? { event_type: eventType } : {});
export const subscribableEventTypes = () => call("GET", "/webhooks/event-types");
export const eventCatalogue = () => call("GET", "/event-types");
export const listDeliveries = (id, params) => call("GET", ep(id) + "/deliveries" + query(params));
export const getDelivery = (id, did) => call("GET", ep(id) + "/deliveries/" + enc(did));
export const replayDelivery = (id, did) => call("POST", ep(id) + "/deliveries/" + enc(did) + "/replay");
export const recoverDeliveries = (id, since, until) => call("POST", ep(id) + "/recover", until ? { since, until } : { since });
export const testFilter = (filter, event) => call("POST", "/filters/test", { filter, event });
export const eventRouting = (eventID) => call("GET", "/events/" + enc(eventID) + "/routing");
export const endpointStats = (id, params) => call("GET", ep(id) + "/stats" + query(params));

// The catalogue changes rarely: load it once per page load.
let catalogue;
export function catalogueCached() {
  if (!catalogue) {
    catalogue = Promise.all([subscribableEventTypes(), eventCatalogue()])
      .then(([names, cat]) => ({ names: names || [], types: (cat && cat.data) || [] }))
      .catch((e) => { catalogue = undefined; throw e; });
  }
  return catalogue;
}

// Ordered delivery: an endpoint's blocked keys, and unblocking one.
export const listBlockedKeys = (id) => call("GET", ep(id) + "/ordering");
export const unblockKey = (id, key, action) => call("POST", ep(id) + "/ordering/unblock", { ordering_key: key, action });
