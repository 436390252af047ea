// The page's language: Turkish or English, from navigator.languages (tr* -> Turkish),
// switchable and remembered in localStorage. Strings come from two catalogs with the
// same keys (npm test checks them); numbers and dates use Intl in the page's locale.
import en from "./i18n/en.js";
import tr from "./i18n/tr.js";

export const CATALOGS = { en, tr };
export const LANGUAGES = ["tr", "en"];
const INTL_LOCALE = { tr: "tr-TR", en: "en-US" };
const STORAGE_KEY = "console.lang";

export function detectLanguage(stored, languages) {
  if (stored && LANGUAGES.includes(stored)) return stored;
  for (const tag of languages || []) {
    if (/^tr\b/i.test(tag)) return "tr";
    if (/^en\b/i.test(tag)) return "en";
  }
  return "en";
}

function storedLanguage() {
  try { return localStorage.getItem(STORAGE_KEY); } catch { return null; }
}

let current = detectLanguage(storedLanguage(), globalThis.navigator?.languages);

export function lang() {
  return current;
}

export function intlLocale() {
  return INTL_LOCALE[current];
}

export function setLanguage(value) {
  if (!LANGUAGES.includes(value)) return;
  current = value;
  try { localStorage.setItem(STORAGE_KEY, value); } catch { /* private mode: not kept */ }
  document.documentElement.lang = value;
}

// t("queue.waiting", {count: 3}) -> the catalog's text with {count} filled in.
export function t(key, params = {}) {
  const text = CATALOGS[current][key] ?? CATALOGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole);
}

export function fmtNumber(value, options) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  return new Intl.NumberFormat(INTL_LOCALE[current], options).format(value);
}

export function fmtUsd(value) {
  return fmtNumber(value, { style: "currency", currency: "USD" });
}

export function fmtPercent(fraction) {
  return fmtNumber(fraction, { style: "percent", maximumFractionDigits: 0 });
}

// An ISO text, epoch ms or Date -> "1 Ara 2025 14:05" / "Dec 1, 2025, 2:05 PM".
export function fmtDate(value) {
  if (value === null || value === undefined || value === "") return "–";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(INTL_LOCALE[current],
    { dateStyle: "medium", timeStyle: "short" }).format(date);
}

export function fmtTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "–";
  return new Intl.DateTimeFormat(INTL_LOCALE[current], { timeStyle: "medium" }).format(date);
}
