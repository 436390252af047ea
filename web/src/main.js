// The console's entry point: the page shell (header, navigation, language, account, the
// error alert), the hash router (#/labels, #/counting, #/review, #/vision, #/people) and who
// is signed in.
import { h, fill } from "./dom.js";
import { loadConfig, initFirebase, onUserChanged, whoAmI, signOut, call } from "./api.js";
import { t, lang, setLanguage, LANGUAGES } from "./i18n.js";
import { ScanQueue } from "./scans.js";
import * as labels from "./pages/labels.js";
import * as counting from "./pages/counting.js";
import * as vision from "./pages/vision.js";
import * as people from "./pages/people.js";
import * as review from "./pages/review.js";
import * as signin from "./pages/signin.js";
import { mayOpen, hasRole, homeRoute, roleKeys } from "./access.js";
import { noRole, adminsOnly, moderatorsOnly, staffOnly, notFound, configError, loading }
  from "./pages/messages.js";

// route -> [page module's render, title key, who may see it (web/src/access.js)]
const ROUTES = {
  labels: [labels.render, "nav.labels", "staff"],
  counting: [counting.render, "nav.counting", "staff"],
  review: [review.render, "nav.review", "moderator"],
  vision: [vision.render, "nav.vision", "admin"],
  people: [people.render, "nav.people", "admin"],
};
// Who may not open a route sees why: [page, title key] by the route's level.
const REFUSED = {
  staff: [staffOnly, "staffonly.title"],
  moderator: [moderatorsOnly, "moderatorsonly.title"],
  admin: [adminsOnly, "adminsonly.title"],
};

const app = {
  phase: "loading",       // loading | config-error | signed-out | signed-in
  configError: "",
  who: null,              // {uid, email, staff, moderator, admin}
  page: null,             // the rendered page: {node, dispose?, focus?}
  user: null,             // the Firebase user
};

let scanQueue = null;
let menuOpen = false;       // the header's menu, at phone widths
const alertBox = h("div", { class: "alert", role: "alert", "data-testid": "error-alert" });
const alertClose = h("button", { type: "button", class: "small alert-close", hidden: true,
                                 text: t("common.dismiss"), onclick: () => clearError() });

function showError(err) {
  const message = err?.message || t("error.generic", { code: err?.code || "?" });
  alertBox.textContent = message;
  alertBox.classList.add("shown");
  alertClose.hidden = false;
  alertClose.textContent = t("common.dismiss");
}

function clearError() {
  alertBox.textContent = "";
  alertBox.classList.remove("shown");
  alertClose.hidden = true;
}

function route() {
  const match = /^#\/([a-z]+)/.exec(window.location.hash);
  return match ? match[1] : homeRoute(app.who);
}

const ctx = {
  showError,
  clearError,
  get who() { return app.who; },
  get home() { return homeRoute(app.who); },
  get scanQueue() { return scanQueue; },
  async recheckRole() {
    await refreshWho(true);
    return app.who;
  },
};

function header() {
  const langSelect = h("select", { id: "lang-select", "data-testid": "lang-select",
                                   onchange: (e) => changeLanguage(e.target.value) },
    LANGUAGES.map((code) => h("option", { value: code, lang: code, text: t(`lang.${code}`),
                                          selected: code === lang() })));
  const current = route();
  const links = [];
  if (app.phase === "signed-in" && hasRole(app.who)) {
    const visible = Object.keys(ROUTES).filter((name) => mayOpen(ROUTES[name][2], app.who));
    for (const name of visible) {
      links.push(h("li", {}, h("a", { href: `#/${name}`, "data-testid": `nav-${name}`,
        "aria-current": name === current ? "page" : null, text: t(ROUTES[name][1]) })));
    }
  }
  const account = app.phase === "signed-in"
    ? h("div", { class: "account" },
      h("span", { class: "who", "data-testid": "whoami" },
        h("span", { class: "email", text: app.who.email }), " ",
        h("span", { class: "badge", "data-testid": "role",
                    text: roleKeys(app.who).map((key) => t(key)).join(", ") })),
      h("button", { type: "button", "data-testid": "signout", text: t("signout"),
                    onclick: onSignOut }))
    : null;
  // At phone widths the links, the account and the language fold into a menu (app.css),
  // so that a count's scan field and counts are at the top of the screen.
  // Open or folded survives the header being drawn again (a role arriving); a new page
  // folds it.
  const menuButton = h("button", { type: "button", class: "menu-toggle",
    "aria-expanded": String(menuOpen), "aria-controls": "site-menu",
    "data-testid": "menu-toggle", text: t("menu.label"),
    onclick: (e) => {
      menuOpen = !menuOpen;
      e.currentTarget.setAttribute("aria-expanded", String(menuOpen));
      e.currentTarget.closest(".site-header").classList.toggle("menu-open", menuOpen);
    } });
  return h("header", { class: menuOpen ? "site-header menu-open" : "site-header" },
    h("a", { class: "skip-link", href: "#main",
             onclick: (e) => { e.preventDefault(); document.getElementById("main")?.focus(); },
             text: t("skip") }),
    h("div", { class: "bar" },
      h("p", { class: "app-name", text: t("app.name") }),
      menuButton,
      h("div", { class: "menu", id: "site-menu" },
        links.length ? h("nav", { "aria-label": t("nav.label") }, h("ul", {}, links)) : null,
        account,
        h("div", { class: "lang" }, h("label", { for: "lang-select", text: t("lang.label") }),
          langSelect))));
}

function pageFor(name) {
  if (app.phase === "loading") return [loading, "app.name"];
  if (app.phase === "config-error") return [() => configError(app.configError), "config.title"];
  if (app.phase === "signed-out") return [signin.render, "signin.title"];
  if (!hasRole(app.who)) return [noRole, "norole.title"];
  const entry = ROUTES[name];
  if (!entry) return [notFound, "notfound.title"];
  if (!mayOpen(entry[2], app.who)) return REFUSED[entry[2]];
  return [entry[0], entry[1]];
}

// Draw the whole page again. `focus`: "heading" after a navigation, "lang" after a
// language change, "page" to let the page choose (the scan field), null to leave it.
function render(focus = null) {
  app.page?.dispose?.();
  const [renderPage, titleKey] = pageFor(route());
  app.page = renderPage(ctx);
  document.title = `${t(titleKey)} · ${t("app.name")}`;
  const main = h("main", { id: "main", tabindex: "-1" },
    h("div", { class: "alert-row" }, alertBox, alertClose), app.page.node);
  fill(document.getElementById("app"), header(), main);
  if (focus === "lang") {
    document.getElementById("lang-select")?.focus();
  } else if (focus === "heading" || focus === "page") {
    if (app.page.focus) app.page.focus();
    else if (focus === "heading") app.page.node.querySelector("h1")?.focus();
  }
}

function changeLanguage(value) {
  setLanguage(value);
  clearError();
  render("lang");
}

async function onSignOut() {
  clearError();
  try {
    await signOut();
  } catch (err) {
    showError(err);
  }
}

async function refreshWho(force) {
  if (!app.user) return;
  try {
    app.who = await whoAmI(app.user, force);
  } catch (err) {
    showError(err);
  }
  render("page");
}

async function start() {
  setLanguage(lang());
  render();
  let config;
  try {
    config = await loadConfig();
    initFirebase(config);
  } catch (err) {
    app.phase = "config-error";
    app.configError = String(err?.message || err);
    render();
    return;
  }
  scanQueue = new ScanQueue({
    storage: window.localStorage,
    send: (sessionId, scans) => call("record_scans", { session_id: sessionId, scans }),
    undo: (sessionId, clientScanId) => call("undo_scan",
      { session_id: sessionId, client_scan_id: clientScanId }),
  });
  window.addEventListener("online", () => scanQueue.flush());
  window.addEventListener("hashchange", () => {
    if (window.location.hash.startsWith("#/")) {
      menuOpen = false;
      clearError();
      render("heading");
    }
  });
  onUserChanged(async (user) => {
    app.user = user;
    scanQueue.setOwner(user?.uid ?? null);  // a person's waiting scans go out as theirs only
    if (!user) {
      app.who = null;
      app.phase = "signed-out";
      render("heading");
      return;
    }
    try {
      app.who = await whoAmI(user);
    } catch (err) {
      app.who = { uid: user.uid, email: user.email || user.uid, staff: false,
                  moderator: false, admin: false };
      showError(err);
    }
    app.phase = "signed-in";
    render("heading");
    scanQueue.flush(); // scans left from before a reload go out now
  });
}

// Kept for offline starts (sw.js). A console that cannot register one still works online.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js").catch(() => {});
}

start();
