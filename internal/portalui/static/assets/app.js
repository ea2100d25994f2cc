// Boot and hash router of the Hookline tenant portal. The session cookie
// was set by /portal/login; /portal/api/session tells whose portal this is
// and hands out the CSRF token for writes.

import * as api from "./api.js";
import { h, replace, time, fmtTime, announce } from "./dom.js";
import { listPage, formPage, detailPage } from "./endpoints.js";
import { logPage, deliveryPage } from "./deliveries.js";

const routes = [
  [/^\/endpoints$/, listPage],
  [/^\/endpoints\/new$/, formPage],
  [/^\/endpoints\/(?<id>[^/]+)$/, detailPage],
  [/^\/endpoints\/(?<id>[^/]+)\/edit$/, formPage],
  [/^\/endpoints\/(?<id>[^/]+)\/deliveries$/, logPage],
  [/^\/endpoints\/(?<id>[^/]+)\/deliveries\/(?<did>[^/]+)$/, deliveryPage],
];

const main = document.getElementById("main");
let expired = false;
let firstRender = true;

// endSession replaces the portal with a notice; nothing works without a
// new link from here on.
function endSession(id, title, text) {
  if (expired) return;
  expired = true;
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("session-info").textContent = "";
  document.title = title + " · Hookline";
  const heading = h("h1", { tabindex: "-1" }, title);
  replace(main, h("section", { class: "panel", id, "data-testid": id, role: "alert" }, heading, h("p", {}, text)));
  heading.focus();
}

function showExpired() {
  endSession("session-expired", "Session expired", "Your session has expired or this link was already used. Ask for a new link.");
}

async function signOut() {
  try {
    await api.logout();
  } catch (e) {
    // A 401 means it was over already (showExpired ran).
    if (e.status !== 401) announce("Could not sign out: " + e.message);
    return;
  }
  endSession("signed-out", "Signed out", "You have signed out of the webhook portal. To come back, ask for a new link.");
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/endpoints";
  const [path, qs] = raw.split("?", 2);
  return { path: path.replace(/\/+$/, "") || "/endpoints", query: new URLSearchParams(qs || "") };
}

// renders counts page renders; main's data-renders and data-ready let a
// test (or a curious user) see that a page finished loading.
let renders = 0;

async function render() {
  if (expired) return;
  const mine = ++renders;
  main.dataset.renders = String(mine);
  main.dataset.ready = "false";
  const { path, query } = parseHash();
  let match = null;
  for (const [re, fn] of routes) {
    const m = re.exec(path);
    if (m) {
      const params = {};
      for (const [k, v] of Object.entries(m.groups || {})) params[k] = decodeURIComponent(v);
      match = { fn, params };
      break;
    }
  }
  const view = h("div", { class: "view" });
  replace(main, view);
  document.querySelectorAll("#nav a").forEach((a) => {
    if (path.startsWith("/endpoints")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  if (!match) {
    view.append(h("h1", { tabindex: "-1" }, "Page not found"), h("p", {}, h("a", { href: "#/endpoints" }, "Go to your endpoints")));
  } else {
    const pending = match.fn(view, match.params, query);
    if (!firstRender) {
      const title = view.querySelector("h1");
      if (title) title.focus({ preventScroll: false });
    }
    firstRender = false;
    try { await pending; } catch (e) { console.error(e); }
  }
  if (mine === renders) main.dataset.ready = "true";
}

async function boot() {
  api.whenExpired(showExpired);
  let s;
  try {
    s = await api.session();
  } catch (e) {
    if (e.status !== 401) {
      replace(main, h("section", { class: "panel", role: "alert", "data-testid": "boot-error" },
        h("h1", {}, "The portal could not start"), h("p", {}, e.message || String(e))));
    }
    return; // a 401 already showed the expired notice
  }
  document.getElementById("nav").hidden = false;
  const logoutBtn = document.getElementById("logout");
  logoutBtn.hidden = false;
  logoutBtn.addEventListener("click", signOut);
  const info = document.getElementById("session-info");
  replace(info, h("span", { "data-testid": "tenant-name" }, s.tenant_name || s.tenant_id),
    s.expires_at ? h("span", {}, " · session ends ", time(s.expires_at)) : "");
  if (s.expires_at) {
    info.title = "Session ends " + fmtTime(s.expires_at);
    const ms = new Date(s.expires_at).getTime() - Date.now();
    if (ms > 0 && ms < 2 ** 31) setTimeout(showExpired, ms + 1000);
  }
  window.addEventListener("hashchange", render);
  if (!location.hash) history.replaceState(null, "", "#/endpoints");
  await render();
}

boot();
