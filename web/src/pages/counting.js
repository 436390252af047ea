// Counting: start a stock count, scan labels into it (keyboard-wedge scanner, typing or the
// camera), see each scan's result and the found / missing counts live, finish, download.
import { h, fill, field, sr, table } from "../dom.js";
import { call, download } from "../api.js";
import { t, fmtNumber, fmtDate, fmtTime } from "../i18n.js";
import { Feedback, signalFor } from "../feedback.js";
import { startCamera } from "../camera.js";

const POLL_MS = 2000;
const UNKNOWN_PART = "(unknown)";           // stocktake/sessions.py UNKNOWN_PART
const UNDO_LAST = 10;                       // the newest scans that show an undo button

// The open count, {session_id, name}, reopened after a reload: each person's own.
function currentKey(uid) {
  return `console.countSession.${encodeURIComponent(uid)}`;
}

function currentSession(uid) {
  try {
    const value = JSON.parse(localStorage.getItem(currentKey(uid)));
    return value && typeof value.session_id === "string" ? value : null;
  } catch { return null; }
}

function setCurrentSession(uid, value) {
  try {
    if (value) localStorage.setItem(currentKey(uid), JSON.stringify(value));
    else localStorage.removeItem(currentKey(uid));
  } catch { /* not kept */ }
}

export function entryText(entry) {
  let text;
  if (entry.status === "unexpected") {
    const reason = ["unknown", "used", "out_of_scope"].includes(entry.reason)
      ? entry.reason : "other";
    text = t(`scan.unexpected.${reason}`);
  } else {
    text = t(`scan.${entry.status}`);
  }
  return entry.undone ? `${text} · ${t("scan.undone")}` : text;
}

export function render(ctx) {
  const queue = ctx.scanQueue;
  const cleanups = [];
  const title = h("h1", { tabindex: "-1", text: t("count.title") });
  const root = h("div", { class: "page" }, title);
  const body = h("div");
  root.append(body);
  let view = null;
  // The list has no field to start in: the focus goes to the heading, never lost to <body>.
  const focusView = () => (view?.focus ? view.focus() : title.focus());

  const uid = ctx.who.uid;
  // Someone else's scans waiting on this device are theirs to send: said, never sent.
  const othersNote = h("p", { class: "note", role: "status", "data-testid": "others-waiting" });
  const showOthers = () => {
    const waiting = queue.othersPending();
    othersNote.hidden = !waiting;
    othersNote.textContent = waiting ? t("queue.others", { count: fmtNumber(waiting) }) : "";
  };
  showOthers();
  cleanups.push(queue.subscribe(showOthers));
  root.insertBefore(othersNote, body);

  function show(session) {
    view?.dispose();
    setCurrentSession(uid, session);
    view = session ? sessionView(ctx, queue, session, () => show(null)) : listView(ctx, show);
    fill(body, view.node);
    focusView();
  }
  const saved = currentSession(uid);
  view = saved ? sessionView(ctx, queue, saved, () => show(null)) : listView(ctx, show);
  fill(body, view.node);

  cleanups.push(() => view?.dispose());
  return { node: root, focus: focusView, dispose: () => cleanups.forEach((f) => f()) };
}

// -- the list of counts and the start form ---------------------------------------------------

function listView(ctx, open) {
  const nameInput = h("input", { type: "text", name: "name", required: true, maxLength: 200,
                                 autocomplete: "off", "data-testid": "session-name" });
  const partsInput = h("input", { type: "text", name: "part_codes", autocomplete: "off",
    autocapitalize: "off", spellcheck: false, "data-testid": "session-parts" });
  const startButton = h("button", { type: "submit", class: "primary", text: t("count.start"),
                                    "data-testid": "session-start" });
  const listHolder = h("div", { "aria-busy": "true" }, h("p", { text: t("common.loading") }));

  async function onStart(event) {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) { nameInput.focus(); return; }
    const codes = partsInput.value.split(/[\s,;]+/).filter(Boolean);
    ctx.clearError();
    startButton.disabled = true;
    try {
      const reply = await call("start_count_session",
        codes.length ? { name, part_codes: codes } : { name });
      const without = reply?.part_codes_without_units || [];
      open({ session_id: reply.session_id, name,
             notice: without.length ? t("count.withoutUnits", { codes: without.join(", ") }) : "" });
    } catch (err) {
      ctx.showError(err);
      startButton.disabled = false;
    }
  }

  async function load() {
    try {
      const reply = await call("list_count_sessions", { limit: 20 });
      const sessions = reply?.sessions || [];
      if (!sessions.length) {
        fill(listHolder, h("p", { text: t("count.none") }));
        return;
      }
      const rows = sessions.map((s) => h("tr", {},
        h("th", { scope: "row", text: s.name }),
        h("td", { text: t(`state.${s.state}`) }),
        h("td", { text: s.started_by ?? "–" }),
        h("td", { text: fmtDate(s.started_at) }),
        h("td", { class: "num", text: fmtNumber(s.expected) }),
        h("td", { class: "num", text: s.totals ? fmtNumber(s.totals.found) : "–" }),
        h("td", { class: "num", text: s.totals ? fmtNumber(s.totals.missing) : "–" }),
        h("td", { class: "actions" },
          h("button", { type: "button", "data-testid": "session-open",
                        "data-session": s.session_id,
                        onclick: () => open({ session_id: s.session_id, name: s.name }) },
            s.state === "open" ? t("count.continue") : t("count.view"), sr(` ${s.name}`)))));
      fill(listHolder, table(t("count.recent.caption"), [t("count.col.name"),
        t("count.col.state"), t("count.col.by"), t("count.col.started"),
        t("count.col.expected"), t("count.col.found"), t("count.col.missing"),
        t("count.col.actions")], rows, { "data-testid": "sessions-table" }));
    } catch (err) {
      fill(listHolder);
      ctx.showError(err);
    } finally {
      listHolder.setAttribute("aria-busy", "false");
    }
  }
  load();

  const node = h("div", {},
    h("section", { "aria-labelledby": "h-start" },
      h("h2", { id: "h-start", text: t("count.new") }),
      h("form", { onsubmit: onStart },
        field(t("count.name"), nameInput),
        field(t("count.parts"), partsInput, t("count.parts.hint")),
        startButton)),
    h("section", { "aria-labelledby": "h-recent" },
      h("h2", { id: "h-recent", text: t("count.recent") }),
      listHolder));
  return { node, dispose() {} };
}

// -- one count: scanning, live counts, finish, reports ---------------------------------------

function sessionView(ctx, queue, session, close) {
  const id = session.session_id;
  let state = null;          // the report's state: open | finishing | finished | cancelled
  let pollTimer = null;
  let disposed = false;
  let camera = null;
  const cleanups = [];

  // Scanning.
  const scanInput = h("input", { type: "text", name: "qr_id", autocomplete: "off",
    autocapitalize: "off", spellcheck: false, enterkeyhint: "send",
    "data-testid": "scan-input" });
  const lastResult = h("p", { class: "last-result", role: "status", "aria-live": "polite",
                              "aria-atomic": "true", "data-testid": "scan-last" });
  const cameraButton = h("button", { type: "button", hidden: true, "data-testid": "scan-camera",
                                     text: t("camera.start"), onclick: () => toggleCamera() });
  const video = h("video", { class: "camera", hidden: true, muted: true, playsInline: true,
                             "aria-label": t("camera.view") });
  // A tone and a vibration for each answer, unless switched off (kept on the device).
  const feedback = new Feedback({ storage: window.localStorage });
  const feedbackToggle = h("input", { type: "checkbox", "data-testid": "feedback-toggle",
    checked: feedback.enabled,
    onchange: (e) => { feedback.enabled = e.currentTarget.checked; scanInput.focus(); } });
  cleanups.push(queue.onResults((sessionId, results) => {
    if (sessionId === id) feedback.play(signalFor(results));
  }));
  const scanForm = h("form", { class: "scan-form", onsubmit: onScan },
    field(t("scan.label"), scanInput, t("scan.hint")),
    h("div", { class: "buttons" },
      h("button", { type: "submit", class: "primary", text: t("scan.add") }), cameraButton),
    h("label", { class: "check" }, feedbackToggle, " ", t("feedback.toggle")),
    video);

  function onScan(event) {
    event.preventDefault();
    const text = scanInput.value.trim();
    scanInput.value = "";
    scanInput.focus();
    if (!text) return;
    queue.add(id, text);
  }

  // The queue: waiting scans, and why they wait.
  const queueLine = h("p", { class: "queue-line", "data-testid": "scan-queue" });
  const sendNow = h("button", { type: "button", text: t("queue.sendNow"),
                                onclick: () => queue.flush() });
  const discard = h("button", { type: "button", text: t("queue.discard"), hidden: true,
                                class: "danger", onclick: () => queue.discardPending(id) });
  let shownError = null;

  // Results, newest first; entries are updated in place so focus stays where it is.
  const resultsList = h("ol", { class: "scan-results", "data-testid": "scan-results" });
  const items = new Map();  // client_scan_id -> {li, text, button}

  function renderEntries() {
    const entries = queue.entries(id);
    const undoable = new Set(entries.filter((e) => !e.undone && !["invalid", "discarded"]
      .includes(e.status)).slice(0, UNDO_LAST).map((e) => e.client_scan_id));
    const keep = new Set();
    let previous = null;
    for (const entry of entries.slice(0, 50)) {
      keep.add(entry.client_scan_id);
      let item = items.get(entry.client_scan_id);
      if (!item) {
        const text = h("span", { class: "result" });
        const button = h("button", { type: "button", class: "small",
                                     "data-testid": "scan-undo",
                                     "data-scan": entry.client_scan_id,
                                     onclick: () => undo(entry.client_scan_id, button) },
          t("scan.undo"), sr(` ${entry.qr_id}`));
        const li = h("li", { "data-scan": entry.client_scan_id },
          h("span", { class: "qr", text: entry.qr_id }), text,
          h("time", { dateTime: new Date(entry.scanned_at).toISOString(),
                      text: fmtTime(entry.scanned_at) }), button);
        item = { li, text, button };
        items.set(entry.client_scan_id, item);
      }
      item.li.className = `status-${entry.status}${entry.undone ? " undone" : ""}`;
      item.li.dataset.status = entry.status;
      item.text.textContent = entryText(entry);
      item.button.hidden = !undoable.has(entry.client_scan_id)
        || (state !== "open" && state !== null);
      const wanted = previous ? previous.nextSibling : resultsList.firstChild;
      if (wanted !== item.li) resultsList.insertBefore(item.li, wanted);
      previous = item.li;
    }
    for (const [key, item] of items) {
      if (!keep.has(key)) { item.li.remove(); items.delete(key); }
    }
    const newest = entries[0];
    if (newest && (newest.client_scan_id !== lastResult.dataset.scan
                   || newest.status !== lastResult.dataset.status
                   || String(newest.undone) !== lastResult.dataset.undone)) {
      lastResult.dataset.undone = String(newest.undone);
      lastResult.dataset.scan = newest.client_scan_id;
      lastResult.dataset.status = newest.status;
      lastResult.className = `last-result status-${newest.status}`;
      lastResult.textContent = `${newest.qr_id}: ${entryText(newest)}`;
    }
  }

  function renderQueue() {
    const waiting = queue.pendingCount(id);
    const error = queue.errors.get(id);
    queueLine.textContent = waiting
      ? (error?.retryable ? t("queue.offline", { count: fmtNumber(waiting) })
        : t("queue.waiting", { count: fmtNumber(waiting) }))
      : t("queue.empty");
    sendNow.hidden = !waiting;
    discard.hidden = !(waiting && error && !error.retryable);
    if (error && !error.retryable && error !== shownError) ctx.showError(error);
    shownError = error || null;
  }

  async function undo(clientScanId, button) {
    ctx.clearError();
    button.disabled = true;
    try {
      await queue.undo(id, clientScanId);
      poll();
    } catch (err) {
      ctx.showError(err);
    } finally {
      button.disabled = false;
      scanInput.focus();
    }
  }

  cleanups.push(queue.subscribe((sessionId) => {
    if (sessionId !== id) return;
    renderEntries();
    renderQueue();
    if (!queue.pendingCount(id)) schedulePoll(100);  // counts changed: show them soon
  }));

  // Live counts from count_session_live, every ~2 s while the page is open.
  const stateBadge = h("span", { class: "badge", "data-testid": "session-state" });
  const counts = {};
  const countList = h("dl", { class: "counts" },
    ["expected", "found", "missing", "unexpected"].map((key) => {
      counts[key] = h("dd", { "data-testid": `count-${key}`, text: "–" });
      return h("div", { class: `count count-${key}` }, h("dt", { text: t(`count.${key}`) }),
        counts[key]);
    }));
  const partsBody = h("tbody");
  const partsTable = h("div", { class: "table-wrap", role: "region", tabindex: "0",
                                "aria-label": t("count.parts.caption") },
    h("table", { "data-testid": "count-parts" },
      h("caption", { text: t("count.parts.caption") }),
      h("thead", {}, h("tr", {}, [t("parts.code"), t("parts.name"), t("count.expected"),
        t("count.found"), t("count.missing"), t("count.unexpected")]
        .map((text) => h("th", { scope: "col", text })))),
      partsBody));

  async function poll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (disposed) return;
    try {
      // The live counts: the session and its counters, a few kilobytes however many units
      // (the full report stays for the downloads).
      const report = await call("count_session_live", { session_id: id });
      if (disposed) return;
      showReport(report);
    } catch (err) {
      if (!err.retryable) ctx.showError(err);
    }
    if (!disposed && (state === "open" || state === "finishing" || state === null)) {
      schedulePoll(POLL_MS);
    }
  }

  function schedulePoll(ms) {
    if (disposed || document.hidden) return;
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, ms);
  }

  const onVisible = () => { if (!document.hidden) schedulePoll(0); };
  document.addEventListener("visibilitychange", onVisible);
  cleanups.push(() => document.removeEventListener("visibilitychange", onVisible));

  function showReport(report) {
    const before = state;
    state = report.state;
    heading.textContent = t("count.session", { name: report.name || session.name });
    stateBadge.textContent = t(`state.${state}`);
    // No totals while the count is being closed: a dash, not zeros.
    const totals = report.totals || {};
    for (const key of Object.keys(counts)) {
      counts[key].textContent = report.totals ? fmtNumber(totals[key] ?? 0) : "–";
    }
    fill(partsBody, (report.parts || []).map((p) => h("tr", {},
      // Labels nobody made count under the server's "(unknown)": named in the page's words.
      h("th", { scope: "row", class: "code",
                text: p.part_code === UNKNOWN_PART ? t("count.unknownPart") : p.part_code }),
      h("td", { text: p.part_name ?? "" }),
      h("td", { class: "num", text: fmtNumber(p.expected) }),
      h("td", { class: "num", text: fmtNumber(p.found) }),
      h("td", { class: "num", text: fmtNumber(p.missing) }),
      h("td", { class: "num", text: fmtNumber(p.unexpected) }))));
    if (before !== state) updateControls();
  }

  // Finish (with a confirmation step) and reports.
  const finishButton = h("button", { type: "button", class: "danger", text: t("finish.button"),
                                     "data-testid": "session-finish", onclick: askFinish });
  const confirmYes = h("button", { type: "button", class: "danger", text: t("finish.yes"),
                                   "data-testid": "session-finish-confirm", onclick: doFinish });
  const confirmNo = h("button", { type: "button", text: t("finish.no"),
                                  "data-testid": "session-finish-cancel",
                                  onclick: () => { confirmBox.hidden = true; finishButton.focus(); } });
  const confirmBox = h("div", { class: "confirm", hidden: true, role: "group",
                                "aria-labelledby": "finish-question" },
    h("p", { id: "finish-question", text: t("finish.question", { name: session.name }) }),
    h("div", { class: "buttons" }, confirmYes, confirmNo));
  const actionStatus = h("p", { role: "status", class: "status", "aria-live": "polite" });

  function askFinish() {
    confirmBox.hidden = false;
    confirmYes.focus();
  }

  async function doFinish() {
    ctx.clearError();
    confirmYes.disabled = true;
    try {
      if (queue.pendingCount(id)) await queue.flush();
      if (queue.pendingCount(id)) {
        ctx.showError({ message: t("finish.pending", { count: fmtNumber(queue.pendingCount(id)) }) });
        return;
      }
      actionStatus.textContent = t("finish.working");
      await call("finish_count_session", { session_id: id });
      actionStatus.textContent = t("finish.done");
      confirmBox.hidden = true;
      stopCamera();
      await poll();
      finishButton.focus?.();
    } catch (err) {
      actionStatus.textContent = "";
      ctx.showError(err);
    } finally {
      confirmYes.disabled = false;
    }
  }

  async function report(format, button) {
    ctx.clearError();
    button.disabled = true;
    try {
      const name = await download(
        `count_session_report?${new URLSearchParams({ session_id: id, format })}`,
        `count-${id}.${format}`);
      actionStatus.textContent = t("download.done", { name });
    } catch (err) {
      ctx.showError(err);
    } finally {
      button.disabled = false;
    }
  }
  const csvButton = h("button", { type: "button", "data-testid": "report-csv", text: t("report.csv"),
                                  onclick: (e) => report("csv", e.currentTarget) });
  const jsonButton = h("button", { type: "button", "data-testid": "report-json",
                                   text: t("report.json"),
                                   onclick: (e) => report("json", e.currentTarget) });
  const closeButton = h("button", { type: "button", "data-testid": "session-close",
                                    text: t("count.back"), onclick: () => close() });

  const scanSection = h("section", { "aria-labelledby": "h-scan" },
    h("h3", { id: "h-scan", text: t("scan.title") }),
    scanForm, lastResult,
    h("div", { class: "queue" }, queueLine, sendNow, discard));

  function updateControls() {
    const open = state === "open";
    scanSection.hidden = !open;
    finishButton.hidden = !open;
    if (!open) { confirmBox.hidden = true; stopCamera(); }
    renderEntries();
  }

  // The camera, in every browser that has one (qr-reader.js: the browser's own reader or
  // ZXing in WebAssembly).
  function setUpCamera() {
    if (navigator.mediaDevices?.getUserMedia) cameraButton.hidden = false;
  }

  async function toggleCamera() {
    if (camera) { stopCamera(); return; }
    ctx.clearError();
    let last = "";
    let lastAt = 0;
    try {
      camera = await startCamera(video, (values) => {
        for (const value of values) {
          // A label held in view is one scan; it counts again once out of view for 3 s.
          const now = Date.now();
          const seenJustNow = value === last && now - lastAt < 3000;
          last = value;
          lastAt = now;
          if (!seenJustNow) queue.add(id, value);
        }
      });
      cameraButton.textContent = t("camera.stop");
    } catch (err) {
      stopCamera();
      ctx.showError({ message: t("camera.failed", { reason: err?.message || err?.name || "" }) });
    }
  }

  function stopCamera() {
    camera?.stop();
    camera = null;
    cameraButton.textContent = t("camera.start");
  }

  const heading = h("h2", { id: "h-session", tabindex: "-1", text: t("count.session", { name: session.name }) });
  const node = h("div", {},
    h("section", { "aria-labelledby": "h-session", class: "session" },
      h("div", { class: "session-head" }, heading, stateBadge),
      session.notice ? h("p", { class: "notice", text: session.notice }) : null,
      countList,
      scanSection,
      h("section", { "aria-labelledby": "h-results" },
        h("h3", { id: "h-results", text: t("scan.results") }),
        resultsList),
      h("section", { "aria-labelledby": "h-actions" },
        h("h3", { id: "h-actions", text: t("count.actions") }),
        h("div", { class: "buttons" }, finishButton, csvButton, jsonButton, closeButton),
        confirmBox, actionStatus),
      h("section", { "aria-labelledby": "h-count-parts" },
        h("h3", { id: "h-count-parts", text: t("count.parts.title") }),
        partsTable)));

  setUpCamera();
  renderEntries();
  renderQueue();
  queue.flush();
  poll();
  const onOnline = () => queue.flush();
  window.addEventListener("online", onOnline);
  cleanups.push(() => window.removeEventListener("online", onOnline));

  return {
    node,
    focus: () => (scanSection.hidden ? heading.focus() : scanInput.focus()),
    dispose() {
      disposed = true;
      clearTimeout(pollTimer);
      stopCamera();
      cleanups.forEach((f) => f());
    },
  };
}
