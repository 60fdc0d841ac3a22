// The queue screen: the station's applications, newest first, filtered by state, with the actions the logged-in
// officer's role allows (operators release and retry; supervisors also hold and cancel, with a reason). The daemon
// decides: a button is shown only where the role may act, and the API refuses anyone else all the same.
"use strict";
let officer = null;
let terms = {};
let deadline = 0;
let next = null;

const $ = (id) => document.getElementById(id);

function term(family, value) {
  const found = (terms[family] || []).find((entry) => entry.value === value);
  return found ? found.name : value;
}

async function call(method, path, body) {
  const headers = { "Accept": "application/json", "Accept-Language": "vi" };
  if (method !== "GET") headers["X-CSRF-Token"] = officer ? officer.csrfToken : "";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin",
  });
  if (answer.status === 401) { window.location.assign("/console/"); throw new Error("logged out"); }
  const text = await answer.text();
  const json = text ? JSON.parse(text) : {};
  if (!answer.ok) throw new Error((json.error && json.error.message) || ("HTTP " + answer.status));
  return json;
}

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = value;
  row.append(td);
  return td;
}

/** The actions `item` allows for this role: [name, label, needs a reason]. */
function actions(item) {
  const supervisor = officer.role === "supervisor" || officer.role === "root";
  const list = [];
  if (item.local === "held") list.push(["release", "Bỏ tạm giữ", false]);
  if (item.local === "needsAttention") list.push(["retry", "Gửi lại", false]);
  if (supervisor && ["captured", "ready", "needsAttention"].includes(item.local)) list.push(["hold", "Tạm giữ", true]);
  if (supervisor && ["captured", "ready", "held", "needsAttention"].includes(item.local)) {
    list.push(["cancel", "Hủy hồ sơ", true]);
  }
  return list;
}

function row(item) {
  const tr = document.createElement("tr");
  tr.dataset.id = item.id;
  tr.dataset.local = item.local;
  cell(tr, new Date(item.capturedAt).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" }));
  cell(tr, item.id.slice(0, 8)).title = item.id;
  cell(tr, term("local", item.local)).className = "state";
  cell(tr, term("central", item.central) + (item.centralReason ? " (" + item.centralReason + ")" : ""));
  cell(tr, item.communeCode);
  cell(tr, term("bundle", item.bundle));
  cell(tr, item.operatorID);
  const td = cell(tr, "");
  const allowed = actions(item);
  if (allowed.some(([, , reason]) => reason)) {
    const select = $("reason-template").content.firstElementChild.cloneNode(true);
    for (const entry of terms.queueReason || []) {
      const option = document.createElement("option");
      option.value = entry.value;
      option.textContent = entry.name;
      select.append(option);
    }
    td.append(select);
  }
  for (const [name, label, needsReason] of allowed) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "action " + name;
    button.textContent = label;
    button.addEventListener("click", () => act(item.id, name, needsReason ? td.querySelector("select").value : null));
    td.append(button);
  }
  return tr;
}

async function act(id, name, reason) {
  try {
    await call("POST", "/v1/queue/" + id + "/" + name, reason ? { reason } : undefined);
    $("queue-message").textContent = "";
    await load(true);
  } catch (error) {
    $("queue-message").textContent = error.message;
  }
}

async function load(fresh) {
  const params = new URLSearchParams({ limit: "50" });
  if ($("state").value) params.set("state", $("state").value);
  if (!fresh && next) params.set("after", next);
  const page = await call("GET", "/v1/queue?" + params.toString());
  if (fresh) $("queue-rows").replaceChildren();
  for (const item of page.items) $("queue-rows").append(row(item));
  next = page.next || null;
  $("more").hidden = !next;
  if (fresh && !page.items.length) $("queue-message").textContent = "Không có hồ sơ nào.";
}

function tick() {
  const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
  $("countdown").textContent = Math.floor(left / 60) + " phút " + String(left % 60).padStart(2, "0") + " giây";
  if (left === 0) window.location.assign("/console/");
}

$("filter").addEventListener("submit", (event) => { event.preventDefault(); load(true); });
$("more").addEventListener("click", () => load(false));

async function start() {
  try {
    officer = await call("GET", "/console/session");
    deadline = Date.now() + officer.remainingSeconds * 1000;
    $("officer").textContent = officer.account;
    terms = await call("GET", "/console/terms");
    $("role").textContent = term("role", officer.role);
    for (const entry of terms.local || []) {
      const option = document.createElement("option");
      option.value = entry.value;
      option.textContent = entry.name;
      $("state").append(option);
    }
    tick();
    setInterval(tick, 1000);
    await load(true);
  } catch (error) {
    $("queue-message").textContent = error.message;
  }
}

start();
