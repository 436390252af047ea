// Vision (admins only): usage gauge, on/off, fallback strategy, monthly limit, the
// per-account allowances, the accounts that used the most this month (flag, unflag, reset
// their day), reset, the deferred re-check backlog, the audit log and the notifications.
import { h, fill, field, table } from "../dom.js";
import { call } from "../api.js";
import { change } from "./change.js";
import { t, fmtNumber, fmtUsd, fmtPercent, fmtDate } from "../i18n.js";
import { stockNotice } from "../inventory-model.js";

export const STRATEGIES = ["deny", "allow", "warn", "local"];
export const EXEMPTABLE_ROLES = ["staff", "moderator", "admin"];
// The pool of images outside any user's folder, as the functions name it.
export const UNATTRIBUTED = "~unattributed";

// The allowance's whole-number settings: [field, label key, hint key, least value, most].
const ALLOWANCE_NUMBERS = [
  ["daily", "vision.allowance.daily", "vision.allowance.daily.help", 0, 1_000_000],
  ["monthly", "vision.allowance.monthly", "vision.allowance.monthly.help", 0, 1_000_000],
  ["new_account_daily", "vision.allowance.newAccountDaily",
    "vision.allowance.newAccountDaily.help", 0, 1_000_000],
  ["unattributed_daily", "vision.allowance.unattributedDaily",
    "vision.allowance.unattributedDaily.help", 0, 1_000_000],
  ["flag_after_rejections", "vision.allowance.flagAfter", "vision.allowance.flagAfter.help",
    1, 1000],
];

// Who an account is, for people: its email, else its uid; the unattributed pool by name.
export function accountName(account) {
  if (!account) return "–";
  if (account.unattributed || account.uid === UNATTRIBUTED || account.account === UNATTRIBUTED) {
    return t("vision.accounts.unattributed");
  }
  return account.email || account.uid || account.account || "–";
}

function describeValue(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return value ? t("common.on") : t("common.off");
  if (typeof value === "number") return fmtNumber(value);
  if (Array.isArray(value)) return value.length ? value.map(describeValue).join(", ") : "–";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// "monthlyLimit: 1000 → 2000" for each field that changed.
export function describeChange(before, after) {
  const b = before && typeof before === "object" ? before : {};
  const a = after && typeof after === "object" ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const changed = keys.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
  return (changed.length ? changed : keys)
    .map((k) => `${k}: ${describeValue(b[k])} → ${describeValue(a[k])}`).join("; ") || "–";
}

// The account an audit record's action was about (the account actions name a target).
function auditTarget(a) {
  const target = a?.target;
  if (!target || typeof target !== "object" || !("uid" in target || "account" in target)) {
    return null;
  }
  return accountName(target);
}

function actionName(action) {
  const key = `audit.action.${action}`;
  const text = t(key);
  return text === key ? action : text;
}

export function notificationText(n) {
  if (n.kind === "vision_quota") {
    return t("notice.quota", { level: fmtNumber(n.level), month: n.monthKey ?? "",
                               usage: fmtNumber(n.usage), limit: fmtNumber(n.limit) });
  }
  if (n.kind === "vision_budget") {
    const event = ["vision_switched_off", "vision_already_off", "forecast"].includes(n.event)
      ? n.event : "other";
    const money = (v) => (typeof v === "number" && n.currencyCode
      ? fmtNumberCurrency(v, n.currencyCode) : describeValue(v));
    return t(`notice.budget.${event}`, { name: n.budgetName || n.budgetId || "",
                                         cost: money(n.costAmount), budget: money(n.budgetAmount) });
  }
  if (n.kind === "vision_account_flagged") {
    const count = fmtNumber(n.rejections);
    if (!n.uid && (!n.account || n.account === UNATTRIBUTED)) {
      return t("notice.unattributedFlagged", { count });
    }
    return t("notice.accountFlagged", { who: n.uid || n.account, count });
  }
  if (n.kind === "review_appeal") return t("notice.reviewAppeal");
  if (n.kind === "review_sla") {
    return t("notice.reviewSla", { waiting: fmtNumber(n.waiting),
                                   hours: fmtNumber(n.oldestWaitingHours),
                                   sla: fmtNumber(n.slaHours) });
  }
  const stock = stockNotice(n);
  if (stock) {
    const numbers = ["available", "min", "count"];
    return t(stock.key, Object.fromEntries(Object.entries(stock.params).map(([name, value]) =>
      [name, numbers.includes(name) ? fmtNumber(value) : value])));
  }
  return [n.kind, n.event, n.level].filter(Boolean).join(" · ");
}

function fmtNumberCurrency(value, currency) {
  try { return fmtNumber(value, { style: "currency", currency }); } catch { return fmtNumber(value); }
}

export function render(ctx) {
  const statusLine = () => h("p", { role: "status", class: "status", "aria-live": "polite" });
  const settingsStatus = statusLine();
  const resetStatus = statusLine();
  const backlogStatus = statusLine();
  const allowanceStatus = statusLine();
  allowanceStatus.setAttribute("data-testid", "allowance-status");
  const accountsStatus = statusLine();
  accountsStatus.setAttribute("data-testid", "accounts-status");

  // Usage gauge.
  const meter = h("meter", { id: "vision-meter", min: 0, max: 1, value: 0 });
  const usedText = h("p", { class: "big" });
  const gaugeFacts = h("dl", { class: "facts" });
  const gauge = h("div", { class: "gauge", "data-testid": "vision-gauge" },
    h("label", { for: "vision-meter", text: t("vision.used") }), meter, usedText, gaugeFacts);

  // Enable switch.
  const enabled = h("input", { type: "checkbox", role: "switch", id: "vision-enabled",
                               "data-testid": "vision-enabled",
                               onchange: onToggle });

  // Strategy.
  const radios = {};
  const strategyFieldset = h("fieldset", { "data-testid": "vision-strategy" },
    h("legend", { text: t("vision.strategy") }),
    STRATEGIES.map((s) => {
      const hintId = `strategy-${s}-hint`;
      radios[s] = h("input", { type: "radio", name: "strategy", value: s, id: `strategy-${s}`,
                               "aria-describedby": hintId });
      return h("div", { class: "radio" }, radios[s],
        h("label", { for: `strategy-${s}`, text: t(`strategy.${s}`) }),
        h("p", { class: "hint", id: hintId, text: t(`strategy.${s}.help`) }));
    }));
  const strategySave = h("button", { type: "submit", text: t("vision.strategy.save"),
                                     "data-testid": "vision-strategy-save" });

  // Limit.
  const limitInput = h("input", { type: "number", min: 0, max: 10_000_000, step: 1,
                                  inputmode: "numeric", required: true,
                                  "data-testid": "vision-limit" });
  const limitSave = h("button", { type: "submit", text: t("vision.limit.save"),
                                  "data-testid": "vision-limit-save" });

  // Reset, after typing the confirmation word.
  const word = t("vision.reset.word");
  const resetInput = h("input", { type: "text", autocomplete: "off", autocapitalize: "characters",
                                  spellcheck: false, "data-testid": "vision-reset-confirm" });
  const resetButton = h("button", { type: "submit", class: "danger", disabled: true,
                                    text: t("vision.reset.button"), "data-testid": "vision-reset" });
  resetInput.addEventListener("input", () => {
    resetButton.disabled = resetInput.value.trim() !== word;
  });

  // Per-account allowances: one form, saved in one call.
  const allowanceInputs = {};
  const allowanceFields = ALLOWANCE_NUMBERS.map(([name, label, hint, min, max]) => {
    allowanceInputs[name] = h("input", { type: "number", min, max, step: 1,
                                         inputmode: "numeric", required: true,
                                         "data-testid": `allowance-${name.replaceAll("_", "-")}` });
    return field(t(label), allowanceInputs[name], t(hint));
  });
  const exemptHintId = "allowance-exempt-hint";
  const exemptBoxes = {};
  const exemptFieldset = h("fieldset", { "data-testid": "allowance-exempt-roles",
                                         "aria-describedby": exemptHintId },
    h("legend", { text: t("vision.allowance.exempt") }),
    h("p", { class: "hint", id: exemptHintId, text: t("vision.allowance.exempt.help") }),
    EXEMPTABLE_ROLES.map((role) => {
      exemptBoxes[role] = h("input", { type: "checkbox", id: `allowance-exempt-${role}`,
                                       value: role, "data-testid": `allowance-exempt-${role}` });
      return h("div", { class: "check" }, exemptBoxes[role],
        h("label", { for: `allowance-exempt-${role}`, text: t(`role.${role}`) }));
    }));
  const skipVision = h("input", { type: "checkbox", id: "allowance-skip-vision",
                                  "aria-describedby": "allowance-skip-vision-hint",
                                  "data-testid": "allowance-skip-vision" });
  const skipVisionRow = h("div", { class: "check-field" },
    h("div", { class: "check" }, skipVision,
      h("label", { for: "allowance-skip-vision", text: t("vision.allowance.skipVision") })),
    h("p", { class: "hint", id: "allowance-skip-vision-hint",
             text: t("vision.allowance.skipVision.help") }));
  const allowanceSave = h("button", { type: "submit", text: t("vision.allowance.save"),
                                      "data-testid": "allowance-save" });
  const allowanceControls = () => [...Object.values(allowanceInputs),
    ...Object.values(exemptBoxes), skipVision, allowanceSave];
  // Edits not saved yet are kept when the status is shown again (after another change).
  let allowanceEdited = false;
  let allowanceKnown = false;
  const onAllowanceEdit = () => { allowanceEdited = true; };

  // The accounts that used the most this month.
  const accountsHolder = h("div", { "aria-busy": "true" },
    h("p", { text: t("common.loading") }));

  // Backlog.
  const backlog = h("dl", { class: "facts", "data-testid": "vision-backlog" });
  const drainButton = h("button", { type: "button", text: t("vision.backlog.drain"),
                                    "data-testid": "vision-drain", onclick: onDrain });

  // Activity.
  const auditHolder = h("div");
  const noticesHolder = h("div");

  // The settings can be changed only once the current ones are shown.
  const settingControls = () => [enabled, strategySave, limitInput, limitSave,
    ...Object.values(radios)];
  function setSettingsReady(ready) {
    for (const control of settingControls()) control.disabled = !ready;
    for (const control of allowanceControls()) control.disabled = !(ready && allowanceKnown);
  }

  function showStatus(s) {
    allowanceKnown = Boolean(s?.allowance && typeof s.allowance === "object");
    setSettingsReady(true);
    const limit = Number(s.limit) || 0;
    const used = Number(s.used) || 0;
    meter.max = Math.max(limit, 1);
    meter.value = Math.min(used, meter.max);
    meter.low = meter.max * 0.8;
    meter.high = meter.max * 0.95;
    meter.optimum = 0;
    usedText.textContent = t("vision.usedOf", { used: fmtNumber(used), limit: fmtNumber(limit),
      percent: limit ? fmtPercent(used / limit) : "–" });
    const facts = [
      ["vision.month", s.monthKey ?? "–"],
      ["vision.remaining", fmtNumber(s.remaining)],
      ["vision.projected", fmtNumber(s.projectedMonthEndUsage)],
      ["vision.costSoFar", fmtUsd(s.costSoFarUsd)],
      ["vision.projectedCost", fmtUsd(s.projectedCostUsd)],
      ["vision.updated", s.updatedAt
        ? t("vision.updatedBy", { at: fmtDate(s.updatedAt), by: s.updatedBy ?? "–" }) : "–"],
    ];
    fill(gaugeFacts, facts.map(([key, value]) =>
      h("div", {}, h("dt", { text: t(key) }), h("dd", { text: value }))));
    enabled.checked = Boolean(s.enabled);
    if (radios[s.strategy]) radios[s.strategy].checked = true;
    if (document.activeElement !== limitInput) limitInput.value = String(limit);
    showBacklog(s.recheckBacklog);
    if (allowanceKnown && !allowanceEdited) showAllowance(s.allowance);
    showAccounts(Array.isArray(s.topAccounts) ? s.topAccounts : []);
  }

  // The shown settings, to send only what the admin changed: an unattributed allowance left
  // as shown keeps following the daily one (daily x 5) instead of becoming a fixed number.
  let shownAllowance = {};

  function showAllowance(a) {
    shownAllowance = a;
    for (const [name] of ALLOWANCE_NUMBERS) {
      const value = a[name];
      allowanceInputs[name].value = Number.isInteger(value) ? String(value) : "";
    }
    const exempt = Array.isArray(a.exempt_roles) ? a.exempt_roles : [];
    for (const role of EXEMPTABLE_ROLES) exemptBoxes[role].checked = exempt.includes(role);
    skipVision.checked = Boolean(a.flagged_skip_vision);
  }

  function showAccounts(accounts) {
    accountsHolder.setAttribute("aria-busy", "false");
    if (!accounts.length) {
      fill(accountsHolder, h("p", { "data-testid": "accounts-table",
                                    text: t("vision.accounts.none") }));
      return;
    }
    const rows = accounts.map((account) => {
      const who = accountName(account);
      const flagged = Boolean(account.flagged);
      const toggle = flagged ? "unflag" : "flag";
      return h("tr", { "data-uid": account.uid, "data-flagged": String(flagged) },
        h("th", { scope: "row", text: who }),
        h("td", { class: "num", text: fmtNumber(account.unitsToday ?? 0) }),
        h("td", { class: "num", text: fmtNumber(account.unitsThisMonth ?? 0) }),
        h("td", { class: "num", text: fmtNumber(account.rejections ?? 0) }),
        h("td", { "data-testid": "account-flagged" },
          flagged ? h("span", { class: "badge flagged", text: t("vision.accounts.yes") })
            : t("vision.accounts.no")),
        h("td", { class: "actions" },
          h("button", { type: "button", class: "small", "data-action": toggle,
                        "data-testid": `account-${toggle}`,
                        "aria-label": t(flagged ? "vision.accounts.unflag.name"
                          : "vision.accounts.flag.name", { who }),
                        text: t(flagged ? "vision.accounts.unflag" : "vision.accounts.flag"),
                        onclick: (e) => onAccount(e.currentTarget, account, toggle) }),
          h("button", { type: "button", class: "small", "data-action": "reset_day",
                        "data-testid": "account-reset-day",
                        "aria-label": t("vision.accounts.resetDay.name", { who }),
                        text: t("vision.accounts.resetDay"),
                        onclick: (e) => onAccount(e.currentTarget, account, "reset_day") })));
    });
    fill(accountsHolder, table(t("vision.accounts.caption"), [t("vision.accounts.who"),
      t("vision.accounts.today"), t("vision.accounts.month"), t("vision.accounts.rejections"),
      t("vision.accounts.flagged"), t("vision.accounts.actions")], rows,
    { "data-testid": "accounts-table" }));
  }

  function showBacklog(b) {
    if (!b) {
      fill(backlog, h("div", {}, h("dt", { text: t("vision.backlog.none") }), h("dd", { text: "–" })));
      return;
    }
    fill(backlog, [
      ["vision.backlog.waiting", fmtNumber(b.waiting)],
      ["vision.backlog.queued", fmtNumber(b.queued)],
      ["vision.backlog.inProgress", fmtNumber(b.inProgress)],
      ["vision.backlog.oldest", fmtDate(b.oldestQueuedAt)],
    ].map(([key, value]) => h("div", {}, h("dt", { text: t(key) }), h("dd", { text: value }))));
  }

  async function loadStatus() {
    try {
      showStatus(await call("get_vision_api_quota_status"));
    } catch (err) {
      ctx.showError(err);
    }
  }

  async function loadActivity() {
    try {
      const reply = await call("list_admin_activity", { limit: 30 });
      const actions = reply?.actions || [];
      fill(auditHolder, actions.length
        ? table(t("audit.caption"), [t("audit.at"), t("audit.who"), t("audit.action"),
          t("audit.change")], actions.map((a) => h("tr", {},
          h("td", { text: fmtDate(a.at) }),
          h("td", { text: a.actor === "system" ? t("audit.system")
            : (a.adminEmail || a.adminUid || "–") }),
          h("td", { text: actionName(a.action) }),
          h("td", { class: "change", text: [auditTarget(a), describeChange(a.before, a.after)]
            .filter(Boolean).join(": ") }))),
          { "data-testid": "audit-table" })
        : h("p", { "data-testid": "audit-table", text: t("audit.none") }));
      const notices = reply?.notifications || [];
      fill(noticesHolder, h("ul", { class: "notices", "data-testid": "notifications-list" },
        notices.length
          ? notices.map((n) => h("li", { class: `notice-${n.kind}` },
            h("time", { dateTime: n.at ?? "", text: fmtDate(n.at) }), " ",
            h("span", { text: notificationText(n) })))
          : h("li", { text: t("notice.none") })));
    } catch (err) {
      ctx.showError(err);
    }
  }

  function act(button, name, data, done, status = settingsStatus) {
    return change(ctx, { name, data, button, status, done,
                         reload: () => Promise.all([loadStatus(), loadActivity()]) });
  }

  function queuedNote(reply) {
    return reply?.rechecksQueued ? ` ${t("vision.rechecksQueued",
      { count: fmtNumber(reply.rechecksQueued) })}` : "";
  }

  async function onToggle() {
    const wanted = enabled.checked;
    enabled.disabled = true;
    const ok = await act(null, "set_vision_api_enabled", { enabled: wanted },
      (r) => (wanted ? t("vision.enabled.on") : t("vision.enabled.off")) + queuedNote(r));
    if (!ok) enabled.checked = !wanted;
    enabled.disabled = false;
    enabled.focus();
  }

  function onStrategy(event) {
    event.preventDefault();
    const chosen = STRATEGIES.find((s) => radios[s].checked);
    if (!chosen) return;
    act(strategySave, "set_vision_api_fallback_strategy", { strategy: chosen },
      () => t("vision.strategy.saved", { strategy: t(`strategy.${chosen}`) }));
  }

  function onLimit(event) {
    event.preventDefault();
    const limit = Number(limitInput.value);
    if (!Number.isInteger(limit) || limit < 0) { limitInput.focus(); return; }
    act(limitSave, "set_vision_api_monthly_quota", { limit },
      (r) => t("vision.limit.saved", { limit: fmtNumber(limit) }) + queuedNote(r));
  }

  async function onReset(event) {
    event.preventDefault();
    if (resetInput.value.trim() !== word) return;
    const ok = await act(resetButton, "reset_vision_api_quota", {},
      (r) => t("vision.reset.done", { previous: fmtNumber(r?.previousUsage ?? 0) }) + queuedNote(r),
      resetStatus);
    if (ok) resetInput.value = "";
    resetButton.disabled = resetInput.value.trim() !== word;
  }

  async function onAllowance(event) {
    event.preventDefault();
    const data = {};
    for (const [name, , , min, max] of ALLOWANCE_NUMBERS) {
      const input = allowanceInputs[name];
      const value = Number(input.value);
      if (input.value.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
        input.focus();
        return;
      }
      if (name !== "unattributed_daily" || value !== shownAllowance[name]) data[name] = value;
    }
    data.exempt_roles = EXEMPTABLE_ROLES.filter((role) => exemptBoxes[role].checked);
    data.flagged_skip_vision = skipVision.checked;
    // Saved: the stored settings are shown again; refused: the edits stay as typed.
    allowanceEdited = false;
    const ok = await act(allowanceSave, "set_vision_api_account_allowance", data,
      (r) => t("vision.allowance.saved") + queuedNote(r), allowanceStatus);
    if (!ok) allowanceEdited = true;
  }

  const ACCOUNT_DONE = { flag: "vision.accounts.flagged.done",
                         unflag: "vision.accounts.unflagged.done",
                         reset_day: "vision.accounts.dayReset.done" };

  async function onAccount(button, account, action) {
    const who = accountName(account);
    const ok = await act(button, "manage_vision_account", { uid: account.uid, action },
      (r) => t(ACCOUNT_DONE[action], { who,
        before: fmtNumber(r?.before?.unitsToday ?? account.unitsToday ?? 0) }) + queuedNote(r),
      accountsStatus);
    // The table was drawn anew: the focus goes back to the same account's button.
    const row = [...accountsHolder.querySelectorAll("tbody tr")]
      .find((tr) => tr.dataset.uid === account.uid);
    const again = row?.querySelector(action === "reset_day" ? "[data-action=reset_day]"
      : "[data-action=flag], [data-action=unflag]");
    if (ok && again) again.focus();
  }

  function onDrain() {
    act(drainButton, "drain_moderation_rechecks", {},
      (r) => t("vision.backlog.drained", { count: fmtNumber(r?.queued ?? 0) }), backlogStatus);
  }

  const node = h("div", { class: "page" },
    h("h1", { tabindex: "-1", text: t("vision.title") }),
    h("div", { class: "toolbar" },
      h("button", { type: "button", text: t("common.refresh"), "data-testid": "vision-refresh",
                    onclick: () => { ctx.clearError(); loadStatus(); loadActivity(); } })),
    h("section", { "aria-labelledby": "h-usage" },
      h("h2", { id: "h-usage", text: t("vision.usage") }), gauge),
    h("section", { "aria-labelledby": "h-settings" },
      h("h2", { id: "h-settings", text: t("vision.settings") }),
      h("div", { class: "switch-row" }, enabled,
        h("label", { for: "vision-enabled", text: t("vision.enabled") })),
      h("p", { class: "hint", text: t("vision.enabled.help") }),
      h("form", { onsubmit: onStrategy }, strategyFieldset, strategySave),
      h("form", { onsubmit: onLimit, class: "inline-form" },
        field(t("vision.limit"), limitInput, t("vision.limit.help")), limitSave),
      settingsStatus),
    h("section", { "aria-labelledby": "h-allowance" },
      h("h2", { id: "h-allowance", text: t("vision.allowance") }),
      h("p", { class: "hint", text: t("vision.allowance.help") }),
      h("form", { onsubmit: onAllowance, "data-testid": "allowance-form",
                  oninput: onAllowanceEdit, onchange: onAllowanceEdit },
        h("div", { class: "allowance-grid" }, allowanceFields),
        exemptFieldset, skipVisionRow, allowanceSave),
      allowanceStatus),
    h("section", { "aria-labelledby": "h-accounts" },
      h("h2", { id: "h-accounts", text: t("vision.accounts") }),
      h("p", { class: "hint", text: t("vision.accounts.help") }),
      accountsHolder, accountsStatus),
    h("section", { "aria-labelledby": "h-reset" },
      h("h2", { id: "h-reset", text: t("vision.reset") }),
      h("form", { onsubmit: onReset, class: "inline-form" },
        field(t("vision.reset.type", { word }), resetInput, t("vision.reset.help")), resetButton),
      resetStatus),
    h("section", { "aria-labelledby": "h-backlog" },
      h("h2", { id: "h-backlog", text: t("vision.backlog") }),
      h("p", { class: "hint", text: t("vision.backlog.help") }), backlog, drainButton,
      backlogStatus),
    h("section", { "aria-labelledby": "h-audit" },
      h("h2", { id: "h-audit", text: t("audit.title") }), auditHolder),
    h("section", { "aria-labelledby": "h-notices" },
      h("h2", { id: "h-notices", text: t("notice.title") }), noticesHolder));

  setSettingsReady(false);
  loadStatus();
  loadActivity();
  return { node, dispose() {} };
}
