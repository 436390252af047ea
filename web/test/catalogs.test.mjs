// Both catalogs have the same keys and, key by key, the same {placeholders}; every key the
// source asks for by name exists; dynamic keys (t(`state.${x}`)) are listed below.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import en from "../src/i18n/en.js";
import tr from "../src/i18n/tr.js";
import { CAUSES, STATES, CATEGORIES, LIKELIHOODS } from "../src/review-model.js";
import { EVENT_KINDS, EXPORT_FORMATS, EXPORT_SCOPES } from "../src/inventory-model.js";

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("both catalogs have the same keys", () => {
  const missingInTr = Object.keys(en).filter((k) => !(k in tr));
  const missingInEn = Object.keys(tr).filter((k) => !(k in en));
  assert.deepEqual(missingInTr, [], "keys missing in tr.js");
  assert.deepEqual(missingInEn, [], "keys missing in en.js");
});

test("each key has the same {placeholders} in both languages", () => {
  const differ = Object.keys(en).filter((k) => k in tr
    && JSON.stringify(placeholders(en[k])) !== JSON.stringify(placeholders(tr[k])));
  assert.deepEqual(differ, []);
});

test("no text is empty", () => {
  for (const [name, catalog] of Object.entries({ en, tr })) {
    const empty = Object.keys(catalog).filter((k) => typeof catalog[k] !== "string"
      || !catalog[k].trim());
    assert.deepEqual(empty, [], `empty texts in ${name}`);
  }
});

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "i18n" ? [] : sources(path);
    return name.endsWith(".js") ? [readFileSync(path, "utf8")] : [];
  });
}

test("every key the source names is in the catalog", () => {
  const src = sources(new URL("../src", import.meta.url).pathname).join("\n");
  const named = new Set([...src.matchAll(/\bt\(\s*"([^"]+)"/g)].map((m) => m[1]));
  for (const m of src.matchAll(/"((?:signin\.error|vision|audit\.action)\.[\w.]+)"/g)) {
    named.add(m[1]);
  }
  // Keys built at run time.
  const dynamic = [
    ...["tr", "en"].map((c) => `lang.${c}`),
    ...["open", "finishing", "finished", "cancelled"].map((s) => `state.${s}`),
    ...["pending", "accepted", "duplicate", "invalid", "discarded"].map((s) => `scan.${s}`),
    ...["unknown", "used", "out_of_scope", "other"].map((r) => `scan.unexpected.${r}`),
    ...["expected", "found", "missing", "unexpected"].map((k) => `count.${k}`),
    ...["deny", "allow", "warn", "local"].flatMap((s) => [`strategy.${s}`, `strategy.${s}.help`]),
    ...["vision_switched_off", "vision_already_off", "forecast", "other"]
      .map((e) => `notice.budget.${e}`),
    ...["avery-l7160", "avery-l7163", "avery-l7651", "herma-4677", "avery-5160",
      "brother-dk-1201", "brother-dk-1202", "zebra-2x1"].map((l) => `layout.${l}`),
    ...["nav.labels", "nav.counting", "nav.review", "nav.vision", "role.admin", "role.staff",
      "role.moderator", "role.none"],
    ...["adminsonly", "moderatorsonly", "staffonly"].flatMap((p) => [`${p}.title`, `${p}.body`]),
    ...CAUSES.map((c) => `review.cause.${c}`),
    ...STATES.map((s) => `review.state.${s}`),
    ...CATEGORIES.map((c) => `review.category.${c}`),
    ...LIKELIHOODS.map((l) => `review.likelihood.${l}`),
    ...["now", "minutes", "hours", "days"].map((u) => `review.age.${u}`),
    ...[...EVENT_KINDS, "other"].map((k) => `unit.kind.${k}`),
    ...["printed", "downloaded"].map((k) => `unit.earlier.${k}`),
    ...["upload.preview.renamed", "upload.preview.notRemoved", "unit.notItemised",
      "unit.detail.layout", "unit.detail.session", "unit.detail.reason"],
    ...EXPORT_SCOPES.flatMap((s) => EXPORT_FORMATS.map((f) => `export.${s}.${f}`)),
    "notice.lowStock", "notice.lowStockDigest",
  ];
  const missing = [...named, ...dynamic].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
});

test("the reset confirmation words differ by language", () => {
  assert.equal(en["vision.reset.word"], "RESET");
  assert.equal(tr["vision.reset.word"], "SIFIRLA");
});
