// Who may see what (web/src/access.js): roles from custom claims, the pages each opens, the
// page to start on, and the roles shown beside the account.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rolesOf, mayOpen, hasRole, homeRoute, roleKeys } from "../src/access.js";

test("only boolean true counts, and an admin is also staff and a moderator", () => {
  assert.deepEqual(rolesOf({ admin: true }), { admin: true, staff: true, moderator: true });
  assert.deepEqual(rolesOf({ staff: true }), { admin: false, staff: true, moderator: false });
  assert.deepEqual(rolesOf({ moderator: true }),
    { admin: false, staff: false, moderator: true });
  assert.deepEqual(rolesOf({ moderator: "true", staff: 1, admin: "yes" }),
    { admin: false, staff: false, moderator: false });
  assert.deepEqual(rolesOf(undefined), { admin: false, staff: false, moderator: false });
});

test("the review page is for moderators and admins, never for staff alone", () => {
  const staff = rolesOf({ staff: true });
  const moderator = rolesOf({ moderator: true });
  const admin = rolesOf({ admin: true });
  assert.equal(mayOpen("moderator", staff), false);
  assert.equal(mayOpen("moderator", moderator), true);
  assert.equal(mayOpen("moderator", admin), true);
  assert.equal(mayOpen("staff", moderator), false);
  assert.equal(mayOpen("admin", moderator), false);
  assert.equal(mayOpen("staff", staff), true);
  assert.equal(mayOpen("anything", admin), false);
  assert.equal(mayOpen("staff", null), false);
});

test("a moderator has a role and starts on the review queue; staff on the labels", () => {
  assert.equal(hasRole(rolesOf({})), false);
  assert.equal(hasRole(rolesOf({ moderator: true })), true);
  assert.equal(homeRoute(rolesOf({ moderator: true })), "review");
  assert.equal(homeRoute(rolesOf({ moderator: true, staff: true })), "labels");
  assert.equal(homeRoute(rolesOf({ admin: true })), "labels");
  assert.equal(homeRoute(null), "labels");
});

test("the roles shown beside the account", () => {
  assert.deepEqual(roleKeys(rolesOf({ admin: true })), ["role.admin"]);
  assert.deepEqual(roleKeys(rolesOf({ staff: true })), ["role.staff"]);
  assert.deepEqual(roleKeys(rolesOf({ staff: true, moderator: true })),
    ["role.staff", "role.moderator"]);
  assert.deepEqual(roleKeys(rolesOf({})), ["role.none"]);
});
