// Labels: upload a parts list (checked first by a dry run, then confirmed), list the parts
// with their stock and minimums, download label sheets and ZIPs, export the inventory, view
// a label and its unit's life.
import { h, fill, field, nextId, sr, table } from "../dom.js";
import { call, download, fetchFunction, uploadParts } from "../api.js";
import { t, fmtNumber, fmtPercent, fmtDate } from "../i18n.js";
import { startCamera } from "../camera.js";
import { EXPORT_FORMATS, EXPORT_SCOPES, eventDetails, exportPath, kindKey, parseMinimum,
  readDryRun } from "../inventory-model.js";

export const LAYOUTS = ["avery-l7160", "avery-l7163", "avery-l7651", "herma-4677", "avery-5160",
  "brother-dk-1201", "brother-dk-1202", "zebra-2x1"];
const PAGE_SIZE = 50;
const PREVIEW_ROWS = 500;         // parts listed in an upload's check
const LAYOUT_KEY = "console.sheetLayout";
const OFFSETS_KEY = "console.printerShiftMm"; // {x, y}
const LOW_ALERT_MOST = 100;  // the notice counts this many low parts, then says "more than"
const SAMPLE_KEY = "console.sampleQrIds"; // part_code -> a qr_id this browser saw uploaded
const ASCII_PART_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function stored(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
}

function store(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* not kept */ }
}

// upload_parts answers the new ids in the order of summary.details, part by part.
function rememberSampleIds(reply) {
  const samples = stored(SAMPLE_KEY, {});
  let offset = 0;
  for (const part of reply?.summary?.details || []) {
    if (part.added > 0 && reply.qr_ids?.[offset]) samples[part.part_code] = reply.qr_ids[offset];
    offset += part.added || 0;
  }
  store(SAMPLE_KEY, samples);
}

export function render(ctx) {
  let cursors = [null];           // the "after" of each page seen; the last one is shown
  let objectUrl = null;
  const status = h("p", { role: "status", class: "status", "aria-live": "polite",
                          "data-testid": "parts-status" });

  // -- upload -------------------------------------------------------------------------------
  // The browser's own file control speaks the browser's language, not the page's: it stays
  // hidden, and a button in the page's language opens it; a file dropped on the box works too.
  const fileInput = h("input", { type: "file", name: "file", "data-testid": "upload-file",
    accept: ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv",
    hidden: true, tabindex: "-1" });
  const fileLabelId = nextId("file-label");
  const fileNameId = nextId("file-name");
  const fileName = h("span", { id: fileNameId, class: "file-name", "data-testid": "upload-file-name",
                               text: t("upload.noFile") });
  const chooseButton = h("button", { type: "button", "data-testid": "upload-choose",
    "aria-describedby": fileNameId, text: t("upload.choose"), onclick: () => fileInput.click() });
  const showChosen = () => {
    fileName.textContent = fileInput.files?.[0]?.name || t("upload.noFile");
  };
  // Another file chosen: a dry run shown for the previous one no longer applies.
  const fileChanged = () => {
    showChosen();
    if (pending) { closePreview(); fill(uploadErrors); uploadStatus.textContent = ""; }
  };
  fileInput.addEventListener("change", fileChanged);
  const filePicker = h("div", { class: "field" },
    h("span", { id: fileLabelId, class: "label", text: t("upload.file") }),
    h("div", { role: "group", "aria-labelledby": fileLabelId, class: "file-picker" },
      chooseButton, fileName, fileInput),
    h("p", { class: "hint", text: t("upload.drop") }));

  function onDrop(event) {
    const files = event.dataTransfer?.files;
    if (!files?.length) return;
    event.preventDefault();
    uploadBox.classList.remove("dropping");
    const chosen = new DataTransfer();
    chosen.items.add(files[0]);
    fileInput.files = chosen.files;
    fileChanged();
    chooseButton.focus();
  }
  const uploadButton = h("button", { type: "submit", class: "primary",
                                     "data-testid": "upload-submit", text: t("upload.submit") });
  const progress = h("progress", { id: "upload-progress", max: 100, value: 0,
                                   "data-testid": "upload-progress" });
  const progressText = h("span", { class: "progress-text", "aria-hidden": "true" });
  const progressRow = h("div", { class: "progress-row", hidden: true },
    h("label", { for: "upload-progress", text: t("upload.progress") }), progress, progressText);
  const uploadStatus = h("p", { role: "status", class: "status", "aria-live": "polite" });
  const uploadErrors = h("div");

  // The upload is checked first: a dry run (nothing written) shows what it would add, the
  // minimums it would change and the rows refused; only "Confirm upload" sends it for real.
  let pending = null;             // the file a dry run was shown for, until confirmed
  const previewHolder = h("div", { class: "upload-preview card", hidden: true,
                                   "data-testid": "upload-preview" });
  const confirmButton = h("button", { type: "button", class: "primary",
    "data-testid": "upload-confirm", text: t("upload.confirm"), onclick: () => onConfirm() });
  const cancelButton = h("button", { type: "button", "data-testid": "upload-cancel",
                                     text: t("upload.cancel"), onclick: () => onCancel() });

  async function send(file, dryRun) {
    progressRow.hidden = false;
    progress.value = 0;
    progressText.textContent = fmtPercent(0);
    uploadStatus.textContent = t(dryRun ? "upload.checking" : "upload.sending",
      { name: file.name });
    let announcedProcessing = false;
    const reply = await uploadParts(file, (loaded, total) => {
      const share = total ? loaded / total : 1;
      progress.value = Math.round(share * 100);
      progressText.textContent = fmtPercent(share);
      if (share >= 1 && !announcedProcessing) {
        announcedProcessing = true;
        uploadStatus.textContent = t(dryRun ? "upload.checkingServer" : "upload.processing");
      }
    }, { dryRun });
    progress.value = 100;
    progressText.textContent = fmtPercent(1);
    return reply;
  }

  function closePreview() {
    pending = null;
    previewHolder.hidden = true;
    fill(previewHolder);
  }

  async function onUpload(event) {
    event.preventDefault();
    const file = fileInput.files?.[0];
    if (!file) { chooseButton.focus(); return; }
    ctx.clearError();
    fill(uploadErrors);
    closePreview();
    uploadButton.disabled = true;
    try {
      const reply = await send(file, true);
      if (reply?.dry_run === true) showPreview(file, readDryRun(reply));
      else uploaded(reply);  // a server without dry runs imported it already
    } catch (err) {
      uploadStatus.textContent = t("upload.failed");
      ctx.showError(err);
      showRowErrors(err.details);
    } finally {
      uploadButton.disabled = false;
    }
  }

  async function onConfirm() {
    if (!pending) return;
    const file = pending;
    ctx.clearError();
    fill(uploadErrors);
    for (const button of [uploadButton, confirmButton, cancelButton]) button.disabled = true;
    try {
      const reply = await send(file, false);
      closePreview();
      uploaded(reply);
    } catch (err) {
      closePreview();
      uploadStatus.textContent = t("upload.failed");
      ctx.showError(err);
      showRowErrors(err.details);
      chooseButton.focus();
    } finally {
      for (const button of [uploadButton, confirmButton, cancelButton]) button.disabled = false;
    }
  }

  function onCancel() {
    closePreview();
    fill(uploadErrors);
    progressRow.hidden = true;
    uploadStatus.textContent = t("upload.cancelled");
    chooseButton.focus();
  }

  function uploaded(reply) {
    rememberSampleIds(reply);
    const s = reply?.summary || {};
    let text = t("upload.done", { parts: fmtNumber(s.parts ?? 0),
                                  added: fmtNumber(s.units_added ?? 0),
                                  existing: fmtNumber(s.units_existing ?? 0) });
    if (s.quantity_decreases_not_applied) {
      text += " " + t("upload.decreases", { count: fmtNumber(s.quantity_decreases_not_applied) });
    }
    uploadStatus.textContent = text;
    fileInput.value = "";
    showChosen();
    cursors = [null];
    loadParts();
  }

  const minimumText = (value) => (value === null || value === undefined
    ? t("minimum.none") : fmtNumber(value));
  const notesText = (notes) => notes.map((n) => t(n.key, { ...n.params,
    count: fmtNumber(n.params.count) })).join(" ");

  function showPreview(file, dry) {
    pending = file;
    const titleId = nextId("preview-title");
    const heading = h("h3", { id: titleId, tabindex: "-1", text: t("upload.preview.title",
      { name: file.name }) });
    const summary = h("p", { "data-testid": "upload-preview-summary",
      text: t("upload.preview.summary", { parts: fmtNumber(dry.parts),
                                          added: fmtNumber(dry.unitsAdded),
                                          existing: fmtNumber(dry.unitsExisting) }) });
    const decreases = dry.decreases
      ? h("p", { class: "hint", text: t("upload.decreases", { count: fmtNumber(dry.decreases) }) })
      : null;
    // A list of thousands of parts: the first ones, and how many there are.
    const partRows = dry.details.slice(0, PREVIEW_ROWS).map((d) => h("tr",
      { "data-part": d.part_code },
      h("th", { scope: "row", class: "code", text: d.part_code }),
      h("td", { text: d.part_name ?? "" }),
      h("td", { class: "num", text: fmtNumber(d.requested) }),
      h("td", { class: "num", text: fmtNumber(d.existing) }),
      h("td", { class: "num", text: fmtNumber(d.added) }),
      h("td", { text: notesText(d.notes) })));
    const partsTable = partRows.length
      ? table(t("upload.preview.parts"), [t("parts.code"), t("parts.name"),
        t("upload.preview.requested"), t("upload.preview.existing"), t("upload.preview.added"),
        t("upload.preview.note")], partRows, { "data-testid": "upload-preview-parts" })
      : null;
    const moreParts = dry.details.length > PREVIEW_ROWS
      ? h("p", { class: "hint", text: t("upload.preview.more", {
        shown: fmtNumber(PREVIEW_ROWS), count: fmtNumber(dry.details.length) }) })
      : null;
    const minimumRows = dry.minimums.map((m) => h("tr", { "data-part": m.part_code },
      h("th", { scope: "row", class: "code", text: m.part_code }),
      h("td", { class: "num", text: minimumText(m.from) }),
      h("td", { class: "num", text: minimumText(m.to) })));
    const minimumsTable = minimumRows.length
      ? table(t("upload.preview.minimums"), [t("parts.code"), t("upload.preview.minFrom"),
        t("upload.preview.minTo")], minimumRows, { "data-testid": "upload-preview-minimums" })
      : null;
    const refusedNote = dry.confirmable ? null
      : h("p", { class: "notice", "data-testid": "upload-preview-refused",
                 text: t("upload.preview.refused", { count: fmtNumber(dry.refusedCount) }) });
    confirmButton.hidden = !dry.confirmable;
    cancelButton.textContent = t(dry.confirmable ? "upload.cancel" : "upload.close");
    // The refused rows first: they are what stops the upload.
    const refusedRows = dry.confirmable ? null
      : rowErrors({ errors: dry.refused, error_count: dry.refusedCount });
    fill(previewHolder, heading, summary, decreases, refusedNote, refusedRows, partsTable,
      moreParts, minimumsTable, h("div", { class: "buttons" }, confirmButton, cancelButton));
    previewHolder.setAttribute("aria-labelledby", titleId);
    previewHolder.setAttribute("role", "region");
    previewHolder.hidden = false;
    uploadStatus.textContent = t(dry.confirmable ? "upload.preview.ready"
      : "upload.preview.blocked");
    heading.focus();
  }

  function showRowErrors(details) {
    fill(uploadErrors, rowErrors(details));
  }

  // The rows a file was refused for (upload_parts' details.errors, or a dry run's refused).
  function rowErrors(details) {
    const errors = Array.isArray(details?.errors) ? details.errors : [];
    if (!errors.length) return [];
    const rows = errors.map((e) => h("tr", {},
      h("td", { class: "num", text: fmtNumber(e.row) }),
      h("td", { text: e.column ?? "–" }),
      h("td", { text: e.reason ?? "" })));
    const count = Number(details.error_count) || errors.length;
    return [
      table(t("upload.errors.caption"), [t("upload.errors.row"), t("upload.errors.column"),
        t("upload.errors.reason")], rows, { "data-testid": "upload-errors" }),
      count > errors.length
        ? h("p", { class: "hint", text: t("upload.errors.more",
          { shown: fmtNumber(errors.length), count: fmtNumber(count) }) })
        : null];
  }

  // -- parts --------------------------------------------------------------------------------
  const layoutSelect = h("select", { "data-testid": "sheet-layout", name: "layout" },
    LAYOUTS.map((id) => h("option", { value: id, text: t(`layout.${id}`) })));
  layoutSelect.value = LAYOUTS.includes(stored(LAYOUT_KEY, "")) ? stored(LAYOUT_KEY, "")
    : LAYOUTS[0];
  layoutSelect.addEventListener("change", () => store(LAYOUT_KEY, layoutSelect.value));

  // What download_label_sheet takes besides the layout: only the units not printed yet, the
  // labels already used on a partly used first sheet, and the printer's own shift (kept in
  // this browser: it belongs to the printer beside it). The function checks every value.
  const notPrinted = h("input", { type: "checkbox", "data-testid": "sheet-not-printed" });
  const skipInput = h("input", { type: "number", min: 0, step: 1, value: 0, inputmode: "numeric",
                                 "data-testid": "sheet-skip" });
  const offsets = stored(OFFSETS_KEY, {});
  const offsetInput = (axis) => {
    const input = h("input", { type: "number", step: 0.1, inputmode: "decimal",
                               "data-testid": `sheet-offset-${axis}`,
                               value: Number.isFinite(offsets[axis]) ? offsets[axis] : 0 });
    input.addEventListener("change", () => {
      const value = Number(input.value);
      store(OFFSETS_KEY, { ...stored(OFFSETS_KEY, {}), [axis]: Number.isFinite(value) ? value : 0 });
    });
    return input;
  };
  const offsetX = offsetInput("x");
  const offsetY = offsetInput("y");
  const notPrintedId = nextId("not-printed");
  notPrinted.id = notPrintedId;
  const sheetOptions = h("div", { class: "sheet-options" },
    h("div", { class: "check" }, notPrinted,
      h("label", { for: notPrintedId, text: t("sheet.notPrinted") })),
    field(t("sheet.skip"), skipInput, t("sheet.skip.hint")),
    h("details", { class: "printer-shift" },
      h("summary", { "data-testid": "sheet-shift", text: t("sheet.shift") }),
      h("p", { class: "hint", text: t("sheet.shift.hint") }),
      h("div", { class: "toolbar" }, field(t("sheet.shiftX"), offsetX),
        field(t("sheet.shiftY"), offsetY))));

  const partsHolder = h("div", { "aria-busy": "false" });
  const prevButton = h("button", { type: "button", text: t("parts.previous"),
    "data-testid": "parts-previous",
    onclick: () => { cursors.pop(); loadParts(); } });
  const nextButton = h("button", { type: "button", text: t("parts.next"),
    "data-testid": "parts-next", onclick: () => { cursors.push(nextCursor); loadParts(); } });
  const refreshButton = h("button", { type: "button", text: t("parts.refresh"),
                                      onclick: () => loadParts() });
  // Only the parts below their minimum (list_parts' below_minimum filter).
  const lowOnly = h("input", { type: "checkbox", id: nextId("low-only"),
    "data-testid": "parts-low-only", onchange: () => { cursors = [null]; loadParts(); } });
  let nextCursor = null;
  let partsRequest = 0;           // only the newest list_parts answer is drawn

  // The staff's low-stock notice: how many parts are below their minimum, asked again with
  // every reload of the list, and a button that lists them.
  const lowAlertText = h("span", {});
  const lowAlertShow = h("button", { type: "button", "data-testid": "low-stock-show",
    text: t("parts.lowAlert.show"),
    onclick: () => { lowOnly.checked = true; cursors = [null]; loadParts(); } });
  const lowAlert = h("p", { role: "status", class: "notice low-alert", hidden: true,
                            "data-testid": "low-stock-alert" }, lowAlertText, " ", lowAlertShow);
  let lowRequest = 0;

  async function loadLowAlert() {
    lowRequest += 1;
    const mine = lowRequest;
    try {
      const reply = await call("list_parts", { below_minimum: true, limit: LOW_ALERT_MOST });
      if (mine !== lowRequest) return;
      const count = (reply?.parts || []).length;
      lowAlert.hidden = count === 0;
      lowAlertText.textContent = reply?.next
        ? t("parts.lowAlert.more", { count: fmtNumber(count) })
        : t(count === 1 ? "parts.lowAlert.one" : "parts.lowAlert.other",
            { count: fmtNumber(count) });
      lowAlertShow.hidden = lowOnly.checked;
    } catch {
      if (mine === lowRequest) lowAlert.hidden = true;  // the list itself says what failed
    }
  }

  async function loadParts({ focusPart = null } = {}) {
    partsRequest += 1;
    const mine = partsRequest;
    partsHolder.setAttribute("aria-busy", "true");
    const after = cursors[cursors.length - 1];
    const data = { limit: PAGE_SIZE };
    if (after) data.after = after;
    if (lowOnly.checked) data.below_minimum = true;
    try {
      const reply = await call("list_parts", data);
      if (mine !== partsRequest) return;
      nextCursor = reply?.next ?? null;
      showParts(reply?.parts || []);
      if (focusPart !== null) {
        const again = [...partsHolder.querySelectorAll("[data-testid=min-edit]")]
          .find((b) => b.dataset.part === focusPart);
        (again || lowOnly).focus();
      }
    } catch (err) {
      if (mine === partsRequest) ctx.showError(err);
    } finally {
      if (mine === partsRequest) {
        partsHolder.setAttribute("aria-busy", "false");
        prevButton.disabled = cursors.length <= 1;
        nextButton.disabled = !nextCursor;
        loadLowAlert();  // after the list's own request, which goes first
      }
    }
  }

  function showParts(parts) {
    if (!parts.length) {
      fill(partsHolder, h("p", { "data-testid": "parts-empty",
                                 text: t(lowOnly.checked ? "parts.emptyLow" : "parts.empty") }),
        h("table", { "data-testid": "parts-table", hidden: true }));
      return;
    }
    const samples = stored(SAMPLE_KEY, {});
    const rows = parts.map((p) => {
      const code = p.part_code;
      const low = p.below_minimum === true;
      const minimumCell = h("td", { class: "minimum" });
      showMinimum(minimumCell, p);
      return h("tr", { "data-part": code, "data-low": low ? "true" : null,
                       class: low ? "low" : null },
        h("th", { scope: "row", class: "code", text: code }),
        h("td", { text: p.part_name ?? "" }),
        h("td", { class: "num", text: fmtNumber(p.units) }),
        h("td", { class: "num", text: fmtNumber(p.printed) }),
        h("td", { class: "num", text: fmtNumber(p.downloaded) }),
        h("td", { class: "num", text: fmtNumber(p.used) }),
        h("td", { class: "num" },
          h("span", { "data-testid": "part-available", text: fmtNumber(p.available) }),
          low ? [" ", h("span", { class: "badge low", "data-testid": "part-low" },
            t("parts.low"), sr(t("parts.low.sr")))] : null),
        minimumCell,
        h("td", { class: "actions" },
          h("button", { type: "button", "data-testid": "sheet-download", "data-part": code,
                        onclick: (e) => downloadSheet(code, e.currentTarget) },
            t("parts.sheet"), sr(` ${code}`)),
          h("button", { type: "button", "data-testid": "zip-download", "data-part": code,
                        onclick: (e) => downloadZip(code, e.currentTarget) },
            t("parts.zip"), sr(` ${code}`)),
          h("button", { type: "button", "data-testid": "label-view-part", "data-part": code,
                        onclick: () => viewPart(code, p.first_qr_id || samples[code]) },
            t("parts.view"), sr(` ${code}`))));
    });
    fill(partsHolder, table(t("parts.caption"), [t("parts.code"), t("parts.name"),
      t("parts.units"), t("parts.printed"), t("parts.downloaded"), t("parts.used"),
      t("parts.available"), t("parts.minimum"), t("parts.actions")], rows,
    { "data-testid": "parts-table" }));
  }

  // A part's minimum: the number (or "none") and a button that opens a small form in place.
  function showMinimum(cell, part) {
    const code = part.part_code;
    fill(cell,
      h("span", { "data-testid": "part-min", text: minimumText(part.min_units) }), " ",
      h("button", { type: "button", class: "small", "data-testid": "min-edit", "data-part": code,
                    onclick: () => editMinimum(cell, part) },
        t("minimum.edit"), sr(` ${t("minimum.edit.sr", { code })}`)));
  }

  function editMinimum(cell, part) {
    const code = part.part_code;
    const input = h("input", { type: "number", min: 0, step: 1, inputmode: "numeric",
      id: nextId("min"), "data-testid": "min-input", "data-part": code,
      value: part.min_units ?? "" });
    const save = h("button", { type: "submit", class: "small primary", "data-testid": "min-save",
                               text: t("minimum.save") });
    const remove = part.min_units === null || part.min_units === undefined ? null
      : h("button", { type: "button", class: "small", "data-testid": "min-clear",
                      text: t("minimum.clear"), onclick: () => saveMinimum(null) });
    const cancel = h("button", { type: "button", class: "small", "data-testid": "min-cancel",
      text: t("minimum.cancel"), onclick: () => close() });
    const buttons = [save, remove, cancel].filter(Boolean);
    const close = () => {
      showMinimum(cell, part);
      cell.querySelector("[data-testid=min-edit]")?.focus();
    };
    async function saveMinimum(value) {
      ctx.clearError();
      buttons.forEach((b) => { b.disabled = true; });
      status.textContent = t("common.saving");
      try {
        const reply = await call("set_part_minimum", { part_code: code, min_units: value });
        let text = reply?.min_units === null || reply?.min_units === undefined
          ? t("minimum.removed", { code })
          : t("minimum.saved", { code, min: fmtNumber(reply.min_units) });
        if (reply?.below_minimum) {
          text += " " + t("minimum.low", { code, available: fmtNumber(reply.available) });
        }
        if (reply?.alert_raised) text += " " + t("minimum.alerted");
        status.textContent = text;
        await loadParts({ focusPart: code });
      } catch (err) {
        status.textContent = "";
        ctx.showError(err);
        buttons.forEach((b) => { b.disabled = false; });
        input.focus();
      }
    }
    const form = h("form", { class: "min-form", "data-testid": "min-form",
      onsubmit: (event) => {
        event.preventDefault();
        const typed = parseMinimum(input.value);
        if (typed.empty || typed.invalid) { input.focus(); return; }
        saveMinimum(typed.value);
      },
      onkeydown: (event) => { if (event.key === "Escape") { event.preventDefault(); close(); } } },
    h("label", { for: input.id, class: "visually-hidden",
                 text: t("minimum.label", { code }) }),
    input, buttons);
    form.noValidate = true;  // the function says what is wrong, in the page's language
    fill(cell, form);
    input.focus();
    input.select();
  }

  async function busy(button, message, action) {
    ctx.clearError();
    button.disabled = true;
    status.textContent = message;
    try {
      const name = await action();
      status.textContent = t("download.done", { name });
      loadParts(); // printed / downloaded counts changed
    } catch (err) {
      status.textContent = "";
      ctx.showError(err);
    } finally {
      button.disabled = false;
    }
  }

  function downloadSheet(code, button) {
    const layout = layoutSelect.value;
    const query = new URLSearchParams({ part_code: code, layout });
    if (notPrinted.checked) query.set("not_printed", "true");
    for (const [name, input] of [["skip", skipInput], ["offset_x_mm", offsetX],
      ["offset_y_mm", offsetY]]) {
      const value = input.value.trim();
      if (value && Number(value) !== 0) query.set(name, value);
    }
    return busy(button, t("download.sheet", { code }),
      () => download(`download_label_sheet?${query}`, `labels_${code}_${layout}.pdf`));
  }

  function downloadZip(code, button) {
    const query = new URLSearchParams({ part_code: code });
    return busy(button, t("download.zip", { code }),
      () => download(`download_qr_zip?${query}`, `${code}_qr_codes.zip`));
  }

  // -- one label and its unit's life (generate_qr_image, get_unit) -------------------------
  // A scanner types the id and Enter into the field (the form's submit); on a phone the
  // camera reads a label into it. Either shows the label and the unit's history.
  const qrInput = h("input", { type: "text", name: "qr_id", autocomplete: "off",
    autocapitalize: "off", spellcheck: false, enterkeyhint: "go",
    "data-testid": "label-qr-id" });
  const viewerButton = h("button", { type: "submit", text: t("viewer.show"),
                                     "data-testid": "label-show" });
  const image = h("img", { "data-testid": "label-image", alt: "", hidden: true,
                           class: "label-image", width: 290, height: 290 });
  const imageCaption = h("figcaption", {});
  const viewerStatus = h("p", { role: "status", class: "status", "aria-live": "polite",
                                "data-testid": "viewer-status" });
  const unitHolder = h("div", { class: "unit-view", hidden: true, "data-testid": "unit-view" });
  let shownUnit = null;           // the qr_id whose life is shown
  let viewRequest = 0;            // only the newest answer is drawn

  function viewPart(code, sample) {
    if (sample) {
      qrInput.value = sample;
      showLabel();
      return;
    }
    qrInput.value = ASCII_PART_CODE.test(code) ? `${code}-` : "";
    viewerStatus.textContent = t("viewer.typeId", { code });
    qrInput.focus();
  }

  async function showLabel(event) {
    event?.preventDefault();
    const qrId = qrInput.value.trim();
    if (!qrId) { qrInput.focus(); return; }
    ctx.clearError();
    viewRequest += 1;
    const mine = viewRequest;
    viewerButton.disabled = true;
    viewerStatus.textContent = t("common.loading");
    const [picture, unit] = await Promise.allSettled([
      fetchFunction(`generate_qr_image/${encodeURIComponent(qrId)}`).then((res) => res.blob()),
      call("get_unit", { qr_id: qrId })]);
    if (mine !== viewRequest) return;
    viewerButton.disabled = false;
    if (picture.status === "fulfilled") {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(picture.value);
      image.src = objectUrl;
      image.alt = t("viewer.alt", { id: qrId });
      image.hidden = false;
      imageCaption.textContent = qrId;
    } else {
      image.hidden = true;
      imageCaption.textContent = "";
    }
    if (unit.status === "fulfilled") {
      showUnit(unit.value || {}, qrId);
    } else {
      shownUnit = null;
      unitHolder.hidden = true;
      fill(unitHolder);
    }
    const failed = [picture, unit].find((r) => r.status === "rejected");
    if (failed) ctx.showError(failed.reason);
    viewerStatus.textContent = failed && picture.status === "rejected" ? ""
      : t(unit.status === "fulfilled" ? "viewer.shownUnit" : "viewer.shown", { id: qrId });
  }

  const layoutName = (id) => (LAYOUTS.includes(id) ? t(`layout.${id}`) : id);

  function eventItem(event) {
    const at = event.at
      ? h("time", { dateTime: event.at, text: fmtDate(event.at) })
      : h("span", { class: "unknown-time", text: t("unit.at.unknown") });
    const details = eventDetails(event, { layoutName }).map((d) => h("span",
      { class: "event-detail", text: t(d.key, { ...d.params,
        ...("count" in d.params ? { count: fmtNumber(d.params.count) } : {}) }) }));
    return h("li", { "data-kind": event.kind ?? "other", class: `event event-${event.kind}` },
      h("span", { class: "event-kind", text: t(kindKey(event.kind)) }),
      h("span", { class: "event-when" }, at),
      event.by ? h("span", { class: "event-by", text: t("unit.by", { who: event.by }) }) : null,
      details);
  }

  function showUnit(unit, qrId) {
    shownUnit = unit.qr_id || qrId;
    const events = Array.isArray(unit.events) ? unit.events : [];
    const historyId = nextId("unit-history");
    fill(unitHolder,
      h("dl", { class: "facts unit-facts" },
        h("div", {}, h("dt", { text: t("parts.code") }),
          h("dd", { class: "code", "data-testid": "unit-part-code", text: unit.part_code ?? "–" })),
        h("div", {}, h("dt", { text: t("parts.name") }),
          h("dd", { "data-testid": "unit-part-name", text: unit.part_name || "–" })),
        h("div", {}, h("dt", { text: t("unit.state") }),
          h("dd", {}, h("span", { class: unit.used ? "badge used" : "badge in-stock",
                                  "data-testid": "unit-state", "data-used": String(!!unit.used),
                                  text: t(unit.used ? "unit.used" : "unit.inStock") })))),
      h("h3", { id: historyId, text: t("unit.history", { id: shownUnit }) }),
      events.length
        ? h("ol", { class: "unit-events", "data-testid": "unit-events",
                    "aria-labelledby": historyId }, events.map(eventItem))
        : h("p", { "data-testid": "unit-events-none", text: t("unit.noEvents") }));
    unitHolder.hidden = false;
  }

  // The camera reads one label, then stops and shows it (qr-reader.js: the browser's own
  // reader or ZXing in WebAssembly).
  let camera = null;
  const video = h("video", { class: "camera", hidden: true, muted: true, playsInline: true,
                             "aria-label": t("camera.view") });
  const cameraButton = h("button", { type: "button", "data-testid": "viewer-camera",
    hidden: !navigator.mediaDevices?.getUserMedia, text: t("viewer.camera"),
    onclick: () => toggleCamera() });

  async function toggleCamera() {
    if (camera) { stopCamera(); return; }
    ctx.clearError();
    try {
      camera = await startCamera(video, (values) => {
        stopCamera();
        qrInput.value = values[0];
        qrInput.focus();
        showLabel();
      });
      cameraButton.textContent = t("camera.stop");
      viewerStatus.textContent = t("viewer.cameraOn");
    } catch (err) {
      stopCamera();
      ctx.showError({ message: t("camera.failed", { reason: err?.message || err?.name || "" }) });
    }
  }

  function stopCamera() {
    camera?.stop();
    camera = null;
    cameraButton.textContent = t("viewer.camera");
  }

  // -- export (export_inventory) --------------------------------------------------------------
  const exportStatus = h("p", { role: "status", class: "status", "aria-live": "polite",
                                "data-testid": "export-status" });

  async function exportFile(scope, format, button) {
    ctx.clearError();
    button.disabled = true;
    exportStatus.textContent = t("export.working");
    try {
      const name = await download(exportPath(scope, format),
        `inventory_${scope}.${format}`);
      exportStatus.textContent = t("download.done", { name });
    } catch (err) {
      exportStatus.textContent = "";
      ctx.showError(err);
    } finally {
      button.disabled = false;
    }
  }

  const exportButtons = EXPORT_SCOPES.flatMap((scope) => EXPORT_FORMATS.map((format) =>
    h("button", { type: "button", "data-testid": `export-${scope}-${format}`,
                  onclick: (e) => exportFile(scope, format, e.currentTarget),
                  text: t(`export.${scope}.${format}`) })));

  const uploadBox = h("section", { "aria-labelledby": "h-upload", class: "drop-zone",
      ondragover: (e) => { e.preventDefault(); uploadBox.classList.add("dropping"); },
      ondragleave: () => uploadBox.classList.remove("dropping"),
      ondrop: onDrop },
    h("h2", { id: "h-upload", text: t("upload.title") }),
    h("p", { class: "hint", text: t("upload.hint") }),
    h("form", { onsubmit: onUpload, class: "inline-form" }, filePicker, uploadButton),
    progressRow, uploadStatus, previewHolder, uploadErrors);

  // -- units taken from stock (mark_units_used) ---------------------------------------------
  const usedIds = h("textarea", { rows: 4, autocomplete: "off", autocapitalize: "off",
                                  spellcheck: false, "data-testid": "used-ids" });
  const usedReason = h("input", { type: "text", required: true, maxLength: 200,
                                  "data-testid": "used-reason" });
  const usedButton = h("button", { type: "submit", "data-testid": "used-submit",
                                   text: t("used.submit") });
  const usedStatus = h("p", { role: "status", class: "status", "aria-live": "polite",
                              "data-testid": "used-status" });

  async function onUsed(event) {
    event.preventDefault();
    // One id a line (a scanner ends each scan with Enter), commas and spaces too; each once.
    const ids = [...new Set(usedIds.value.split(/[\s,;]+/).filter(Boolean))];
    if (!ids.length) { usedIds.focus(); return; }
    const reason = usedReason.value.trim();
    if (!reason) { usedReason.focus(); return; }
    ctx.clearError();
    usedButton.disabled = true;
    usedStatus.textContent = t("common.saving");
    try {
      const reply = await call("mark_units_used", { qr_ids: ids, reason });
      const already = reply?.already_used?.length || 0;
      usedStatus.textContent = t("used.done", { marked: fmtNumber(reply?.marked ?? 0) })
        + (already ? ` ${t("used.already", { count: fmtNumber(already) })}` : "");
      usedIds.value = "";
      loadParts();
      if (shownUnit && ids.includes(shownUnit) && qrInput.value.trim() === shownUnit) showLabel();
    } catch (err) {
      usedStatus.textContent = "";
      ctx.showError(err);
    } finally {
      usedButton.disabled = false;
    }
  }

  const node = h("div", { class: "page" },
    h("h1", { tabindex: "-1", text: t("labels.title") }),
    uploadBox,
    h("section", { "aria-labelledby": "h-parts" },
      h("h2", { id: "h-parts", text: t("parts.title") }),
      lowAlert,
      h("div", { class: "toolbar" }, field(t("parts.layout"), layoutSelect), refreshButton),
      h("div", { class: "check low-only" }, lowOnly,
        h("label", { for: lowOnly.id, text: t("parts.lowOnly") })),
      sheetOptions,
      status,
      partsHolder,
      h("div", { class: "pager" }, prevButton, nextButton)),
    h("section", { "aria-labelledby": "h-used" },
      h("h2", { id: "h-used", text: t("used.title") }),
      h("form", { onsubmit: onUsed },
        field(t("used.ids"), usedIds, t("used.ids.hint")),
        h("div", { class: "inline-form" }, field(t("used.reason"), usedReason), usedButton)),
      usedStatus),
    h("section", { "aria-labelledby": "h-export" },
      h("h2", { id: "h-export", text: t("export.title") }),
      h("p", { class: "hint", text: t("export.hint") }),
      h("div", { class: "buttons" }, exportButtons),
      exportStatus),
    h("section", { "aria-labelledby": "h-viewer" },
      h("h2", { id: "h-viewer", text: t("viewer.title") }),
      h("form", { onsubmit: showLabel, class: "inline-form" },
        field(t("viewer.qrId"), qrInput, t("viewer.hint")), viewerButton, cameraButton),
      video,
      viewerStatus,
      h("div", { class: "unit-layout" },
        h("figure", { class: "label-figure" }, image, imageCaption),
        unitHolder)));

  prevButton.disabled = true;
  nextButton.disabled = true;
  loadParts();
  return { node, dispose: () => { stopCamera(); if (objectUrl) URL.revokeObjectURL(objectUrl); } };
}
