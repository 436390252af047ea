// Who may see what: the roles an ID token's custom claims give, and the pages each opens.
// Pure (no DOM, no Firebase): web/test/access.test.mjs checks it.
//
//   staff      the inventory: labels, counting
//   moderator  the review queue
//   admin      everything (an admin is also staff and a moderator)

// {staff, moderator, admin} from custom claims: only boolean true counts, as in the functions
// (functions/identity.py) and firestore.rules.
export function rolesOf(claims) {
  const admin = claims?.admin === true;
  return { admin, staff: admin || claims?.staff === true,
           moderator: admin || claims?.moderator === true };
}

// May `who` open a page for `level` ("staff" | "moderator" | "admin")?
export function mayOpen(level, who) {
  if (!who) return false;
  if (level === "admin") return who.admin === true;
  if (level === "moderator") return who.moderator === true || who.admin === true;
  if (level === "staff") return who.staff === true || who.admin === true;
  return false;
}

// Does `who` have any role at all (else: the "no role yet" page)?
export function hasRole(who) {
  return Boolean(who && (who.staff || who.moderator || who.admin));
}

// The page to open when the address names none: the labels for staff, else the review
// queue for a moderator.
export function homeRoute(who) {
  return !who?.staff && who?.moderator ? "review" : "labels";
}

// The catalog keys of the roles to show beside the account: ["role.admin"], ["role.staff",
// "role.moderator"], or ["role.none"].
export function roleKeys(who) {
  if (who?.admin) return ["role.admin"];
  const keys = ["staff", "moderator"].filter((role) => who?.[role]).map((r) => `role.${r}`);
  return keys.length ? keys : ["role.none"];
}
