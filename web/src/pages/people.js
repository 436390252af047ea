// People (admins only): who holds the staff, moderator and admin roles; grant a role by
// email, revoke one. The functions audit every change and refuse to remove the last admin; a
// role reaches its holder with their next ID token (the "no role yet" page has a button for
// that).
import { h, fill, field, sr, table } from "../dom.js";
import { call } from "../api.js";
import { change } from "./change.js";
import { t } from "../i18n.js";

export const ROLES = ["staff", "moderator", "admin"];

export function render(ctx) {
  const status = h("p", { role: "status", class: "status", "aria-live": "polite",
                          "data-testid": "people-status" });

  const emailInput = h("input", { type: "email", autocomplete: "off", required: true,
                                  spellcheck: false, "data-testid": "people-email" });
  const roleSelect = h("select", { "data-testid": "people-role" },
    ROLES.map((role) => h("option", { value: role, text: t(`role.${role}`) })));
  const grantButton = h("button", { type: "submit", class: "primary",
                                    "data-testid": "people-grant", text: t("people.grant") });

  // The reply ends with the function's own words on when the role takes effect.
  const update = (name, data, done, button) => change(ctx, { name, data, button, status,
    done: (reply) => [done(reply), reply?.tokenRefresh].filter(Boolean).join(" "),
    reload: load });

  async function onGrant(event) {
    event.preventDefault();
    const email = emailInput.value.trim();
    if (!email) { emailInput.focus(); return; }
    const role = roleSelect.value;
    const ok = await update("grant_role", { email, role },
      (reply) => t(reply?.changed ? "people.granted" : "people.alreadyHad",
        { email: reply?.email || email, role: t(`role.${role}`) }), grantButton);
    if (ok) emailInput.value = "";
  }

  const listHolder = h("div", { "aria-busy": "true" }, h("p", { text: t("common.loading") }));

  async function load() {
    listHolder.setAttribute("aria-busy", "true");
    try {
      const reply = await call("list_role_holders", {});
      show(reply?.users || []);
    } catch (err) {
      ctx.showError(err);
    } finally {
      listHolder.setAttribute("aria-busy", "false");
    }
  }

  function show(users) {
    if (!users.length) {
      fill(listHolder, h("p", { text: t("people.none") }));
      return;
    }
    const rows = users.map((user) => {
      const who = user.email || user.uid;
      return h("tr", { "data-uid": user.uid },
        h("th", { scope: "row", text: who }),
        h("td", {}, (user.roles || []).map((role) => h("span", { class: "badge",
          text: t(`role.${role}`) })), user.disabled ? ` ${t("people.disabled")}` : null),
        h("td", { "data-testid": "people-verified",
                  text: user.emailVerified ? t("people.verified.yes") : t("people.verified.no") }),
        h("td", { class: "actions" }, (user.roles || []).filter((r) => ROLES.includes(r))
          .map((role) => h("button", { type: "button", "data-testid": "people-revoke",
            "data-role": role,
            onclick: (e) => update("revoke_role", { uid: user.uid, role },
              () => t("people.revoked", { email: who, role: t(`role.${role}`) }),
              e.currentTarget) },
          t("people.revoke", { role: t(`role.${role}`) }), sr(` ${who}`)))));
    });
    fill(listHolder, table(t("people.caption"), [t("people.who"), t("people.roles"),
      t("people.verified"), t("people.actions")], rows, { "data-testid": "people-table" }));
  }

  const node = h("div", { class: "page" },
    h("h1", { tabindex: "-1", text: t("people.title") }),
    h("section", { "aria-labelledby": "h-grant" },
      h("h2", { id: "h-grant", text: t("people.grantTitle") }),
      h("p", { class: "hint", text: t("people.grantHint") }),
      h("form", { onsubmit: onGrant, class: "inline-form" },
        field(t("people.email"), emailInput), field(t("people.role"), roleSelect), grantButton),
      status),
    h("section", { "aria-labelledby": "h-holders" },
      h("h2", { id: "h-holders", text: t("people.holders") }),
      listHolder));

  load();
  return { node };
}
