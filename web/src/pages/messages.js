// Pages that only say something: no role yet, admins only, not found, no configuration.
import { h } from "../dom.js";
import { t } from "../i18n.js";

export function noRole(ctx) {
  const status = h("p", { role: "status", class: "status", "aria-live": "polite" });
  const again = h("button", { type: "button", class: "primary", text: t("norole.check"),
                              "data-testid": "norole-check",
                              onclick: async () => {
                                again.disabled = true;
                                status.textContent = t("norole.checking");
                                const who = await ctx.recheckRole();
                                status.textContent = who?.staff ? "" : t("norole.still");
                                again.disabled = false;
                              } });
  const node = h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("norole.title") }),
    h("p", { text: t("norole.body", { email: ctx.who.email }) }),
    h("p", { text: t("norole.after") }),
    again, status);
  return { node };
}

export function adminsOnly() {
  return { node: h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("adminsonly.title") }),
    h("p", { text: t("adminsonly.body") }),
    h("p", {}, h("a", { href: "#/labels", text: t("adminsonly.back") }))) };
}

export function notFound() {
  return { node: h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("notfound.title") }),
    h("p", {}, h("a", { href: "#/labels", text: t("adminsonly.back") }))) };
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
