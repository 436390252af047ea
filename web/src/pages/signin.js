// Sign in with email and password.
import { h, field } from "../dom.js";
import { signIn } from "../api.js";
import { t } from "../i18n.js";

export function render(ctx) {
  const email = h("input", { type: "email", name: "email", required: true,
                             autocomplete: "username", "data-testid": "signin-email" });
  const password = h("input", { type: "password", name: "password", required: true,
                                autocomplete: "current-password", "data-testid": "signin-password" });
  const submit = h("button", { type: "submit", class: "primary", text: t("signin.submit"),
                               "data-testid": "signin-submit" });
  const status = h("p", { role: "status", class: "status", "aria-live": "polite" });

  async function onSubmit(event) {
    event.preventDefault();
    ctx.clearError();
    submit.disabled = true;
    status.textContent = t("signin.working");
    try {
      await signIn(email.value.trim(), password.value);
      // onAuthStateChanged renders the signed-in app.
    } catch (err) {
      status.textContent = "";
      ctx.showError(err);
      submit.disabled = false;
      password.select();
      password.focus();
    }
  }

  const node = h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("signin.title") }),
    h("p", { text: t("signin.intro") }),
    h("form", { onsubmit: onSubmit, class: "card" },
      field(t("signin.email"), email), field(t("signin.password"), password), submit),
    status);
  return { node, focus: () => email.focus() };
}
