// Review (moderators and admins): the images the machine could not decide. The backlog,
// filters by cause and state, a grid of cards (a blurred preview, the cause, the machine's
// scores, the uploader, how long it has waited, an appeal, who is reviewing it), and
// decisions on the selected images: each is claimed first (a claim held by someone else is
// reported on its card), then decided with the revision listed, and every card says what
// happened to it. The keyboard: arrows move between cards, Space selects, A approves,
// R rejects, V shows the image unblurred after a confirmation (audited by the function).
import { h, fill, field, nextId, sr } from "../dom.js";
import { call, fetchFunction } from "../api.js";
import { t, fmtNumber, fmtPercent, fmtDate, fmtTime } from "../i18n.js";
import {
  CAUSES, STATES, MAX_CLAIM, MAX_DECISIONS, MAX_NOTE, ageParts, scoreEntries, isOpen,
  claimHolder, decisionTargets, chunks, moveIndex, shortcut, splitClaims, decisionsFor,
} from "../review-model.js";

const PAGE_SIZE = 30;
const PREVIEWS_AT_ONCE = 3;

export function age(seconds) {
  const { unit, count } = ageParts(seconds);
  return t(`review.age.${unit}`, { count: fmtNumber(count) });
}

// A machine's reason, translated when the console knows it (else as the function said it).
function reasonText(reason) {
  const key = `review.reason.${reason}`;
  const text = t(key);
  return text === key ? String(reason) : text;
}

export function render(ctx) {
  const me = ctx.who?.uid || null;
  const entries = new Map(); // key -> {item, node, checkbox, image, note, result, claim ...}
  let order = [];            // keys in the order listed
  const selected = new Set();
  let activeKey = null;      // the card that takes the focus (roving tabindex)
  let next = null;
  let busy = false;
  let disposed = false;
  let loads = 0;             // the list shown is the latest one asked for
  const previewQueue = [];
  let previewsRunning = 0;

  // -- the backlog ------------------------------------------------------------------------
  const backlogLine = h("p", { role: "status", class: "status backlog", "aria-live": "polite",
                               "data-testid": "review-backlog" });

  function showBacklog(s) {
    const by = s?.byCause || {};
    const oldest = s?.oldestWaitingHours;
    fill(backlogLine,
      h("span", { text: t("review.backlog.waiting", { count: fmtNumber(s?.waiting ?? 0),
        needs_review: fmtNumber(by.needs_review ?? 0),
        quarantined: fmtNumber(by.quarantined ?? 0), flagged: fmtNumber(by.flagged ?? 0) }) }),
      " ",
      h("span", { text: t("review.backlog.appeals", { count: fmtNumber(s?.appeals ?? 0) }) }),
      " ",
      h("span", { text: oldest === null || oldest === undefined ? t("review.backlog.noneWaiting")
        : t("review.backlog.oldest", { age: age(Number(oldest) * 3600) }) }),
      s?.overdue ? [" ", h("strong", { class: "overdue", "data-testid": "review-overdue",
        text: t("review.backlog.overdue", { hours: fmtNumber(s.slaHours) }) })] : null);
  }

  async function loadBacklog() {
    try {
      const status = await call("get_review_status", {});
      if (!disposed) showBacklog(status);
    } catch (err) {
      if (!disposed) ctx.showError(err);
    }
  }

  // -- filters ----------------------------------------------------------------------------
  const causeSelect = h("select", { "data-testid": "review-cause", onchange: () => reload() },
    h("option", { value: "", text: t("review.cause.all") }),
    CAUSES.map((cause) => h("option", { value: cause, text: t(`review.cause.${cause}`) })));
  const stateSelect = h("select", { "data-testid": "review-state", onchange: () => reload() },
    STATES.map((state) => h("option", { value: state, text: t(`review.state.${state}`) })));
  const refreshButton = h("button", { type: "button", text: t("common.refresh"),
                                      "data-testid": "review-refresh",
                                      onclick: () => { ctx.clearError(); reload(); } });

  // -- the selection and the decision ------------------------------------------------------
  const selectAll = h("input", { type: "checkbox", id: nextId("review-all"),
                                 "data-testid": "review-select-all", onchange: onSelectAll });
  const noteInput = h("textarea", { rows: 2, maxLength: MAX_NOTE, "data-testid": "review-note",
                                    spellcheck: true });
  const approveButton = h("button", { type: "button", class: "primary",
                                      "data-testid": "review-approve",
                                      onclick: () => decideSelection("approve") });
  const rejectButton = h("button", { type: "button", class: "danger",
                                     "data-testid": "review-reject",
                                     onclick: () => decideSelection("reject") });
  const actionStatus = h("p", { role: "status", class: "status", "aria-live": "polite",
                                "data-testid": "review-status" });

  function openKeys() {
    return order.filter((key) => isOpen(entries.get(key)?.item));
  }

  function updateSelection() {
    const open = openKeys();
    const chosen = open.filter((key) => selected.has(key)).length;
    approveButton.textContent = t("review.approve", { count: fmtNumber(chosen) });
    rejectButton.textContent = t("review.reject", { count: fmtNumber(chosen) });
    approveButton.disabled = busy || chosen === 0;
    rejectButton.disabled = busy || chosen === 0;
    selectAll.disabled = open.length === 0;
    selectAll.checked = open.length > 0 && chosen === open.length;
    selectAll.indeterminate = chosen > 0 && chosen < open.length;
  }

  function setSelected(key, on) {
    const entry = entries.get(key);
    if (!entry) return;
    const allowed = on && isOpen(entry.item);
    if (allowed) selected.add(key); else selected.delete(key);
    entry.checkbox.checked = allowed;
    entry.node.classList.toggle("selected", allowed);
  }

  function onSelectAll() {
    const on = selectAll.checked;
    for (const key of openKeys()) setSelected(key, on);
    updateSelection();
  }

  function decideSelection(decision) {
    decide(decision, decisionTargets(order, selected, null, itemsByKey()));
  }

  function itemsByKey() {
    return new Map([...entries].map(([key, entry]) => [key, entry.item]));
  }

  function showResult(key, ok, message) {
    const entry = entries.get(key);
    if (!entry) return;
    entry.result.textContent = message || "";
    entry.result.dataset.ok = ok ? "true" : "false";
    entry.result.hidden = !message;
  }

  function showClaim(entry) {
    const holder = claimHolder(entry.item, me);
    entry.claim.hidden = holder === null;
    entry.claim.className = `claim claim-${holder || "none"}`;
    entry.claim.textContent = holder === "other"
      ? t("review.claim.other", { who: entry.item.claimedByEmail || entry.item.claimedBy })
      : holder === "mine" ? t("review.claim.mine", { until: fmtTime(entry.item.claimedUntil) })
        : "";
  }

  function markDecided(key, decision) {
    const entry = entries.get(key);
    if (!entry) return;
    entry.item = { ...entry.item, state: "decided", claimedBy: null, claimedUntil: null,
                   decision: { decision, by: me, byEmail: ctx.who?.email } };
    setSelected(key, false);
    entry.node.dataset.state = "decided";
    entry.node.dataset.decision = decision;
    entry.node.classList.add("decided");
    entry.checkbox.disabled = true;
    entry.decisionLine.hidden = false;
    entry.decisionLine.textContent = decisionText(entry.item.decision);
    showClaim(entry);
  }

  // Claim the images, then decide the ones claimed; every card says what happened to it.
  async function decide(decision, keys) {
    if (busy || !keys.length) return;
    busy = true;
    updateSelection();
    ctx.clearError();
    const note = noteInput.value;
    actionStatus.textContent = t("review.working", { count: fmtNumber(keys.length) });
    let done = 0;
    let refused = 0;
    try {
      const claimed = [];
      const until = {};
      for (const part of chunks(keys, MAX_CLAIM)) {
        const reply = await call("claim_reviews", { keys: part });
        const split = splitClaims(reply?.results);
        claimed.push(...split.claimed);
        for (const key of split.claimed) until[key] = reply?.claimedUntil || null;
        for (const r of split.refused) {
          refused += 1;
          const entry = entries.get(r.key);
          if (entry && r.claimedBy) {
            entry.item = { ...entry.item, claimedBy: r.claimedBy,
                           claimedByEmail: r.claimedByEmail || null,
                           claimedUntil: r.claimedUntil || null };
            showClaim(entry);
          }
          if (entry && (r.reason === "decided" || r.reason === "missing")) {
            entry.item = { ...entry.item, state: r.reason };
            setSelected(r.key, false);
            entry.checkbox.disabled = true;
          }
          showResult(r.key, false, r.message || t("review.refused"));
        }
        if (disposed) return;
      }
      for (const key of claimed) {
        const entry = entries.get(key);
        if (entry) {
          entry.item = { ...entry.item, claimedBy: me, claimedUntil: until[key] };
          showClaim(entry);
        }
      }
      const items = itemsByKey();
      for (const part of chunks(claimed, MAX_DECISIONS)) {
        const reply = await call("decide_reviews",
          { decisions: decisionsFor(part, decision, items, note) });
        for (const r of reply?.results || []) {
          if (r.ok) {
            done += 1;
            markDecided(r.key, decision);
          } else {
            refused += 1;
          }
          showResult(r.key, Boolean(r.ok), r.message);
        }
        if (disposed) return;
      }
      actionStatus.textContent = [
        t(decision === "approve" ? "review.done.approved" : "review.done.rejected",
          { count: fmtNumber(done) }),
        refused ? t("review.done.refused", { count: fmtNumber(refused) }) : "",
      ].filter(Boolean).join(" ");
      if (done) noteInput.value = "";
      // Every image acted on says what happened to it; the selection starts afresh.
      for (const key of keys) setSelected(key, false);
    } catch (err) {
      actionStatus.textContent = "";
      ctx.showError(err);
    } finally {
      busy = false;
      if (!disposed) {
        updateSelection();
        loadBacklog();
      }
    }
  }

  // -- the previews -----------------------------------------------------------------------
  function queuePreview(entry) {
    previewQueue.push(entry);
    pumpPreviews();
  }

  function pumpPreviews() {
    while (previewsRunning < PREVIEWS_AT_ONCE && previewQueue.length) {
      const entry = previewQueue.shift();
      if (entries.get(entry.item.key) !== entry) continue; // no longer shown
      previewsRunning += 1;
      loadPreview(entry, false).finally(() => {
        previewsRunning -= 1;
        pumpPreviews();
      });
    }
  }

  async function loadPreview(entry, reveal) {
    const query = new URLSearchParams({ key: entry.item.key });
    if (reveal) query.set("reveal", "1");
    try {
      const res = await fetchFunction(`review_image?${query}`);
      const blob = await res.blob();
      if (disposed || entries.get(entry.item.key) !== entry) return false;
      setPreview(entry, URL.createObjectURL(blob), reveal);
      return true;
    } catch (err) {
      if (disposed || entries.get(entry.item.key) !== entry) return false;
      if (reveal) ctx.showError(err);
      else {
        entry.previewNote.textContent = t("review.image.unavailable");
        entry.previewNote.hidden = false;
      }
      return false;
    }
  }

  function setPreview(entry, url, revealed) {
    if (entry.url) URL.revokeObjectURL(entry.url);
    entry.url = url;
    entry.image.src = url;
    entry.image.alt = t(revealed ? "review.image.revealed" : "review.image.blurred",
      { name: entry.item.name });
    entry.image.hidden = false;
    entry.previewNote.hidden = true;
    entry.node.dataset.revealed = revealed ? "true" : "false";
  }

  function forgetCards() {
    for (const entry of entries.values()) {
      if (entry.url) URL.revokeObjectURL(entry.url);
    }
    entries.clear();
    order = [];
    selected.clear();
    previewQueue.length = 0;
    activeKey = null;
  }

  // -- revealing one image ---------------------------------------------------------------
  const revealTitleId = nextId("review-reveal");
  const revealBodyId = nextId("review-reveal-body");
  const revealName = h("p", { class: "review-name" });
  let revealKey = null;
  const revealDialog = h("dialog", { class: "review-dialog", "aria-labelledby": revealTitleId,
                                     "aria-describedby": revealBodyId,
                                     "data-testid": "review-reveal-dialog",
                                     onclose: onRevealClosed },
    h("h2", { id: revealTitleId, text: t("review.reveal.title") }),
    h("p", { id: revealBodyId, text: t("review.reveal.body") }),
    revealName,
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "danger", "data-testid": "review-reveal-confirm",
                    text: t("review.reveal.confirm"), onclick: () => closeReveal("reveal") }),
      h("button", { type: "button", "data-testid": "review-reveal-cancel",
                    text: t("review.reveal.cancel"), onclick: () => closeReveal("cancel") })));

  function askReveal(key) {
    const entry = entries.get(key);
    if (!entry || revealDialog.open) return;
    revealKey = key;
    revealName.textContent = entry.item.name;
    revealDialog.showModal();
    revealDialog.querySelector("[data-testid=review-reveal-cancel]")?.focus();
  }

  // The key is read while the dialog is open: a close event still on its way (Escape, a
  // moment ago) cannot change which image is shown.
  function closeReveal(value) {
    const key = revealKey;
    revealDialog.close(value);
    if (value === "reveal") reveal(key);
  }

  // Closed in any way (Escape too): the focus goes back to the image's card.
  function onRevealClosed() {
    if (!revealDialog.open) entries.get(revealKey)?.node.focus();
  }

  async function reveal(key) {
    const entry = entries.get(key);
    if (!entry) return;
    ctx.clearError();
    actionStatus.textContent = t("review.reveal.loading");
    const shown = await loadPreview(entry, true);
    if (!disposed) actionStatus.textContent = shown ? t("review.reveal.shown",
      { name: entry.item.name }) : "";
  }

  // -- the cards --------------------------------------------------------------------------
  const list = h("ul", { class: "review-grid", role: "list", "data-testid": "review-list",
                         "aria-describedby": "review-keys", onkeydown: onListKey });
  const emptyLine = h("p", { "data-testid": "review-empty", hidden: true });
  const moreButton = h("button", { type: "button", hidden: true, text: t("review.more"),
                                   "data-testid": "review-more", onclick: () => loadQueue(true) });
  const listBox = h("div", { "aria-busy": "true" }, list, emptyLine);

  function decisionText(decided) {
    if (!decided) return "";
    const who = decided.byEmail || decided.by || "–";
    const parts = [t(decided.decision === "approve" ? "review.decision.approved"
      : "review.decision.rejected", { who })];
    if (decided.at) parts.push(fmtDate(decided.at));
    if (decided.note) parts.push(t("review.decision.note", { note: decided.note }));
    return parts.join(" · ");
  }

  function scoresList(item) {
    const { entries: scores, localScore } = scoreEntries(item.scores);
    const rows = scores.map((s) => h("li", { class: s.high ? "high" : null,
      "data-category": s.category, "data-likelihood": s.likelihood,
      text: t("review.score", { category: t(`review.category.${s.category}`),
                                likelihood: t(`review.likelihood.${s.likelihood}`) }) }));
    if (localScore !== null) {
      rows.push(h("li", { "data-category": "local",
        text: t("review.localScore", { score: fmtPercent(localScore) }) }));
    }
    return rows.length ? h("ul", { class: "scores", "data-testid": "review-scores" }, rows)
      : h("span", { "data-testid": "review-scores", text: t("review.scores.none") });
  }

  function card(item) {
    const titleId = nextId("review-title");
    const checkbox = h("input", { type: "checkbox", id: nextId("review-pick"), tabindex: "-1",
                                  "data-testid": "review-select",
                                  disabled: !isOpen(item),
                                  onchange: (e) => {
                                    setSelected(item.key, e.currentTarget.checked);
                                    updateSelection();
                                  } });
    const image = h("img", { class: "review-thumb", alt: "", hidden: true, width: 256,
                             height: 256, "data-testid": "review-image" });
    const previewNote = h("p", { class: "preview-note", text: t("review.image.loading") });
    const claim = h("p", { class: "claim", hidden: true, "data-testid": "review-claim" });
    const result = h("p", { class: "review-result", hidden: true,
                            "data-testid": "review-result" });
    const decisionLine = h("p", { class: "decision", hidden: !item.decision,
                                  "data-testid": "review-decision",
                                  text: decisionText(item.decision) });
    const facts = [
      [t("review.fact.cause"), h("span", { class: `badge cause-${item.cause}`,
        "data-testid": "review-cause-badge", text: t(`review.cause.${item.cause}`) }),
      item.reason ? ` ${t("review.reasonBy", { reason: reasonText(item.reason) })}` : null],
      [t("review.fact.scores"), scoresList(item)],
      [t("review.fact.uploader"), h("span", { class: "uploader", "data-testid": "review-uploader",
        text: item.uploaderUid || t("review.uploader.none") })],
      [t("review.fact.waiting"), h("time", { dateTime: item.enteredAt || "",
        "data-testid": "review-age", title: fmtDate(item.enteredAt),
        text: age(item.waitingSeconds) })],
    ];
    const node = h("li", { class: "review-card", tabindex: "-1", "data-testid": "review-card",
                           "data-key": item.key, "data-state": item.state,
                           "data-appealed": item.appealed ? "true" : "false",
                           "aria-labelledby": titleId,
                           onfocus: (e) => { if (e.target === node) setActive(item.key); },
                           onclick: () => setActive(item.key, false) },
      h("div", { class: "review-pick" }, checkbox,
        h("label", { for: checkbox.id }, t("review.select"), sr(` ${item.name}`))),
      h("div", { class: "review-preview" }, image, previewNote),
      h("h3", { id: titleId, class: "review-name", text: item.name }),
      item.appealed ? h("div", { class: "appeal", "data-testid": "review-appeal" },
        h("span", { class: "badge appeal-badge", text: t("review.appealed") }), " ",
        h("span", { class: "appeal-text", text: t("review.appeal.says",
          { text: item.appeal?.explanation || "" }) })) : null,
      h("dl", { class: "review-facts" }, facts.map(([label, ...value]) =>
        h("div", {}, h("dt", { text: label }), h("dd", {}, value)))),
      claim, decisionLine, result,
      h("button", { type: "button", class: "small", tabindex: "-1",
                    "data-testid": "review-reveal",
                    onclick: () => askReveal(item.key) },
      t("review.reveal"), sr(` ${item.name}`)));
    if (!isOpen(item)) node.classList.add("decided");
    const entry = { item, node, checkbox, image, previewNote, claim, result, decisionLine,
                    url: null };
    showClaim(entry);
    return entry;
  }

  function setActive(key, focus = false) {
    if (!entries.has(key)) return;
    if (activeKey && activeKey !== key) entries.get(activeKey)?.node.setAttribute("tabindex", "-1");
    activeKey = key;
    const entry = entries.get(key);
    entry.node.setAttribute("tabindex", "0");
    if (focus) entry.node.focus();
  }

  // Cards drawn side by side in the first row: how far ArrowUp and ArrowDown go.
  function columns() {
    const nodes = order.map((key) => entries.get(key).node);
    if (nodes.length < 2) return 1;
    const top = nodes[0].getBoundingClientRect().top;
    const across = nodes.findIndex((n) => Math.abs(n.getBoundingClientRect().top - top) > 2);
    return across === -1 ? nodes.length : Math.max(1, across);
  }

  function onListKey(event) {
    const node = event.target;
    if (!(node instanceof HTMLElement) || !node.classList.contains("review-card")) return;
    const key = node.dataset.key;
    const index = order.indexOf(key);
    const moved = moveIndex(event.key, index, order.length,
      event.key === "ArrowUp" || event.key === "ArrowDown" ? columns() : 1);
    if (moved !== null) {
      event.preventDefault();
      setActive(order[moved], true);
      return;
    }
    const action = shortcut(event);
    if (!action) return;
    event.preventDefault();
    if (action === "toggle") {
      if (isOpen(entries.get(key)?.item)) {
        setSelected(key, !selected.has(key));
        updateSelection();
      }
    } else if (action === "reveal") {
      askReveal(key);
    } else {
      decide(action, decisionTargets(order, selected, key, itemsByKey()));
    }
  }

  function addItems(items) {
    for (const item of items) {
      if (!item || typeof item.key !== "string" || entries.has(item.key)) continue;
      const entry = card(item);
      entries.set(item.key, entry);
      order.push(item.key);
      list.append(entry.node);
      queuePreview(entry);
    }
    if (!activeKey && order.length) setActive(order[0]);
  }

  async function loadQueue(more = false) {
    const mine = ++loads;
    listBox.setAttribute("aria-busy", "true");
    moreButton.disabled = true;
    const data = { state: stateSelect.value, limit: PAGE_SIZE };
    if (causeSelect.value) data.cause = causeSelect.value;
    if (more && next) data.after = next;
    try {
      const reply = await call("list_review_queue", data);
      if (disposed || mine !== loads) return;
      if (!more) {
        forgetCards();
        fill(list);
      }
      const before = order.length;
      addItems(Array.isArray(reply?.items) ? reply.items : []);
      // "Load more" may go away: the focus goes to the first card it brought.
      if (more && order.length > before) setActive(order[before], true);
      next = typeof reply?.next === "string" ? reply.next : null;
      moreButton.hidden = !next;
      emptyLine.hidden = order.length > 0;
      emptyLine.textContent = t(stateSelect.value === "decided" ? "review.empty.decided"
        : "review.empty.waiting");
    } catch (err) {
      if (!disposed && mine === loads) ctx.showError(err);
    } finally {
      if (!disposed && mine === loads) {
        listBox.setAttribute("aria-busy", "false");
        moreButton.disabled = false;
        updateSelection();
      }
    }
  }

  function reload() {
    actionStatus.textContent = "";
    loadBacklog();
    return loadQueue(false);
  }

  const node = h("div", { class: "page review-page" },
    h("h1", { tabindex: "-1", text: t("review.title") }),
    h("p", { class: "hint", text: t("review.intro") }),
    backlogLine,
    h("div", { class: "toolbar review-filters" },
      field(t("review.filter.cause"), causeSelect), field(t("review.filter.state"), stateSelect),
      refreshButton),
    h("section", { "aria-labelledby": "h-review-queue" },
      h("h2", { id: "h-review-queue", text: t("review.queue") }),
      h("p", { class: "hint keys", id: "review-keys", "data-testid": "review-keys",
               text: t("review.keys") }),
      h("div", { class: "review-actions" },
        h("div", { class: "check" }, selectAll,
          h("label", { for: selectAll.id, text: t("review.selectAll") })),
        field(t("review.note"), noteInput, t("review.note.help")),
        h("div", { class: "buttons" }, approveButton, rejectButton)),
      actionStatus,
      listBox,
      moreButton),
    revealDialog);

  updateSelection();
  reload();
  return {
    node,
    dispose() {
      disposed = true;
      if (revealDialog.open) revealDialog.close();
      forgetCards();
    },
  };
}
