// Firestore security rules (firestore.rules at the repository root), checked against the
// real Firestore emulator with the Firebase JS SDK a client app would use.
//
// Run: FIRESTORE_EMULATOR_HOST=127.0.0.1:8080 node --test tests/rules/
// (tests/integration/test_firestore_rules.py does this against the pytest session's emulator.)
//
// The project is "demo-rules": the emulator keeps rules per project, so loading these rules
// leaves the Python tests' project ("demo-test") alone.

import { readFileSync } from "node:fs";
import { after, before, beforeEach, describe, it } from "node:test";

import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
} from "@firebase/rules-unit-testing";
import {
  collection,
  collectionGroup,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  increment,
  limit,
  onSnapshot,
  orderBy,
  query,
  serverTimestamp,
  setDoc,
  setLogLevel,
  updateDoc,
  where,
  writeBatch,
} from "firebase/firestore";

const PROJECT_ID = "demo-rules";

// Each refused write is also logged by the SDK as a warning; the assertions already say it.
setLogLevel("error");
const RULES_PATH = new URL("../../firestore.rules", import.meta.url);

function emulatorAddress() {
  const value = process.env.FIRESTORE_EMULATOR_HOST;
  if (!value) {
    throw new Error(
      "FIRESTORE_EMULATOR_HOST is not set (host:port of a running Firestore emulator).",
    );
  }
  const cut = value.lastIndexOf(":");
  const port = Number(value.slice(cut + 1));
  if (cut <= 0 || !Number.isInteger(port) || port <= 0) {
    throw new Error(`FIRESTORE_EMULATOR_HOST must be host:port, got ${JSON.stringify(value)}.`);
  }
  return { host: value.slice(0, cut), port };
}

// -- seed data: one document per collection the rules name, plus one they do not -----------

const UPLOADER = "alice";
const OTHER_USER = "bob";
const STAFF = "staff-1";
const ADMIN = "admin-1";
const MODERATOR = "moderator-1";

const SEED = {
  "vision_api_quota/2026_11": {
    monthKey: "2026_11", usageCount: 950, limit: 1000, lastUpdated: new Date(),
  },
  "vision_api_quota/2026_11/shards/0": { cap: 63, used: 60, epoch: 0 },
  "moderation_rechecks/k1": {
    bucket: "b", name: "uploads/alice/cat.png", state: "waiting", waitingFor: "budget",
    uploaderUid: UPLOADER, queuedAt: new Date(),
  },
  "system_config/vision_api": {
    enabled: true, fallbackStrategy: "deny", monthlyLimit: 1000,
    updatedAt: new Date(), updatedBy: ADMIN,
  },
  "admin_actions/a1": {
    action: "set_vision_enabled", adminUid: ADMIN, before: { enabled: false },
    after: { enabled: true }, at: new Date(),
  },
  "admin_notifications/n1": {
    kind: "quota_warning", message: "Vision quota at 95 %", read: false, at: new Date(),
  },
  // A notice for the moderators (functions/moderation/appeals.py, review_desk.py).
  "admin_notifications/n2": {
    kind: "review_appeal", audience: "moderators", read: false, at: new Date(),
  },
  // A part gone below its minimum, for the staff (functions/qr/stock_levels.py).
  "admin_notifications/n3": {
    kind: "low_stock", audience: "staff", part_code: "BOLT-10", available: 1, min_units: 3,
    read: false, at: new Date(),
  },
  // An image waiting for a person (functions/infra/firestore_review.py).
  "review_queue/k1": {
    bucket: "b", name: "users/alice/cat.png", generation: "17", cause: "quarantined",
    state: "waiting", priority: 0, revision: 2, uploaderUid: UPLOADER, enteredAt: new Date(),
    location: { name: "quarantine/users/alice/cat.png", generation: "18" },
    appeal: { explanation: "It is my cat.", at: new Date() },
  },
  // The record shape the trigger writes (functions/moderation/uploaded_images.py).
  "image_moderation/alice-upload": {
    bucket: "b", name: "users/alice/cat.png", generation: "17", uploaderUid: UPLOADER,
    contentType: "image/png", size: 75, status: "approved",
    message: "The image passed moderation.", recheck: null, completedAt: new Date(),
    location: { name: "users/alice/cat.png", generation: "17" },
    result: { status: "approved", checked: true, reasons: [], units: 1, monthKey: "2026_11" },
  },
  "image_moderation/bob-upload": {
    bucket: "b", name: "users/bob/dog.png", generation: "18", uploaderUid: OTHER_USER,
    status: "rejected", message: "The image was rejected by moderation.",
    completedAt: new Date(), result: { status: "rejected", checked: true },
  },
  "image_moderation/no-uploader": {
    bucket: "b", name: "public/x.png", generation: "19", uploaderUid: null,
    status: "needs_review", completedAt: new Date(), recheck: "pending",
    result: { status: "needs_review", checked: false, cause: "disabled" },
  },
  // The uploader's own copy of it (functions/moderation/records.py), and another's.
  "image_verdicts/alice/objects/k1": {
    bucket: "b", name: "users/alice/cat.png", generation: "17", uploaderUid: UPLOADER,
    status: "approved", recordKey: "alice-upload",
  },
  "image_verdicts/bob/objects/k2": {
    bucket: "b", name: "users/bob/dog.png", generation: "18", uploaderUid: OTHER_USER,
    status: "rejected", recordKey: "bob-upload",
  },
  // Per-account Vision usage and standing (functions/moderation/allowance.py): server only.
  "vision_api_quota/2026_11/accounts/alice": { units: 3, day: "2026_11_15", dayUnits: 1 },
  "vision_accounts/alice": { flagged: true, rejectedAt: [] },
  // The ledger's job for the same upload: lease and delivery bookkeeping, server only.
  "moderation_jobs/alice-upload": {
    state: "done", units: 1, leaseOwner: "f00", leaseUntil: new Date(), deliveries: 2,
    eventId: "e1", uploaderUid: UPLOADER, name: "users/alice/cat.png",
  },
  "image_analysis/0f3a9c": {
    likelihoods: { adult: "VERY_UNLIKELY" }, verdict: "allowed", at: new Date(),
  },
  "qr_codes/BOLT-10-x7Kq2": {
    qr_id: "BOLT-10-x7Kq2", part_code: "BOLT-10", part_name: "Bolt 10 mm",
    payload: "BOLT-10-x7Kq2", created_by: STAFF, stored: true, is_downloaded: false,
  },
  "qr_codes/BOLT-10-x7Kq2/history/h1": { event: "created" },
  "parts/BOLT-10": { part_code: "BOLT-10", part_name: "Bolt 10 mm", quantity: 3, qr_count: 1 },
  "count_sessions/s1": {
    name: "Raf A", state: "open", startedBy: STAFF, startedAt: new Date(), expectedCount: 3,
    partCodes: null,
  },
  "count_sessions/s1/units/BOLT-10-x7Kq2": { partCode: "BOLT-10", expected: true, found: true,
                                             foundBy: STAFF },
  "count_sessions/s1/scans/sAbC": { clientScanId: "p1-1", qrId: "BOLT-10-x7Kq2",
                                    result: "accepted", by: STAFF, undone: false },
  "count_sessions/s1/results/BOLT-10": { part_code: "BOLT-10", expected: 1, found: 1 },
  "users/alice": { name: "Alice" },
  "secrets/anything": { value: "not for clients" },
};

// -- who asks -------------------------------------------------------------------------------

let testEnv;

const ROLES = {
  signedOut: () => testEnv.unauthenticatedContext(),
  staff: () => testEnv.authenticatedContext(STAFF, { staff: true }),
  // Signed in with no role: anyone may sign up to the apps the moderation half serves.
  noRole: () => testEnv.authenticatedContext("member-1"),
  anonymous: () => testEnv.authenticatedContext("anon-1", {
    firebase: { sign_in_provider: "anonymous" },
  }),
  uploader: () => testEnv.authenticatedContext(UPLOADER),
  otherUser: () => testEnv.authenticatedContext(OTHER_USER),
  admin: () => testEnv.authenticatedContext(ADMIN, { admin: true }),
  moderator: () => testEnv.authenticatedContext(MODERATOR, { moderator: true }),
};

// Claims that look like "admin" but are not the boolean true.
const FAKE_ADMINS = {
  adminClaimString: () => testEnv.authenticatedContext("mallory", { admin: "true" }),
  adminClaimNumber: () => testEnv.authenticatedContext("mallory", { admin: 1 }),
  adminClaimFalse: () => testEnv.authenticatedContext("mallory", { admin: false }),
  roleClaimAdmin: () => testEnv.authenticatedContext("mallory", { role: "admin" }),
  staffClaimString: () => testEnv.authenticatedContext("mallory", { staff: "true" }),
  staffClaimNumber: () => testEnv.authenticatedContext("mallory", { staff: 1 }),
  moderatorClaimString: () => testEnv.authenticatedContext("mallory", { moderator: "true" }),
  roleClaimModerator: () => testEnv.authenticatedContext("mallory", { role: "moderator" }),
};

const ALL_ROLES = { ...ROLES, ...FAKE_ADMINS };
// Staff: the claim staff (boolean true) or an admin; nobody else reads the inventory.
const STAFF_ROLES = ["staff", "admin"];

// One client per role for the whole run: a context per call would open a new connection.
const clients = new Map();

function db(role) {
  if (!clients.has(role)) clients.set(role, ALL_ROLES[role]().firestore());
  return clients.get(role);
}

// -- expectations ---------------------------------------------------------------------------

// Who may read each seeded document (everyone else must be refused).
const READERS = {
  "vision_api_quota/2026_11": ["admin"],
  "vision_api_quota/2026_11/shards/0": ["admin"],
  "moderation_rechecks/k1": ["admin"],
  "system_config/vision_api": ["admin"],
  "admin_actions/a1": ["admin"],
  "admin_notifications/n1": ["admin"],
  "admin_notifications/n2": ["moderator", "admin"],
  "admin_notifications/n3": STAFF_ROLES,
  "review_queue/k1": ["moderator", "admin"],
  "image_moderation/alice-upload": ["uploader", "admin"],
  "image_moderation/bob-upload": ["otherUser", "admin"],
  "image_moderation/no-uploader": ["admin"],
  "image_verdicts/alice/objects/k1": ["uploader"],
  "image_verdicts/bob/objects/k2": ["otherUser"],
  "vision_api_quota/2026_11/accounts/alice": [],
  "vision_accounts/alice": [],
  "moderation_jobs/alice-upload": [],
  "image_analysis/0f3a9c": [],
  "qr_codes/BOLT-10-x7Kq2": STAFF_ROLES,
  "qr_codes/BOLT-10-x7Kq2/history/h1": [],
  "parts/BOLT-10": STAFF_ROLES,
  "count_sessions/s1": STAFF_ROLES,
  "count_sessions/s1/units/BOLT-10-x7Kq2": STAFF_ROLES,
  "count_sessions/s1/scans/sAbC": STAFF_ROLES,
  "count_sessions/s1/results/BOLT-10": STAFF_ROLES,
  "users/alice": [],
  "secrets/anything": [],
};

// Who may list (query) a whole collection without constraints.
const LISTERS = {
  vision_api_quota: ["admin"],
  "vision_api_quota/2026_11/shards": ["admin"],
  moderation_rechecks: ["admin"],
  system_config: ["admin"],
  admin_actions: ["admin"],
  admin_notifications: ["admin"],
  review_queue: ["moderator", "admin"],
  image_moderation: ["admin"],
  "image_verdicts/alice/objects": ["uploader"],
  "vision_api_quota/2026_11/accounts": [],
  vision_accounts: [],
  moderation_jobs: [],
  image_analysis: [],
  qr_codes: STAFF_ROLES,
  parts: STAFF_ROLES,
  count_sessions: STAFF_ROLES,
  "count_sessions/s1/units": STAFF_ROLES,
  "count_sessions/s1/scans": STAFF_ROLES,
  users: [],
  secrets: [],
};

function allowed(list, role) {
  return list.includes(role);
}

// -- lifecycle ------------------------------------------------------------------------------

// A client that bypasses the rules, as the functions' Admin SDK does: it seeds data and
// checks that refused writes left it unchanged. withSecurityRulesDisabled() builds a fresh
// app per call (about 60 ms); holding one call open for the whole run keeps each test fast.
let serverDb;
let releaseServer;
let serverClosed;

async function openServerClient() {
  let ready;
  const opened = new Promise((resolve) => { ready = resolve; });
  serverClosed = testEnv.withSecurityRulesDisabled(async (context) => {
    ready(context.firestore());
    await new Promise((resolve) => { releaseServer = resolve; });
  });
  serverDb = await opened;
}

before(async () => {
  const { host, port } = emulatorAddress();
  testEnv = await initializeTestEnvironment({
    projectId: PROJECT_ID,
    firestore: { rules: readFileSync(RULES_PATH, "utf8"), host, port },
  });
  await openServerClient();
});

// Reads change nothing, so read suites seed once; write suites seed before every test so a
// write that wrongly succeeded cannot leak into the next test.
async function seed() {
  await testEnv.clearFirestore();
  const batch = writeBatch(serverDb);
  for (const [path, data] of Object.entries(SEED)) batch.set(doc(serverDb, path), data);
  await batch.commit();
}

after(async () => {
  releaseServer?.();
  await serverClosed;
  await testEnv?.cleanup();
});

async function readAsServer(path) {
  const snap = await getDoc(doc(serverDb, path));
  return snap.exists() ? snap.data() : undefined;
}

// -- reads ----------------------------------------------------------------------------------

describe("document reads", () => {
  before(seed);

  for (const [path, readers] of Object.entries(READERS)) {
    for (const role of Object.keys(ALL_ROLES)) {
      const expected = allowed(readers, role);
      it(`${role} ${expected ? "can" : "cannot"} read ${path}`, async () => {
        const read = getDoc(doc(db(role), path));
        if (expected) {
          const snap = await assertSucceeds(read);
          if (!snap.exists()) throw new Error(`${path} should exist for ${role}`);
        } else {
          await assertFails(read);
        }
      });
    }
  }
});

describe("collection queries", () => {
  before(seed);

  for (const [name, listers] of Object.entries(LISTERS)) {
    for (const role of Object.keys(ROLES)) {
      const expected = allowed(listers, role);
      it(`${role} ${expected ? "can" : "cannot"} list ${name}`, async () => {
        const list = getDocs(query(collection(db(role), name), limit(50)));
        if (expected) {
          const snap = await assertSucceeds(list);
          if (snap.empty) throw new Error(`${name} should list seeded documents`);
        } else {
          await assertFails(list);
        }
      });
    }
  }

  for (const name of ["qr_codes", "parts"]) {
    it(`staff cannot list ${name} without a limit or past 500`, async () => {
      await assertFails(getDocs(collection(db("staff"), name)));
      await assertFails(getDocs(query(collection(db("staff"), name), limit(501))));
      await assertSucceeds(getDocs(query(collection(db("staff"), name), limit(500))));
    });
  }

  it("nobody pulls qr_codes through a collection-group query", async () => {
    for (const role of Object.keys(ALL_ROLES)) {
      await assertFails(getDocs(query(collectionGroup(db(role), "qr_codes"), limit(10))));
    }
  });

  it("a moderator lists the moderators' notices only, and only when asking for them", async () => {
    const theirs = query(collection(db("moderator"), "admin_notifications"),
      where("audience", "==", "moderators"), limit(50));
    const snap = await assertSucceeds(getDocs(theirs));
    if (snap.size !== 1 || snap.docs[0].id !== "n2") throw new Error("expected n2 only");
    await assertFails(getDocs(query(collection(db("moderator"), "admin_notifications"),
      limit(50))));
    await assertFails(getDocs(query(collection(db("staff"), "admin_notifications"),
      where("audience", "==", "moderators"), limit(50))));
  });

  it("staff list the staff's notices only, and only when asking for them", async () => {
    const theirs = query(collection(db("staff"), "admin_notifications"),
      where("audience", "==", "staff"), limit(50));
    const snap = await assertSucceeds(getDocs(theirs));
    if (snap.size !== 1 || snap.docs[0].id !== "n3") throw new Error("expected n3 only");
    await assertFails(getDocs(query(collection(db("staff"), "admin_notifications"),
      limit(50))));
    await assertFails(getDocs(query(collection(db("moderator"), "admin_notifications"),
      where("audience", "==", "staff"), limit(50))));
    await assertSucceeds(updateDoc(doc(db("staff"), "admin_notifications/n3"), { read: true }));
    await assertFails(updateDoc(doc(db("staff"), "admin_notifications/n3"),
      { read: false, available: 9 }));
  });

  it("nobody lists the review queue without a limit, or past 500", async () => {
    await assertFails(getDocs(collection(db("moderator"), "review_queue")));
    await assertFails(getDocs(query(collection(db("moderator"), "review_queue"), limit(501))));
    await assertSucceeds(getDocs(query(collection(db("moderator"), "review_queue"),
      where("state", "==", "waiting"), limit(100))));
  });

  it("the uploader can list their own verdicts with a uploaderUid constraint", async () => {
    const mine = query(
      collection(db("uploader"), "image_moderation"), where("uploaderUid", "==", UPLOADER),
    );
    const snap = await assertSucceeds(getDocs(mine));
    const ids = snap.docs.map((d) => d.id);
    if (ids.length !== 1 || ids[0] !== "alice-upload") {
      throw new Error(`expected only alice-upload, got ${JSON.stringify(ids)}`);
    }
  });

  it("the uploader can list their verdicts newest first (firestore.indexes.json)", async () => {
    const recent = query(
      collection(db("uploader"), "image_moderation"),
      where("uploaderUid", "==", UPLOADER), orderBy("completedAt", "desc"), limit(20),
    );
    const snap = await assertSucceeds(getDocs(recent));
    if (snap.size !== 1) throw new Error(`expected 1 verdict, got ${snap.size}`);
  });

  it("a user cannot list another uploader's verdicts", async () => {
    const theirs = query(
      collection(db("uploader"), "image_moderation"), where("uploaderUid", "==", OTHER_USER),
    );
    await assertFails(getDocs(theirs));
  });

  it("signed-out cannot list verdicts even with a uploaderUid constraint", async () => {
    const q = query(
      collection(db("signedOut"), "image_moderation"), where("uploaderUid", "==", UPLOADER),
    );
    await assertFails(getDocs(q));
  });
});

// -- writes ---------------------------------------------------------------------------------

// Every client write to every collection is refused: create, overwrite, update, delete.
const WRITE_TARGETS = {
  "vision_api_quota/2026_11": { usageCount: 0 },
  "vision_api_quota/2026_11/shards/0": { cap: 1000000 },
  "moderation_rechecks/k1": { state: "done" },
  "image_verdicts/alice/objects/k1": { status: "approved" },
  "vision_accounts/alice": { flagged: false },
  "vision_api_quota/2026_11/accounts/alice": { units: 0 },
  "system_config/vision_api": { enabled: false, monthlyLimit: 1000000 },
  "admin_actions/a1": { action: "forged" },
  "admin_notifications/n1": { message: "edited" },
  "admin_notifications/n2": { audience: "everyone" },
  "review_queue/k1": { state: "decided", claimedBy: "mallory" },
  "image_moderation/alice-upload": { status: "approved", uploaderUid: UPLOADER },
  "moderation_jobs/alice-upload": { state: "reserved", leaseOwner: "me" },
  "image_analysis/0f3a9c": { verdict: "allowed" },
  "qr_codes/BOLT-10-x7Kq2": { is_downloaded: true, download_count: 1 },
  "qr_codes/BOLT-10-x7Kq2/history/h1": { event: "forged" },
  "count_sessions/s1": { state: "finished" },
  "count_sessions/s1/units/BOLT-10-x7Kq2": { found: false },
  "count_sessions/s1/scans/sAbC": { result: "duplicate" },
  "parts/BOLT-10": { quantity: 999 },
  "users/alice": { name: "Mallory" },
};

const CREATE_TARGETS = {
  vision_api_quota: { monthKey: "2026_12", usageCount: 0, limit: 1000000 },
  "vision_api_quota/2026_11/shards": { cap: 1000000, used: 0, epoch: 0 },
  moderation_rechecks: { state: "queued", bucket: "b", name: "x.png" },
  system_config: { enabled: true },
  admin_actions: { action: "forged", adminUid: ADMIN },
  admin_notifications: { message: "spam", read: false },
  review_queue: { state: "waiting", priority: 0, enteredAt: new Date() },
  image_moderation: { status: "approved", uploaderUid: UPLOADER },
  moderation_jobs: { state: "done", units: 0 },
  image_analysis: { verdict: "allowed" },
  qr_codes: { qr_id: "NEW-1-abc", part_code: "NEW-1" },
  count_sessions: { name: "forged", state: "open" },
  "count_sessions/s1/scans": { qrId: "BOLT-10-x7Kq2", result: "accepted" },
  "count_sessions/s1/units": { expected: true, found: true },
  parts: { part_code: "NEW-1", quantity: 1 },
  users: { name: "new" },
};

// The look-alike admin claims are left out here: even the real admin is refused these writes.
describe("client writes are refused", () => {
  beforeEach(seed);

  for (const role of Object.keys(ROLES)) {
    for (const [path, change] of Object.entries(WRITE_TARGETS)) {
      it(`${role} cannot update ${path}`, async () => {
        const before = await readAsServer(path);
        await assertFails(updateDoc(doc(db(role), path), change));
        await assertFails(setDoc(doc(db(role), path), change, { merge: true }));
        await assertFails(setDoc(doc(db(role), path), change));
        const afterwards = await readAsServer(path);
        if (JSON.stringify(afterwards) !== JSON.stringify(before)) {
          throw new Error(`${path} changed: ${JSON.stringify(afterwards)}`);
        }
      });

      it(`${role} cannot delete ${path}`, async () => {
        await assertFails(deleteDoc(doc(db(role), path)));
        if ((await readAsServer(path)) === undefined) throw new Error(`${path} was deleted`);
      });
    }

    for (const [name, data] of Object.entries(CREATE_TARGETS)) {
      it(`${role} cannot create a document in ${name}`, async () => {
        await assertFails(setDoc(doc(db(role), `${name}/created-by-${role}`), data));
        if ((await readAsServer(`${name}/created-by-${role}`)) !== undefined) {
          throw new Error(`${name}/created-by-${role} exists`);
        }
      });
    }
  }
});

describe("the Vision quota counter", () => {
  beforeEach(seed);

  const QUOTA = "vision_api_quota/2026_11";

  for (const role of Object.keys(ALL_ROLES)) {
    it(`${role} cannot reset or lower usageCount`, async () => {
      await assertFails(updateDoc(doc(db(role), QUOTA), { usageCount: 0 }));
      await assertFails(updateDoc(doc(db(role), QUOTA), { usageCount: increment(-900) }));
      await assertFails(updateDoc(doc(db(role), QUOTA), { limit: 1000000 }));
      await assertFails(
        updateDoc(doc(db(role), QUOTA), { usageCount: 0, lastUpdated: serverTimestamp() }),
      );
      const quota = await readAsServer(QUOTA);
      if (quota.usageCount !== 950 || quota.limit !== 1000) {
        throw new Error(`quota changed: ${JSON.stringify(quota)}`);
      }
    });
  }

  it("an admin can read the quota", async () => {
    const snap = await assertSucceeds(getDoc(doc(db("admin"), QUOTA)));
    if (snap.data().usageCount !== 950) throw new Error("admin read the wrong quota");
  });

  it("signed-out cannot read the quota", async () => {
    await assertFails(getDoc(doc(db("signedOut"), QUOTA)));
  });
});

// -- the one client write allowed: an admin marks a notification read -----------------------

describe("admin notifications: only the read flag, only by an admin", () => {
  beforeEach(seed);

  const NOTE = "admin_notifications/n1";

  it("an admin can mark a notification read, and unread again", async () => {
    await assertSucceeds(updateDoc(doc(db("admin"), NOTE), { read: true }));
    if ((await readAsServer(NOTE)).read !== true) throw new Error("read flag not set");
    await assertSucceeds(updateDoc(doc(db("admin"), NOTE), { read: false }));
    if ((await readAsServer(NOTE)).read !== false) throw new Error("read flag not cleared");
  });

  it("an admin can overwrite the document when only read differs", async () => {
    const current = await readAsServer(NOTE);
    await assertSucceeds(setDoc(doc(db("admin"), NOTE), { ...current, read: true }));
  });

  it("an admin cannot change another field alongside read", async () => {
    await assertFails(updateDoc(doc(db("admin"), NOTE), { read: true, message: "edited" }));
    await assertFails(updateDoc(doc(db("admin"), NOTE), { read: true, extra: 1 }));
    if ((await readAsServer(NOTE)).read !== false) throw new Error("a refused update applied");
  });

  it("an admin cannot set read to a non-boolean", async () => {
    await assertFails(updateDoc(doc(db("admin"), NOTE), { read: "yes" }));
    await assertFails(updateDoc(doc(db("admin"), NOTE), { read: 1 }));
  });

  it("an admin cannot remove fields by overwriting with read alone", async () => {
    await assertFails(setDoc(doc(db("admin"), NOTE), { read: true }));
  });

  it("an admin cannot create or delete notifications", async () => {
    await assertFails(setDoc(doc(db("admin"), "admin_notifications/n9"), { read: false }));
    await assertFails(deleteDoc(doc(db("admin"), NOTE)));
  });

  it("an admin cannot mark a missing notification read", async () => {
    await assertFails(setDoc(doc(db("admin"), "admin_notifications/missing"), { read: true }));
  });

  it("a moderator can mark the moderators' notices read, and no other", async () => {
    await assertSucceeds(updateDoc(doc(db("moderator"), "admin_notifications/n2"),
      { read: true }));
    if ((await readAsServer("admin_notifications/n2")).read !== true) {
      throw new Error("read flag not set");
    }
    await assertFails(updateDoc(doc(db("moderator"), "admin_notifications/n2"),
      { read: false, audience: "everyone" }));
  });

  for (const role of Object.keys(ALL_ROLES).filter((r) => r !== "admin")) {
    it(`${role} cannot mark a notification read`, async () => {
      await assertFails(updateDoc(doc(db(role), NOTE), { read: true }));
      if ((await readAsServer(NOTE)).read !== false) throw new Error("read flag changed");
    });
  }
});


// -- a verdict a client can wait for ----------------------------------------------------------

describe("listening on one's own verdict before it exists", () => {
  before(seed);

  function firstSnapshot(ref) {
    return new Promise((resolve, reject) => {
      const stop = onSnapshot(ref, (snap) => { stop(); resolve(snap); }, reject);
    });
  }

  it("the uploader's listener opened before the upload receives the verdict", async () => {
    const path = "image_verdicts/alice/objects/not-yet";
    const seen = [];
    let arrived;
    const verdict = new Promise((resolve) => { arrived = resolve; });
    const stop = onSnapshot(doc(db("uploader"), path), (snap) => {
      seen.push(snap.exists());
      if (snap.exists()) arrived(snap.data());
    });
    try {
      await firstSnapshot(doc(db("uploader"), path)); // the listener is up: no document yet
      await setDoc(doc(serverDb, path), { status: "rejected", generation: "42" });
      const data = await verdict;
      if (data.status !== "rejected" || seen[0] !== false) {
        throw new Error(`unexpected ${JSON.stringify({ data, seen })}`);
      }
    } finally {
      stop();
    }
  });

  for (const role of ["otherUser", "noRole", "signedOut", "staff"]) {
    it(`${role} cannot listen on alice's verdicts, existing or not`, async () => {
      await assertFails(getDoc(doc(db(role), "image_verdicts/alice/objects/k1")));
      await assertFails(getDoc(doc(db(role), "image_verdicts/alice/objects/not-there")));
      await assertFails(firstSnapshot(doc(db(role), "image_verdicts/alice/objects/x")));
    });
  }
});
