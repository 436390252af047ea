// Sign in with email and password, or create an account (it gets no role: an admin gives
// one on the People page).
import { h, field } from "../dom.js";
import { signIn, signUp } from "../api.js";
import { t } from "../i18n.js";

export function render(ctx) {
  const email = h("input", { type: "email", name: "email", required: true,
                             autocomplete: "username", "data-testid": "signin-email" });
  const password = h("input", { type: "password", name: "password", required: true,
                                autocomplete: "current-password", "data-testid": "signin-password" });
  const submit = h("button", { type: "submit", class: "primary", text: t("signin.submit"),
                               "data-testid": "signin-submit" });
  const create = h("button", { type: "button", text: t("signup.submit"),
                               "data-testid": "signup-submit", onclick: onCreate });
  const status = h("p", { role: "status", class: "status", "aria-live": "polite" });

  async function run(action, working) {
    ctx.clearError();
    submit.disabled = create.disabled = true;
    status.textContent = working;
    try {
      await action(email.value.trim(), password.value);
      // onAuthStateChanged renders the signed-in app.
    } catch (err) {
      status.textContent = "";
      ctx.showError(err);
      submit.disabled = create.disabled = false;
      password.select();
      password.focus();
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    run(signIn, t("signin.working"));
  }

  function onCreate() {
    // The form's own checks (a valid email, a password) first, as for signing in.
    if (!email.reportValidity() || !password.reportValidity()) return;
    run(signUp, t("signup.working"));
  }

  const node = h("div", { class: "page narrow" },
    h("h1", { tabindex: "-1", text: t("signin.title") }),
    h("p", { text: t("signin.intro") }),
    h("form", { onsubmit: onSubmit, class: "card" },
      field(t("signin.email"), email), field(t("signin.password"), password),
      h("div", { class: "buttons" }, submit, create),
      h("p", { class: "hint", text: t("signup.hint") })),
    status);
  return { node, focus: () => email.focus() };
}
