// Page scaffolding and navigation shared by the pages: hash routes, the
// page frame (breadcrumbs, heading, message box) and one-shot messages
// carried from one page to the next (a new secret, "Endpoint deleted").

import { h, link } from "./dom.js";

// go navigates to a route such as "/endpoints/…".
export function go(route) {
  if (location.hash === "#" + route) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = route;
}

const flashes = new Map();
// flash keeps a value (in memory only) for the next page that takes it.
export function flash(key, value) { flashes.set(key, value); }
export function takeFlash(key) {
  const v = flashes.get(key);
  flashes.delete(key);
  return v;
}

// page lays out a page in view: breadcrumbs, an <h1> (focused after a
// navigation), a message box that screen readers announce, and a body.
export function page(view, title, crumbs, ...headActions) {
  document.title = title + " · Hookline";
  const heading = h("h1", { tabindex: "-1", id: "page-title", "data-testid": "page-title" }, title);
  const box = h("div", { class: "notice", id: "page-message", "data-testid": "page-message", "aria-live": "polite", tabindex: "-1" });
  const body = h("div", { id: "page-body" });
  view.append(
    crumbs && crumbs.length ? h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumb" },
      h("ol", {}, crumbs.map(([route, text]) => h("li", {}, link(route, text))), h("li", { "aria-current": "page" }, title))) : "",
    h("div", { class: "page-head" }, heading, headActions.length ? h("div", { class: "actions" }, headActions) : ""),
    box, body);
  return { heading, box, body };
}
