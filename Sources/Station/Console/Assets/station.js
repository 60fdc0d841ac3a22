// The station screen: who is logged in, the idle-logout countdown, devices and queue counts from /v1/status.
"use strict";
let session = null;
let deadline = 0;

function text(id, value) { document.getElementById(id).textContent = value; }

async function getJSON(path) {
  const answer = await fetch(path, { credentials: "same-origin", headers: { "Accept": "application/json", "Accept-Language": "vi" } });
  if (answer.status === 401) { window.location.assign("/console/"); throw new Error("logged out"); }
  if (!answer.ok) { throw new Error(path + " " + answer.status); }
  return answer.json();
}

const STATES = {
  captured: "Đã tiếp nhận", ready: "Sẵn sàng gửi", batched: "Đã đóng lô", uploaded: "Đã gửi",
  exported: "Đã xuất", held: "Tạm giữ", needsAttention: "Cần xử lý", cancelled: "Đã hủy",
};

function item(list, value, kind) {
  const entry = document.createElement("li");
  entry.textContent = value;
  if (kind) entry.className = kind;
  list.append(entry);
}

function showStatus(status) {
  const devices = document.getElementById("devices");
  devices.replaceChildren();
  const found = status.devices || {};
  if (!found.pcscAvailable) {
    item(devices, "Dịch vụ đầu đọc thẻ (pcscd) chưa chạy: báo kỹ thuật viên kiểm tra pcscd.", "missing");
  } else if (!(found.readers || []).length) {
    item(devices, "Chưa có đầu đọc thẻ: cắm đầu đọc thẻ CCCD vào máy.", "missing");
  }
  for (const reader of found.readers || []) {
    item(devices, "Đầu đọc thẻ: " + (reader.name || "") + (reader.cardPresent ? " — có thẻ" : " — chưa có thẻ"), "ok");
  }
  const scanners = found.fingerprintScanners || [];
  if (!scanners.length) item(devices, "Chưa có máy quét vân tay: cắm máy quét vào cổng USB.", "missing");
  for (const scanner of scanners) item(devices, "Máy quét vân tay: " + scanner.name, "ok");

  const queue = document.getElementById("queue");
  queue.replaceChildren();
  const counts = (status.queue && status.queue.byState) || {};
  for (const [state, label] of Object.entries(STATES)) {
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = String(counts[state] || 0);
    queue.append(term, detail);
  }
  const term = document.createElement("dt");
  term.textContent = "Tổng số hồ sơ";
  const detail = document.createElement("dd");
  detail.textContent = String((status.queue && status.queue.total) || 0);
  queue.append(term, detail);
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
    tick();
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
