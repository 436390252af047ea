// A tiny element builder: h("button", {type: "button", onclick}, "Text").
// Attributes: "class", "text", "on<event>" (a listener), "data-*" / "aria-*" / "role" / "for"
// (set as attributes), everything else set as a property (value, checked, disabled, hidden...).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role"
               || key === "for" || key === "tabindex" || key === "scope"
               || key === "autocomplete" || key === "inputmode" || key === "enterkeyhint"
               || key === "autocapitalize" || key === "list" || key === "colspan") {
      el.setAttribute(key, value === true ? "" : String(value));
    } else {
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
