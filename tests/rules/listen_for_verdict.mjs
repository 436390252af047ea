// What a client app does to learn the verdict on its upload (README "What a client can
// listen on"): open a listener on its own verdict document first, then upload. Run by
// tests/e2e/test_verdict_listener.py:
//
//   node listen_for_verdict.mjs <project> <uid> <object name> [<owner uid>]
//
// (<owner uid>: listen as <uid> on another user's path, which the rules must refuse.)
//
// Prints "listening" once the listener is up (the document does not exist yet), then the
// verdict's JSON when the functions write it, and exits. The Firebase JS SDK a client
// uses, against the Firestore emulator with firestore.rules loaded for <project>.

import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";

import { initializeTestEnvironment } from "@firebase/rules-unit-testing";
import { doc, onSnapshot, setLogLevel } from "firebase/firestore";

setLogLevel("error");
const [project, uid, name, owner = uid] = process.argv.slice(2);
const [host, port] = process.env.FIRESTORE_EMULATOR_HOST.split(":");

// The key the client computes: sha256 of the object's name, in hex.
const digest = await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode(name));
const key = Buffer.from(digest).toString("hex");

const env = await initializeTestEnvironment({
  projectId: project,
  firestore: {
    rules: readFileSync(new URL("../../firestore.rules", import.meta.url), "utf8"),
    host, port: Number(port),
  },
});
const db = env.authenticatedContext(uid).firestore();
const stop = onSnapshot(doc(db, `image_verdicts/${owner}/objects/${key}`), async (snap) => {
  if (!snap.exists()) {
    console.log("listening");
    return;
  }
  console.log(JSON.stringify(snap.data()));
  stop();
  await env.cleanup();
  process.exit(0);
}, (err) => {
  console.log(`refused: ${err.code}`);
  process.exit(1);
});
