// A tiny element builder: h("button", {type: "button", onclick}, "Text").
//
// It accepts only what the console uses, and throws for anything else, so a typo or an
// unsafe key fails in the tests instead of being set silently:
// - "class", "text" (textContent: never parsed as HTML), "on<event>" (a listener function);
// - the attributes in ATTRIBUTES, "data-*" and "aria-*" (setAttribute; true sets "");
// - the properties in PROPERTIES (value, checked, disabled, hidden...).
// Never innerHTML, outerHTML, srcdoc, style, src, action or any other key; an href only
// to a relative URL or http(s)/mailto, never javascript: (nor data:, vbscript:, ...); never a
// <script>, <iframe>, <object>, <style>... element. undefined, null and false leave a key
// unset (except spellcheck, where false is not the default).
const ATTRIBUTES = new Set(["role", "for", "tabindex", "scope", "autocomplete", "inputmode",
  "enterkeyhint", "autocapitalize", "list", "colspan"]);
const PROPERTIES = new Set(["id", "type", "name", "value", "checked", "selected", "disabled",
  "hidden", "required", "min", "max", "step", "maxLength", "rows", "placeholder", "title",
  "alt", "accept", "multiple", "dateTime", "lang", "spellcheck", "width", "height", "muted",
  "playsInline", "href"]);
// Properties whose `false` is a value to set, not "leave the default".
const FALSE_IS_A_VALUE = new Set(["spellcheck"]);
const URL_PROPERTIES = new Set(["href"]);
const FORBIDDEN_TAGS = new Set(["script", "style", "iframe", "frame", "frameset", "object",
  "embed", "link", "meta", "base", "template", "noscript"]);
const SAFE_SCHEMES = new Set(["http", "https", "mailto"]);
const NAMED_ATTRIBUTE = /^(data|aria)-[a-z][a-z0-9-]*$/;
const EVENT = /^on[a-z]+$/;

// A URL's scheme as a browser reads it (tabs and newlines anywhere, and leading controls and
// spaces, are dropped: "java\tscript:" is javascript:), or null for a relative URL.
export function urlScheme(value) {
  const url = String(value).replace(/[\t\n\r]/g, "").replace(/^[\u0000-\u0020]+/, "");
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  return match ? match[1].toLowerCase() : null;
}

function refuse(tag, key, why) {
  return new Error(`h("${tag}"): ${why}: ${JSON.stringify(key)}`);
}

export function h(tag, attrs = {}, ...children) {
  if (FORBIDDEN_TAGS.has(String(tag).toLowerCase())) {
    throw new Error(`h(): <${tag}> is not an element the console builds`);
  }
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (EVENT.test(key)) {
      if (typeof value !== "function" && value !== undefined && value !== null) {
        throw refuse(tag, key, "an event handler must be a function");
      }
    } else if (!(key === "class" || key === "text" || ATTRIBUTES.has(key)
                 || NAMED_ATTRIBUTE.test(key) || PROPERTIES.has(key))) {
      throw refuse(tag, key, "not an attribute or property the console sets");
    }
    if (value === undefined || value === null) continue;
    if (value === false && !FALSE_IS_A_VALUE.has(key)) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (EVENT.test(key)) el.addEventListener(key.slice(2), value);
    else if (ATTRIBUTES.has(key) || NAMED_ATTRIBUTE.test(key)) {
      el.setAttribute(key, value === true ? "" : String(value));
    } else {
      if (URL_PROPERTIES.has(key)) {
        const scheme = urlScheme(value);
        if (scheme !== null && !SAFE_SCHEMES.has(scheme)) {
          throw refuse(tag, `${key}=${String(value).slice(0, 40)}`,
            `a ${scheme}: URL is refused`);
        }
      }
      el[key] = value;
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// Replace an element's children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
// A fresh id for label/for and aria-describedby pairs.
export function nextId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled form field: <div class="field"><label for>..</label><input id></div>.
export function field(labelText, control, hint) {
  if (!control.id) control.id = nextId("field");
  const parts = [h("label", { for: control.id, text: labelText })];
  if (hint) {
    const hintId = nextId("hint");
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId, text: hint }));
  }
  return h("div", { class: "field" }, parts[0], control, parts.slice(1));
}

// Text that only screen readers read (completes a button's accessible name).
export function sr(text) {
  return h("span", { class: "visually-hidden", text });
}

// A table in a scrollable, keyboard-focusable region (narrow screens scroll it sideways).
export function table(captionText, headers, rows, attrs = {}) {
  const t = h("table", attrs,
    h("caption", { text: captionText }),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col", text })))),
    h("tbody", {}, rows));
  return h("div", { class: "table-wrap", role: "region", "aria-label": captionText,
                    tabindex: "0" }, t);
}
