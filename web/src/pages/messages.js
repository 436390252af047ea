// Pages that only say something: no role yet, admins (staff, moderators) only, not found, no
// configuration.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { hasRole } from "../access.js";

export function noRole(ctx) {
  const status = h("p", { role: "status", class: "status", "aria-live": "polite" });
  const again = h("button", { type: "button", class: "primary", text: t("norole.check"),
                              "data-testid": "norole-check",
                              onclick: async () => {
                                again.disabled = true;
                                status.textContent = t("norole.checking");
                                const who = await ctx.recheckRole();
                                status.textContent = hasRole(who) ? "" : t("norole.still");
                                again.disabled = false;
                              } });
  const node = h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("norole.title") }),
    h("p", { text: t("norole.body", { email: ctx.who.email }) }),
    h("p", { text: t("norole.after") }),
    again, status);
  return { node };
}

// The way back to the page this account may open (the labels, or the review queue).
function back(ctx) {
  const home = ctx?.home || "labels";
  return h("p", {}, h("a", { href: `#/${home}`,
    text: t(home === "review" ? "review.back" : "adminsonly.back") }));
}

function onlyFor(prefix) {
  return (ctx) => ({ node: h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t(`${prefix}.title`) }),
    h("p", { text: t(`${prefix}.body`) }),
    back(ctx)) });
}

export const adminsOnly = onlyFor("adminsonly");
export const moderatorsOnly = onlyFor("moderatorsonly");
export const staffOnly = onlyFor("staffonly");

export function notFound(ctx) {
  return { node: h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("notfound.title") }),
    back(ctx)) };
}

export function configError(message) {
  return { node: h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("config.title") }),
    h("p", { text: t("config.body") }),
    h("pre", { text: message })) };
}

export function loading() {
  return { node: h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("app.name") }),
    h("p", { role: "status", text: t("common.loading") })) };
}
