// One change a person asks for (save a setting, give a role ...): its button is busy, the
// status says "Saving…", then the reply's words, or the function's error in the alert.
import { call } from "../api.js";
import { t } from "../i18n.js";

// -> true when the function accepted the change (after `reload` has run), else false.
export async function change(ctx, { name, data, button = null, status, done, reload }) {
  ctx.clearError();
  if (button) button.disabled = true;
  status.textContent = t("common.saving");
  try {
    const reply = await call(name, data);
    status.textContent = done(reply);
    await reload();
    return true;
  } catch (err) {
    status.textContent = "";
    ctx.showError(err);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}
