// The console's login: account and password to POST /console/login; the session cookie is HttpOnly (the page never
// sees it), the CSRF token comes back in the answer and /console/session.
"use strict";
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = document.getElementById("login-message");
  message.textContent = "";
  const account = document.getElementById("account").value.trim();
  const password = document.getElementById("password").value;
  if (!account || !password) { message.textContent = "Nhập tài khoản và mật khẩu."; return; }
  try {
    const answer = await fetch("/console/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "Accept-Language": "vi" },
      body: JSON.stringify({ account, password }),
    });
    if (answer.ok) { window.location.assign("/console/station.html"); return; }
    const body = await answer.json().catch(() => ({}));
    message.textContent = (body.error && body.error.message) || ("Không đăng nhập được (" + answer.status + ").");
    document.getElementById("password").value = "";
  } catch (error) {
    message.textContent = "Không liên lạc được với trạm. Kiểm tra dịch vụ stationd.";
  }
});
