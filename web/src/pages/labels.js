// Labels: upload a parts list, list the parts, download label sheets and ZIPs, view a label.
import { h, fill, field, nextId, sr, table } from "../dom.js";
import { call, download, fetchFunction, uploadParts } from "../api.js";
import { t, fmtNumber, fmtPercent } from "../i18n.js";

export const LAYOUTS = ["avery-l7160", "avery-l7163", "avery-l7651", "herma-4677", "avery-5160",
  "brother-dk-1201", "brother-dk-1202", "zebra-2x1"];
const PAGE_SIZE = 50;
const LAYOUT_KEY = "console.sheetLayout";
const OFFSETS_KEY = "console.printerShiftMm"; // {x, y}
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
  const status = h("p", { role: "status", class: "status", "aria-live": "polite" });

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
  fileInput.addEventListener("change", showChosen);
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
    showChosen();
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

  async function onUpload(event) {
    event.preventDefault();
    const file = fileInput.files?.[0];
    if (!file) { chooseButton.focus(); return; }
    ctx.clearError();
    fill(uploadErrors);
    uploadButton.disabled = true;
    progressRow.hidden = false;
    progress.value = 0;
    progressText.textContent = fmtPercent(0);
    uploadStatus.textContent = t("upload.sending", { name: file.name });
    let announcedProcessing = false;
    try {
      const reply = await uploadParts(file, (loaded, total) => {
        const share = total ? loaded / total : 1;
        progress.value = Math.round(share * 100);
        progressText.textContent = fmtPercent(share);
        if (share >= 1 && !announcedProcessing) {
          announcedProcessing = true;
          uploadStatus.textContent = t("upload.processing");
        }
      });
      progress.value = 100;
      progressText.textContent = fmtPercent(1);
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
    } catch (err) {
      uploadStatus.textContent = t("upload.failed");
      ctx.showError(err);
      showRowErrors(err.details);
    } finally {
      uploadButton.disabled = false;
    }
  }

  function showRowErrors(details) {
    const errors = Array.isArray(details?.errors) ? details.errors : [];
    if (!errors.length) return;
    const rows = errors.map((e) => h("tr", {},
      h("td", { class: "num", text: fmtNumber(e.row) }),
      h("td", { text: e.column ?? "–" }),
      h("td", { text: e.reason ?? "" })));
    const count = Number(details.error_count) || errors.length;
    fill(uploadErrors,
      table(t("upload.errors.caption"), [t("upload.errors.row"), t("upload.errors.column"),
        t("upload.errors.reason")], rows, { "data-testid": "upload-errors" }),
      count > errors.length
        ? h("p", { class: "hint", text: t("upload.errors.more",
          { shown: fmtNumber(errors.length), count: fmtNumber(count) }) })
        : null);
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
  let nextCursor = null;

  async function loadParts() {
    partsHolder.setAttribute("aria-busy", "true");
    const after = cursors[cursors.length - 1];
    try {
      const reply = await call("list_parts", after ? { after, limit: PAGE_SIZE }
        : { limit: PAGE_SIZE });
      nextCursor = reply?.next ?? null;
      showParts(reply?.parts || []);
    } catch (err) {
      ctx.showError(err);
    } finally {
      partsHolder.setAttribute("aria-busy", "false");
      prevButton.disabled = cursors.length <= 1;
      nextButton.disabled = !nextCursor;
    }
  }

  function showParts(parts) {
    if (!parts.length) {
      fill(partsHolder, h("p", { "data-testid": "parts-empty", text: t("parts.empty") }),
        h("table", { "data-testid": "parts-table", hidden: true }));
      return;
    }
    const samples = stored(SAMPLE_KEY, {});
    const rows = parts.map((p) => {
      const code = p.part_code;
      return h("tr", { "data-part": code },
        h("th", { scope: "row", class: "code", text: code }),
        h("td", { text: p.part_name ?? "" }),
        h("td", { class: "num", text: fmtNumber(p.units) }),
        h("td", { class: "num", text: fmtNumber(p.printed) }),
        h("td", { class: "num", text: fmtNumber(p.downloaded) }),
        h("td", { class: "num", text: fmtNumber(p.used) }),
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
      t("parts.actions")], rows, { "data-testid": "parts-table" }));
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

  // -- one label ----------------------------------------------------------------------------
  const qrInput = h("input", { type: "text", name: "qr_id", autocomplete: "off",
    autocapitalize: "off", spellcheck: false, "data-testid": "label-qr-id" });
  const viewerButton = h("button", { type: "submit", text: t("viewer.show"),
                                     "data-testid": "label-show" });
  const image = h("img", { "data-testid": "label-image", alt: "", hidden: true,
                           class: "label-image", width: 290, height: 290 });
  const imageCaption = h("figcaption", {});
  const viewerStatus = h("p", { role: "status", class: "status", "aria-live": "polite" });

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
    viewerButton.disabled = true;
    try {
      const res = await fetchFunction(`generate_qr_image/${encodeURIComponent(qrId)}`);
      const blob = await res.blob();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(blob);
      image.src = objectUrl;
      image.alt = t("viewer.alt", { id: qrId });
      image.hidden = false;
      imageCaption.textContent = qrId;
      viewerStatus.textContent = t("viewer.shown", { id: qrId });
    } catch (err) {
      image.hidden = true;
      imageCaption.textContent = "";
      viewerStatus.textContent = "";
      ctx.showError(err);
    } finally {
      viewerButton.disabled = false;
    }
  }

  const uploadBox = h("section", { "aria-labelledby": "h-upload", class: "drop-zone",
      ondragover: (e) => { e.preventDefault(); uploadBox.classList.add("dropping"); },
      ondragleave: () => uploadBox.classList.remove("dropping"),
      ondrop: onDrop },
    h("h2", { id: "h-upload", text: t("upload.title") }),
    h("p", { class: "hint", text: t("upload.hint") }),
    h("form", { onsubmit: onUpload, class: "inline-form" }, filePicker, uploadButton),
    progressRow, uploadStatus, uploadErrors);

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
      h("div", { class: "toolbar" }, field(t("parts.layout"), layoutSelect), refreshButton),
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
    h("section", { "aria-labelledby": "h-viewer" },
      h("h2", { id: "h-viewer", text: t("viewer.title") }),
      h("form", { onsubmit: showLabel, class: "inline-form" },
        field(t("viewer.qrId"), qrInput, t("viewer.hint")), viewerButton),
      viewerStatus,
      h("figure", { class: "label-figure" }, image, imageCaption)));

  prevButton.disabled = true;
  nextButton.disabled = true;
  loadParts();
  return { node, dispose: () => { if (objectUrl) URL.revokeObjectURL(objectUrl); } };
}
