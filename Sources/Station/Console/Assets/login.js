// The console's login: account and password to POST /console/login; the session cookie is HttpOnly (the page never
// sees it), the CSRF token comes back in the answer and /console/session. Words from the catalog (common.js).
"use strict";
Console.words().catch(() => {
  document.getElementById("login-message").textContent = "stationd: GET /console/terms failed";
});
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = document.getElementById("login-message");
  message.textContent = "";
  const account = document.getElementById("account").value.trim();
  const password = document.getElementById("password").value;
  if (!account || !password) { message.textContent = Console.text("loginMissing"); return; }
  try {
    const answer = await fetch("/console/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "Accept-Language": Console.language },
      body: JSON.stringify({ account, password }),
    });
    if (answer.ok) { window.location.assign("/console/station.html"); return; }
    const body = await answer.json().catch(() => ({}));
    message.textContent = (body.error && body.error.message) || Console.text("loginFailedStatus", { status: answer.status });
    document.getElementById("password").value = "";
  } catch (error) {
    message.textContent = Console.text("loginUnreachable");
  }
});
