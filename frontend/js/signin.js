// Sign in: as a guest with a nickname, or with email and password (and sign up first if new).

import { request } from "./api.js";
import { $, busy } from "./dom.js";

// Codes whose server message is already the right sentence here (a wrong password, a bad email...).
const OWN_WORDS = ["NOT_AUTHENTICATED", "INVALID_PAYLOAD", "FORBIDDEN"];

export function createSignInScreen(app) {
  const guestForm = $("#guest-form");
  const accountForm = $("#account-form");
  const nicknameRow = $("#account-nickname-row");

  guestForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const nickname = $("#guest-nickname").value.trim();
    if (!nickname) return app.notify("Type a nickname first.");
    busy(guestForm.querySelector("button[type=submit]"), async () => {
      try {
        const answer = await request("POST", "/api/users/guest", { body: { nickname } });
        await app.signIn({ token: answer.jwtoken, nickname: answer.nickname, userId: answer.userId, account: false });
      } catch (failure) {
        app.fail(failure, OWN_WORDS);
      }
    });
  });

  $("#account-switch").addEventListener("click", () => {
    setMode(accountForm.dataset.mode === "login" ? "signup" : "login");
  });

  accountForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const email = $("#account-email").value.trim();
    const pw = $("#account-password").value;
    const nickname = $("#account-nickname").value.trim();
    const signingUp = accountForm.dataset.mode === "signup";
    if (!email || !pw || (signingUp && !nickname)) {
      return app.notify(signingUp ? "Fill in email, password and nickname." : "Fill in email and password.");
    }
    busy($("#account-submit"), async () => {
      try {
        if (signingUp) await request("POST", "/api/users/signup", { body: { email, nickname, pw } });
        const answer = await request("POST", "/api/users/login", { body: { email, pw } });
        await app.signIn({ token: answer.jwtoken, nickname: answer.nickname, userId: answer.userId, account: true });
      } catch (failure) {
        app.fail(failure, OWN_WORDS);
      }
    });
  });

  function setMode(mode) {
    const signingUp = mode === "signup";
    accountForm.dataset.mode = mode;
    nicknameRow.hidden = !signingUp;
    $("#account-title").textContent = signingUp ? "Create an account" : "Sign in";
    $("#account-submit").textContent = signingUp ? "Create account" : "Sign in";
    $("#account-switch").textContent = signingUp ? "Have an account? Sign in" : "New here? Create an account";
    $("#account-password").autocomplete = signingUp ? "new-password" : "current-password";
  }

  return {
    enter() {
      $("#guest-nickname").focus();
    },
    leave() {
      $("#account-password").value = "";
    },
  };
}
