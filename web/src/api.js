// Everything that talks to Firebase: configuration, Auth, callables, HTTP functions.
//
// Configuration is read at start from the same origin (README.md, "The web console"):
//   /__/firebase/init.json  -> the Firebase web config (Firebase Hosting serves it itself)
//   /console-config.json    -> {region, emulators?, functionsBase?}
import { initializeApp } from "firebase/app";
import {
  initializeAuth, indexedDBLocalPersistence, browserLocalPersistence, connectAuthEmulator,
  signInWithEmailAndPassword, createUserWithEmailAndPassword, signOut as fbSignOut,
  onAuthStateChanged,
} from "firebase/auth";
import { getFunctions, httpsCallable, connectFunctionsEmulator } from "firebase/functions";
import { lang, t } from "./i18n.js";
import { rolesOf } from "./access.js";

let auth = null;
let functions = null;
let functionsBase = "";

// An error to show a person: `message` is the function's own (already in the page's
// language) or one of ours; `details` carries upload_parts' per-row errors.
export class ApiError extends Error {
  constructor(message, { code = "unknown", status = 0, details = null, retryable = false } = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
    this.retryable = retryable;
  }
}

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

export async function loadConfig() {
  const [firebaseConfig, consoleConfig] = await Promise.all([
    getJson("/__/firebase/init.json"), getJson("/console-config.json")]);
  return { firebaseConfig, consoleConfig };
}

export function initFirebase({ firebaseConfig, consoleConfig }) {
  const region = consoleConfig.region || "us-central1";
  const app = initializeApp(firebaseConfig);
  // initializeAuth without a popup/redirect resolver: email + password only, smaller bundle.
  auth = initializeAuth(app, { persistence: [indexedDBLocalPersistence, browserLocalPersistence] });
  functions = getFunctions(app, region);
  const emulators = consoleConfig.emulators;
  if (emulators?.auth) connectAuthEmulator(auth, emulators.auth, { disableWarnings: true });
  if (emulators?.functions) {
    connectFunctionsEmulator(functions, emulators.functions.host, emulators.functions.port);
  }
  functionsBase = (consoleConfig.functionsBase
    || `https://${region}-${firebaseConfig.projectId}.cloudfunctions.net`).replace(/\/+$/, "");
}

// -- Auth ---------------------------------------------------------------------------------

export function onUserChanged(callback) {
  return onAuthStateChanged(auth, callback);
}

// {uid, email, staff, moderator, admin} from the ID token's custom claims; only boolean
// true counts, and admin implies staff and moderator. `refresh` forces a new token (a role
// granted a moment ago).
export async function whoAmI(user, refresh = false) {
  const result = await user.getIdTokenResult(refresh);
  return { uid: user.uid, email: user.email || user.uid, ...rolesOf(result.claims) };
}

const AUTH_MESSAGES = {
  "auth/invalid-credential": "signin.error.credentials",
  "auth/wrong-password": "signin.error.credentials",  // pragma: allowlist secret (an error code)
  "auth/user-not-found": "signin.error.credentials",
  "auth/invalid-email": "signin.error.email",
  "auth/missing-password": "signin.error.password",  // pragma: allowlist secret (an error code)
  "auth/too-many-requests": "signin.error.tooMany",
  "auth/user-disabled": "signin.error.disabled",
  "auth/network-request-failed": "error.network",
  "auth/email-already-in-use": "signup.error.exists",
  "auth/weak-password": "signup.error.weak",  // pragma: allowlist secret (an error code)
  "auth/operation-not-allowed": "signup.error.closed",
  "auth/admin-restricted-operation": "signup.error.closed",
};

function authError(err) {
  const key = AUTH_MESSAGES[err?.code];
  return new ApiError(key ? t(key) : t("signin.error.other", { code: err?.code || "?" }),
    { code: err?.code });
}

export async function signIn(email, password) {
  try {
    await signInWithEmailAndPassword(auth, email, password);
  } catch (err) {
    throw authError(err);
  }
}

// A new account has no role: it sees the "no role yet" page until an admin gives it one.
export async function signUp(email, password) {
  try {
    await createUserWithEmailAndPassword(auth, email, password);
  } catch (err) {
    throw authError(err);
  }
}

export function signOut() {
  return fbSignOut(auth);
}

async function idToken() {
  const user = auth.currentUser;
  if (!user) throw new ApiError(t("error.signedOut"), { code: "unauthenticated" });
  return user.getIdToken();
}

// -- Callables ----------------------------------------------------------------------------

// Codes worth sending again later (the server may answer once it is reachable).
const RETRYABLE = new Set(["unavailable", "internal", "deadline-exceeded", "unknown",
  "resource-exhausted", "aborted"]);

// call("list_parts", {limit: 50}) -> the reply's data. Every call carries the page's
// language as `locale`; an error carries the function's own message.
export async function call(name, data = {}) {
  const callable = httpsCallable(functions, name, { timeout: 70_000 });
  try {
    const result = await callable({ ...data, locale: lang() });
    return result.data;
  } catch (err) {
    const code = String(err?.code || "unknown").replace(/^functions\//, "");
    // Firebase JS SDK 12 appends the HTTP status to the function's message ("... [404]");
    // a person reads the function's words only.
    let message = String(err?.message || "").replace(/ \[\d{3}\]$/, "");
    // The SDK's own messages ("internal", "deadline-exceeded", ...) are not for people.
    if (!message || message === code || message.toLowerCase() === code.replace(/-/g, " ")) {
      message = code === "deadline-exceeded" ? t("error.timeout")
        : code === "internal" || code === "unavailable" ? t("error.network")
          : t("error.generic", { code });
    }
    throw new ApiError(message, { code, details: err?.details ?? null,
                                  retryable: RETRYABLE.has(code) });
  }
}

// -- HTTP functions -----------------------------------------------------------------------

export function functionUrl(path) {
  return `${functionsBase}/${path}`;
}

// The error a non-2xx reply carries: {"error": {"code", "message", "details"?}}.
async function errorFromResponse(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  return errorFromBody(body, res.status);
}

function errorFromBody(body, status) {
  const error = body && typeof body === "object" ? body.error : null;
  const message = typeof error?.message === "string" && error.message
    ? error.message : t("error.http", { status });
  return new ApiError(message, { code: error?.code || String(status), status,
                                 details: error?.details ?? null,
                                 retryable: status >= 500 || status === 429 });
}

// fetch a function with the ID token and the page's language; throws ApiError.
export async function fetchFunction(path, init = {}) {
  const token = await idToken();
  let res;
  try {
    res = await fetch(functionUrl(path), {
      ...init,
      headers: { Authorization: `Bearer ${token}`, "Accept-Language": lang(),
                 ...(init.headers || {}) },
    });
  } catch {
    throw new ApiError(t("error.network"), { code: "network", retryable: true });
  }
  if (!res.ok) throw await errorFromResponse(res);
  return res;
}

export async function fetchJson(path) {
  const res = await fetchFunction(path, { headers: { Accept: "application/json" } });
  return res.json();
}

// The file name from Content-Disposition (RFC 6266, filename* first), if readable.
export function filenameFromDisposition(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch { /* fall through */ }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/.exec(header);
  return plain ? (plain[1] ?? plain[2]).trim() : null;
}

// Save a Blob as a file: a Blob URL and <a download>, so the browser (and Playwright)
// sees an ordinary download.
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// Fetch a function's file with the ID token and save it.
export async function download(path, fallbackName) {
  const res = await fetchFunction(path);
  const blob = await res.blob();
  const name = filenameFromDisposition(res.headers.get("Content-Disposition")) || fallbackName;
  saveBlob(blob, name);
  return name;
}

// POST a parts file to upload_parts with XMLHttpRequest, for its upload progress.
// onProgress(loaded, total) while sending; resolves with the reply (201 for an upload;
// 200 and {dry_run: true, summary, minimum_changes, refused} for a dry run, which writes
// nothing).
export async function uploadParts(file, onProgress, { dryRun = false } = {}) {
  const token = await idToken();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", functionUrl("upload_parts"));
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept-Language", lang());
    xhr.responseType = "text";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.upload.addEventListener("load", () => onProgress(file.size, file.size, true));
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(errorFromBody(body, xhr.status));
    });
    xhr.addEventListener("error", () => reject(new ApiError(t("error.network"),
      { code: "network", retryable: true })));
    xhr.addEventListener("timeout", () => reject(new ApiError(t("error.timeout"),
      { code: "timeout", retryable: true })));
    const form = new FormData();
    if (dryRun) form.append("dry_run", "true");
    form.append("file", file, file.name);
    xhr.send(form);
  });
}
