// The station screen: who is logged in, the idle-logout countdown, devices and queue counts from /v1/status.
"use strict";
let session = null;
let deadline = 0;

function text(id, value) { document.getElementById(id).textContent = value; }

async function getJSON(path) {
  const answer = await fetch(path, { credentials: "same-origin", headers: { "Accept": "application/json" } });
  if (answer.status === 401) { window.location.assign("/console/"); throw new Error("logged out"); }
  if (!answer.ok) { throw new Error(path + " " + answer.status); }
  return answer.json();
}

function showStatus(status) {
  const devices = document.getElementById("devices");
  devices.replaceChildren();
  const entries = [];
  for (const [key, value] of Object.entries(status)) {
    if (value && typeof value === "object" && !Array.isArray(value) && key !== "queue") entries.push([key, value]);
  }
  for (const [key, value] of entries) {
    const item = document.createElement("li");
    item.textContent = key + ": " + JSON.stringify(value);
    devices.append(item);
  }
  const queue = document.getElementById("queue");
  queue.replaceChildren();
  const counts = status.queue || {};
  for (const [key, value] of Object.entries(counts)) {
    const term = document.createElement("dt");
    term.textContent = key;
    const detail = document.createElement("dd");
    detail.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
    queue.append(term, detail);
  }
}

function tick() {
  const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
  text("countdown", Math.floor(left / 60) + " phút " + String(left % 60).padStart(2, "0") + " giây");
  if (left === 0) { window.location.assign("/console/"); }
}

async function refresh() {
  try {
    session = await getJSON("/console/session");
    deadline = Date.now() + session.remainingSeconds * 1000;
    text("officer", session.account);
    text("role", session.role === "supervisor" ? "giám sát" : "tiếp nhận");
    showStatus(await getJSON("/v1/status"));
    text("station-message", "");
  } catch (error) {
    text("station-message", "Không đọc được trạng thái của trạm.");
  }
}

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/console/logout", {
    method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": session ? session.csrfToken : "" },
  });
  window.location.assign("/console/");
});

refresh();
setInterval(tick, 1000);
