// The Labels page's stock rules, pure (no DOM, no Firebase; web/test/inventory-model.test.mjs
// checks them): a unit's life events as catalog entries, a typed minimum, an upload's dry run
// read as a preview, and the export choices.

// get_unit's event kinds, oldest first in a unit's life; any other kind is shown as "other".
export const EVENT_KINDS = ["created", "stored", "printed", "downloaded", "counted", "used"];
// export_inventory's choices: what is listed, and the file's format.
export const EXPORT_SCOPES = ["parts", "units"];
export const EXPORT_FORMATS = ["xlsx", "csv"];

export function kindKey(kind) {
  return EVENT_KINDS.includes(kind) ? `unit.kind.${kind}` : "unit.kind.other";
}

const whole = (value) => Number.isInteger(value) && value >= 0;

// The details of one event, in the order shown: [{key, params}] for t(). `layoutName` turns
// a layout id into the page's words for it.
export function eventDetails(event, { layoutName = (id) => id } = {}) {
  const out = [];
  const kind = event?.kind;
  if (kind === "printed" || kind === "downloaded") {
    // From a record older than the history: how many times, not when nor by whom.
    if (event.recorded === false) {
      out.push(whole(event.times) && event.times > 0
        ? { key: `unit.earlier.${kind}`, params: { count: event.times } }
        : { key: "unit.notItemised", params: {} });
    }
    if (kind === "printed" && typeof event.layout === "string" && event.layout) {
      out.push({ key: "unit.detail.layout", params: { layout: layoutName(event.layout) } });
    }
  } else if (kind === "counted") {
    const name = event.session_name || event.session_id;
    if (name) out.push({ key: "unit.detail.session", params: { name } });
  } else if (kind === "used") {
    if (event.reason) out.push({ key: "unit.detail.reason", params: { reason: event.reason } });
  }
  return out;
}

// A minimum as typed: {empty: true} for nothing typed, else {value: a number} (whether the
// number is a whole one of 0 or more is set_part_minimum's to say, in the page's language),
// or {invalid: true} for text that is no number.
export function parseMinimum(text) {
  const typed = String(text ?? "").trim();
  if (!typed) return { empty: true };
  const value = Number(typed);
  return Number.isFinite(value) ? { value } : { invalid: true };
}

// upload_parts' dry run as the preview shows it: the parts with their notes, the minimum
// changes, the refused rows; confirmable only when no row is refused.
export function readDryRun(reply) {
  const summary = reply?.summary || {};
  const details = Array.isArray(summary.details) ? summary.details : [];
  const minimums = Array.isArray(reply?.minimum_changes) ? reply.minimum_changes : [];
  const refused = Array.isArray(reply?.refused) ? reply.refused : [];
  const refusedCount = Math.max(Number(reply?.refused_count) || 0, refused.length);
  return {
    parts: summary.parts ?? details.length,
    unitsRequested: summary.units_requested ?? null,
    unitsAdded: summary.units_added ?? 0,
    unitsExisting: summary.units_existing ?? 0,
    decreases: summary.quantity_decreases_not_applied ?? 0,
    details: details.map((d) => ({ ...d, notes: partNotes(d) })),
    minimums,
    refused,
    refusedCount,
    confirmable: refusedCount === 0,
  };
}

// What a part's line of the preview says besides its numbers.
export function partNotes(detail) {
  const notes = [];
  if (detail?.renamed_from) {
    notes.push({ key: "upload.preview.renamed", params: { from: detail.renamed_from } });
  }
  if (Number(detail?.not_removed) > 0) {
    notes.push({ key: "upload.preview.notRemoved", params: { count: Number(detail.not_removed) } });
  }
  return notes;
}

// export_inventory's path for a choice; only the choices above.
export function exportPath(scope, format) {
  if (!EXPORT_SCOPES.includes(scope) || !EXPORT_FORMATS.includes(format)) {
    throw new Error(`no export ${scope}/${format}`);
  }
  return `export_inventory?${new URLSearchParams({ format, scope })}`;
}

// The admin notices the stock raises (functions/qr/stock_levels.py), as catalog entries:
// one part gone below its minimum ("low_stock"), or the day's list of them
// ("low_stock_digest", at most a few codes named); null for any other notice.
export const DIGEST_CODES = 5;

export function stockNotice(n) {
  if (n?.kind === "low_stock") {
    return { key: "notice.lowStock", params: { code: n.part_code ?? "", name: n.part_name ?? "",
                                               available: n.available, min: n.min_units } };
  }
  if (n?.kind === "low_stock_digest") {
    const parts = Array.isArray(n.parts) ? n.parts : [];
    const codes = parts.slice(0, DIGEST_CODES).map((p) => p?.part_code).filter(Boolean);
    const more = n.more === true || parts.length > codes.length;
    return { key: "notice.lowStockDigest",
             params: { count: n.count ?? parts.length,
                       codes: codes.join(", ") + (more ? ", …" : "") } };
  }
  return null;
}
