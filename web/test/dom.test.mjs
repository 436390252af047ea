// The page helper h() (web/src/dom.js): only the attributes and properties the console uses,
// never innerHTML & co., never a javascript: URL, never a <script>; and every h() call in
// web/src uses only keys h() accepts. Node has no DOM: a small stand-in records what h() does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

class FakeNode {}

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.listeners = new Map();
    this.children = [];
    this.className = "";
    this.textContent = "";
  }
  setAttribute(name, value) { this.attributes.set(name, String(value)); }
  getAttribute(name) { return this.attributes.has(name) ? this.attributes.get(name) : null; }
  addEventListener(type, listener) { this.listeners.set(type, listener); }
  append(...nodes) { this.children.push(...nodes); }
  replaceChildren(...nodes) { this.children = nodes; }
}

globalThis.Node = FakeNode;
globalThis.document = { createElement: (tag) => new FakeElement(tag) };
const { h, fill, field, table, urlScheme } = await import("../src/dom.js");

test("class, text, listeners, attributes and properties are set as the console means", () => {
  const onclick = () => {};
  const el = h("button", { class: "primary small", text: "<b>Save</b>", type: "button",
    onclick, disabled: true, "data-testid": "save", "aria-describedby": "hint-1",
    role: "switch", tabindex: "0" }, "after");
  assert.equal(el.tagName, "BUTTON");
  assert.equal(el.className, "primary small");
  assert.equal(el.textContent, "<b>Save</b>"); // text, never parsed as HTML
  assert.equal(el.type, "button");
  assert.equal(el.disabled, true);
  assert.equal(el.listeners.get("click"), onclick);
  assert.equal(el.getAttribute("data-testid"), "save");
  assert.equal(el.getAttribute("aria-describedby"), "hint-1");
  assert.equal(el.getAttribute("role"), "switch");
  assert.equal(el.getAttribute("tabindex"), "0");
  assert.deepEqual(el.children, ["after"]);
  assert.equal("innerHTML" in el, false);
});

test("every property the console uses is accepted", () => {
  const input = h("input", { id: "f-1", type: "number", name: "limit", value: "5", min: 0,
    max: 10, step: 1, required: true, maxLength: 200, placeholder: "5", title: "Limit",
    accept: ".csv", multiple: true, checked: true, autocomplete: "off", inputmode: "numeric",
    enterkeyhint: "send", autocapitalize: "off", list: "l-1", spellcheck: false });
  assert.equal(input.id, "f-1");
  assert.equal(input.maxLength, 200);
  assert.equal(input.spellcheck, false); // false is a value here, not "leave the default"
  assert.equal(input.getAttribute("inputmode"), "numeric");
  assert.equal(input.getAttribute("list"), "l-1");
  const option = h("option", { value: "tr", lang: "tr", selected: true, text: "Türkçe" });
  assert.equal(option.lang, "tr");
  assert.equal(option.selected, true);
  const video = h("video", { muted: true, playsInline: true, hidden: true });
  assert.equal(video.playsInline, true);
  const img = h("img", { alt: "QR", width: 290, height: 290 });
  assert.equal(img.alt, "QR");
  assert.equal(h("time", { dateTime: "2024-01-01T00:00:00Z" }).dateTime,
    "2024-01-01T00:00:00Z");
  assert.equal(h("textarea", { rows: 4 }).rows, 4);
  assert.equal(h("label", { for: "f-1" }).getAttribute("for"), "f-1");
  assert.equal(h("th", { scope: "col" }).getAttribute("scope"), "col");
  assert.equal(h("td", { colspan: 3 }).getAttribute("colspan"), "3");
});

test("undefined, null and false leave a key unset; true on an attribute sets it empty", () => {
  const el = h("button", { hidden: false, disabled: null, title: undefined,
    "aria-current": null, "data-flagged": true, onclick: undefined });
  assert.equal("hidden" in el, false);
  assert.equal("disabled" in el, false);
  assert.equal("title" in el, false);
  assert.equal(el.getAttribute("aria-current"), null);
  assert.equal(el.getAttribute("data-flagged"), "");
  assert.equal(el.listeners.size, 0);
});

test("links: relative, hash, http(s) and mailto hrefs are accepted", () => {
  for (const href of ["#/labels", "#main", "/", "report.csv", "?x=1", "https://example.com/a",
    "http://127.0.0.1:5000/", "mailto:ops@example.com", "HTTPS://EXAMPLE.COM"]) {
    assert.equal(h("a", { href }).href, href, href);
  }
});

test("javascript:, data:, vbscript: and other URLs are refused, however they are spelt", () => {
  for (const href of ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
    "\u0001javascript:alert(1)", "java\tscript:alert(1)", "java\nscript:alert(1)",
    "\tjava\rscript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "blob:https://example.com/x", "file:///etc/passwd"]) {
    assert.throws(() => h("a", { href }), /URL is refused/, JSON.stringify(href));
  }
});

test("urlScheme reads a URL's scheme as a browser does", () => {
  assert.equal(urlScheme("#/x"), null);
  assert.equal(urlScheme("/a:b"), null);
  assert.equal(urlScheme("a/b:c"), null);
  assert.equal(urlScheme(" \u0000JaVa\tScRiPt:x"), "javascript");
  assert.equal(urlScheme("https://x"), "https");
});

test("innerHTML, outerHTML, srcdoc and every key not on the list are refused", () => {
  const refused = ["innerHTML", "outerHTML", "insertAdjacentHTML", "srcdoc", "src", "action",
    "formAction", "style", "background", "poster", "data", "codebase", "innerText",
    "textContent", "className", "nodeValue", "setAttribute", "ownerDocument", "__proto__x",
    "constructor", "htmlFor", "maxlength", "classname", "Class", "onClick", "ONCLICK",
    "xlink:href", "data-", "data-X", "aria-", "formaction", "download", "target", "is",
    "slot", "contenteditable", "autofocus", "name ", ""];
  for (const key of refused) {
    assert.throws(() => h("div", { [key]: "<img src=x onerror=alert(1)>" }),
      /not an attribute or property the console sets/, JSON.stringify(key));
  }
  // Refused whatever the value, so a typo is caught even when the value is unset.
  assert.throws(() => h("div", { innerHTML: undefined }), /innerHTML/);
  assert.throws(() => h("iframe", {}), /<iframe>/);
});

test("an event handler must be a function: a string is never turned into code", () => {
  assert.throws(() => h("img", { onerror: "alert(1)" }), /must be a function/);
  assert.throws(() => h("button", { onclick: "alert(1)" }), /must be a function/);
  assert.throws(() => h("button", { onclick: {} }), /must be a function/);
});

test("elements that run, load or restyle things are refused", () => {
  for (const tag of ["script", "SCRIPT", "style", "iframe", "frame", "frameset", "object",
    "embed", "link", "meta", "base", "template", "noscript"]) {
    assert.throws(() => h(tag, {}), /is not an element the console builds/, tag);
  }
});

test("children: strings and nodes, nested arrays flattened, empty ones skipped", () => {
  const child = h("span", { text: "b" });
  const el = h("p", {}, "a", [child, [null, "c"]], undefined, false, 0);
  assert.deepEqual(el.children, ["a", child, "c", "0"]);
  fill(el, "<i>x</i>");
  assert.deepEqual(el.children, ["<i>x</i>"]); // a string child is text, never HTML
});

test("field(), table() and the other helpers build through h()", () => {
  const input = h("input", { type: "text" });
  const wrap = field("Name", input, "A hint");
  assert.equal(wrap.className, "field");
  assert.ok(input.id);
  const region = table("Parts", ["Code"], [h("tr", {}, h("td", { text: "P-1" }))],
    { "data-testid": "parts-table" });
  assert.equal(region.getAttribute("role"), "region");
  assert.equal(region.children[0].getAttribute("data-testid"), "parts-table");
});

// -- every call site ---------------------------------------------------------------------

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".js") ? [path] : [];
  });
}

// The top-level keys of the object literal that starts at text[start] ("{").
function literalKeys(text, start) {
  const keys = [];
  let depth = 0;
  let quote = null;
  let atKey = true;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i += 1;
      else if (c === quote) quote = null;
      continue;
    }
    if (depth === 1 && atKey && !/[\s}]/.test(c)) {
      const key = /(?:"([^"]+)"|([A-Za-z_$][\w$]*))\s*(?=[:,}])|(\.\.\.)/y;
      key.lastIndex = i;
      const match = key.exec(text);
      if (!match) throw new Error(`an attribute key h() cannot read at ${text.slice(i, i + 30)}`);
      keys.push(match[1] ?? match[2] ?? "...");
      atKey = false;
      i = key.lastIndex - 1;
      continue;
    }
    if (c === "\"" || c === "'" || c === "`") quote = c;
    else if ("{([".includes(c)) depth += 1;
    else if ("})]".includes(c)) {
      depth -= 1;
      if (depth === 0) return keys;
    } else if (c === "," && depth === 1) atKey = true;
  }
  throw new Error(`unterminated object literal at ${start}`);
}

test("every h() call in web/src uses only keys h() accepts, with a literal tag", () => {
  const srcDir = new URL("../src/", import.meta.url).pathname;
  let calls = 0;
  const problems = [];
  for (const path of sources(srcDir)) {
    const text = readFileSync(path, "utf8");
    for (const call of text.matchAll(/(?<![\w.$])h\(\s*/g)) {
      const at = call.index + call[0].length;
      const line = text.slice(0, at).split("\n").length;
      const where = `${path.slice(srcDir.length)}:${line}`;
      const tag = /^"([a-z][a-z0-9]*)"\s*,?\s*/.exec(text.slice(at));
      if (!tag) {
        if (!path.endsWith("dom.js")) problems.push(`${where}: the tag is not a literal`);
        continue;
      }
      calls += 1;
      const rest = at + tag[0].length;
      if (text[rest] === ")") continue; // h("div"): no attributes
      if (text[rest] !== "{") {
        // Only table()'s own attrs argument may be passed through.
        if (!(path.endsWith("dom.js") && text.startsWith("attrs", rest))) {
          problems.push(`${where}: attributes not an object literal`);
        }
        continue;
      }
      const keys = literalKeys(text, rest);
      const sample = Object.fromEntries(keys.map((k) => [k, undefined]));
      if (keys.includes("...")) problems.push(`${where}: a spread in h()'s attributes`);
      try {
        h(tag[1], sample);
      } catch (err) {
        problems.push(`${where}: ${err.message}`);
      }
    }
  }
  assert.ok(calls > 100, `only ${calls} h() calls found: is the scan broken?`);
  assert.deepEqual(problems, []);
});
