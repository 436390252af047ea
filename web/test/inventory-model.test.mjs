// The Labels page's stock rules (web/src/inventory-model.js): a unit's events as catalog
// entries, a typed minimum, a dry run read as a preview, the export paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EVENT_KINDS, eventDetails, exportPath, kindKey, parseMinimum, partNotes, readDryRun,
  stockNotice }
  from "../src/inventory-model.js";

test("each known kind has its own key; any other is 'other'", () => {
  for (const kind of EVENT_KINDS) assert.equal(kindKey(kind), `unit.kind.${kind}`);
  assert.equal(kindKey("teleported"), "unit.kind.other");
  assert.equal(kindKey(undefined), "unit.kind.other");
});

test("a print's layout, named by the page; an old record's uncounted prints", () => {
  const name = (id) => `<${id}>`;
  assert.deepEqual(eventDetails({ kind: "printed", layout: "herma-4677" }, { layoutName: name }),
    [{ key: "unit.detail.layout", params: { layout: "<herma-4677>" } }]);
  assert.deepEqual(eventDetails({ kind: "printed", recorded: false, times: 3 }),
    [{ key: "unit.earlier.printed", params: { count: 3 } }]);
  assert.deepEqual(eventDetails({ kind: "downloaded", recorded: false, times: 2 }),
    [{ key: "unit.earlier.downloaded", params: { count: 2 } }]);
  assert.deepEqual(eventDetails({ kind: "downloaded", recorded: false }),
    [{ key: "unit.notItemised", params: {} }]);
  assert.deepEqual(eventDetails({ kind: "downloaded" }), []);
});

test("a count's name (else its id) and a use's reason", () => {
  assert.deepEqual(eventDetails({ kind: "counted", session_id: "s1", session_name: "Raf A" }),
    [{ key: "unit.detail.session", params: { name: "Raf A" } }]);
  assert.deepEqual(eventDetails({ kind: "counted", session_id: "s1", session_name: null }),
    [{ key: "unit.detail.session", params: { name: "s1" } }]);
  assert.deepEqual(eventDetails({ kind: "used", reason: "Satıldı" }),
    [{ key: "unit.detail.reason", params: { reason: "Satıldı" } }]);
  assert.deepEqual(eventDetails({ kind: "created" }), []);
  assert.deepEqual(eventDetails(null), []);
});

test("a typed minimum: nothing, a number (the function judges it), or no number", () => {
  assert.deepEqual(parseMinimum(""), { empty: true });
  assert.deepEqual(parseMinimum("  "), { empty: true });
  assert.deepEqual(parseMinimum(undefined), { empty: true });
  assert.deepEqual(parseMinimum(" 12 "), { value: 12 });
  assert.deepEqual(parseMinimum("0"), { value: 0 });
  assert.deepEqual(parseMinimum("-1"), { value: -1 });
  assert.deepEqual(parseMinimum("2.5"), { value: 2.5 });
  assert.deepEqual(parseMinimum("abc"), { invalid: true });
});

test("a dry run: its numbers, the parts' notes, minimums and refused rows", () => {
  const dry = readDryRun({
    dry_run: true,
    summary: { parts: 2, units_requested: 5, units_added: 3, units_existing: 2,
               quantity_decreases_not_applied: 1,
               details: [{ part_code: "A", part_name: "A", requested: 3, existing: 0, added: 3 },
                         { part_code: "B", part_name: "Bee", requested: 1, existing: 2, added: 0,
                           not_removed: 1, renamed_from: "Bé" }] },
    minimum_changes: [{ part_code: "A", from: null, to: 4 }],
    refused: [], refused_count: 0 });
  assert.equal(dry.parts, 2);
  assert.equal(dry.unitsAdded, 3);
  assert.equal(dry.unitsExisting, 2);
  assert.equal(dry.decreases, 1);
  assert.deepEqual(dry.details[0].notes, []);
  assert.deepEqual(dry.details[1].notes, [
    { key: "upload.preview.renamed", params: { from: "Bé" } },
    { key: "upload.preview.notRemoved", params: { count: 1 } }]);
  assert.deepEqual(dry.minimums, [{ part_code: "A", from: null, to: 4 }]);
  assert.equal(dry.confirmable, true);
});

test("a dry run with a refused row cannot be confirmed, even when only counted", () => {
  const refused = [{ row: 3, column: "quantity", reason: "bad" }];
  assert.equal(readDryRun({ dry_run: true, summary: {}, refused, refused_count: 1 })
    .confirmable, false);
  const counted = readDryRun({ dry_run: true, summary: {}, refused: [], refused_count: 1200 });
  assert.equal(counted.confirmable, false);
  assert.equal(counted.refusedCount, 1200);
  assert.equal(readDryRun({ dry_run: true, summary: {}, refused }).refusedCount, 1);
  assert.deepEqual(readDryRun({}).details, []);
  assert.deepEqual(partNotes({}), []);
});

test("export paths: the four choices only", () => {
  assert.equal(exportPath("parts", "xlsx"), "export_inventory?format=xlsx&scope=parts");
  assert.equal(exportPath("units", "csv"), "export_inventory?format=csv&scope=units");
  assert.throws(() => exportPath("parts", "pdf"));
  assert.throws(() => exportPath("people", "csv"));
});

test("a low-stock notice and the day's digest, named; other notices are not the stock's", () => {
  assert.deepEqual(stockNotice({ kind: "low_stock", part_code: "A-1", part_name: "Somun",
                                 available: 1, min_units: 2 }),
    { key: "notice.lowStock", params: { code: "A-1", name: "Somun", available: 1, min: 2 } });
  const parts = ["A", "B", "C", "D", "E", "F"].map((code) => ({ part_code: code }));
  assert.deepEqual(stockNotice({ kind: "low_stock_digest", count: 6, more: false, parts }),
    { key: "notice.lowStockDigest", params: { count: 6, codes: "A, B, C, D, E, …" } });
  assert.deepEqual(stockNotice({ kind: "low_stock_digest", count: 2, more: false,
                                 parts: parts.slice(0, 2) }),
    { key: "notice.lowStockDigest", params: { count: 2, codes: "A, B" } });
  assert.deepEqual(stockNotice({ kind: "low_stock_digest", count: 50, more: true,
                                 parts: parts.slice(0, 1) }).params.codes, "A, …");
  assert.equal(stockNotice({ kind: "vision_quota" }), null);
  assert.equal(stockNotice(null), null);
});
