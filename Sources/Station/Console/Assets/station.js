// The station screen: devices (with what to do when one is missing), upload progress and stall messages, the
// export to a USB stick with its progress (supervisors start it), the freeze rules broken now with their advice,
// today's applications per commune against the daily quota, and the queue counts. Polls the station every few
// seconds (every second while an upload or an export runs). Words from the catalog.
"use strict";
const { $, text, term } = Console;

function item(list, value, kind) {
  const entry = document.createElement("li");
  entry.textContent = value;
  if (kind) entry.className = kind;
  list.append(entry);
}

function showDevices(found) {
  const devices = $("devices");
  devices.replaceChildren();
  if (!found.pcscAvailable) item(devices, text("noPcscd"), "missing");
  else if (!(found.readers || []).length) item(devices, text("noReader"), "missing");
  for (const reader of found.readers || []) {
    item(devices, text("readerLabel", { name: reader.name || "" }) + text(reader.cardPresent ? "cardPresent" : "cardAbsent"), "ok");
  }
  const scanners = found.fingerprintScanners || [];
  if (!scanners.length) item(devices, text("noScanner"), "missing");
  for (const scanner of scanners) item(devices, text("scannerLabel", { name: scanner.name }), "ok");
}

function showQueue(queue) {
  const list = $("queue");
  list.replaceChildren();
  const counts = (queue && queue.byState) || {};
  const pair = (label, value) => {
    const name = document.createElement("dt");
    name.textContent = label;
    const figure = document.createElement("dd");
    figure.textContent = String(value);
    list.append(name, figure);
  };
  for (const entry of Console.terms.local || []) pair(entry.name, counts[entry.value] || 0);
  pair(text("queueTotal"), (queue && queue.total) || 0);
}

/** The upload's phase, its progress while it runs, and a stall message when it is offline or failing. */
function showUpload(upload) {
  $("upload-state").textContent = term("upload", upload.state);
  $("upload-state").dataset.state = upload.state;
  $("upload-last").textContent = upload.lastSyncAt ? Console.when(upload.lastSyncAt) : text("uploadNever");
  const running = upload.state === "uploading";
  $("upload-progress-box").hidden = !running;
  if (running) {
    $("upload-progress").value = upload.progress || 0;
    $("upload-progress-text").textContent = text("uploadProgress", { sent: upload.sent || 0, total: upload.total || 0 });
  }
  // The stall line (since when the central took nothing, the next try), worded by the station in this language.
  const stall = upload.stall && upload.stall.message;
  $("upload-stall").hidden = !stall;
  $("upload-stall").textContent = stall || "";
  const stalled = upload.state === "offline" || upload.state === "failed";
  $("upload-stalled").hidden = !stalled;
  $("upload-stalled").textContent = stalled
    ? text("uploadStalled", { state: term("upload", upload.state), code: upload.lastError || upload.state }) : "";
  $("upload-now").hidden = !upload.configured;
  return running;
}

function showFreeze(rules) {
  const list = $("freeze");
  list.replaceChildren();
  if (!rules.length) item(list, text("freezeNone"), "ok");
  for (const rule of rules) {
    const entry = document.createElement("li");
    entry.className = "missing";
    entry.dataset.code = rule.code;
    const what = document.createElement("strong");
    what.textContent = rule.message;
    entry.append(what, document.createTextNode(" — " + rule.advice));
    list.append(entry);
  }
}

/** Today's applications per commune (the daily report) against the day's quota from the seed table. */
function showFigures(report) {
  const rows = $("figures-rows");
  rows.replaceChildren();
  const quota = new Map((report.seedTable || []).map((line) => [line.communeCode, line]));
  const taken = new Map((report.lines || []).map((line) => [line.communeCode, line.taken]));
  const communes = [...new Set([...quota.keys(), ...taken.keys()])].sort();
  for (const code of communes) {
    const row = document.createElement("tr");
    row.dataset.commune = code;
    const seed = quota.get(code);
    const cells = [seed && seed.communeName ? seed.communeName + " (" + code + ")" : code, String(taken.get(code) || 0),
      seed && seed.toDoToday != null ? String(seed.toDoToday) : text("figuresNoQuota")];
    for (const value of cells) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.append(cell);
    }
    rows.append(row);
  }
  if (!communes.length) {
    const row = document.createElement("tr");
    const cell = document.createElement("td");
    cell.colSpan = 3;
    cell.textContent = text("figuresNone");
    row.append(cell);
    rows.append(row);
  }
}

/** The export job (GET /v1/export): its progress while it runs, what it wrote or why it failed once it ended. */
function showExport(job) {
  const running = job.state === "exporting";
  // Nothing to say until the ready applications are counted.
  $("export-progress-box").hidden = !running || job.total + job.files === 0;
  const figures = {
    items: job.items, total: job.total, files: job.files, kilobytes: Math.ceil(job.bytes / 1024),
    destination: job.destination || "", message: job.message || job.error || "",
  };
  if (running) {
    $("export-progress").value = job.total ? (job.items + job.failed) / job.total : 0;
    $("export-progress-text").textContent = text("exportProgress", figures);
  }
  const message = $("export-message");
  message.dataset.state = job.state;
  if (job.state === "done") message.textContent = text("exportDone", figures);
  else if (job.state === "failed") message.textContent = text("exportFailed", figures);
  else if (running) message.textContent = "";
  $("export-now").disabled = running;
  return running;
}

let timer = null;

async function refresh() {
  let running = false;
  try {
    // The screen's own refresh: not the officer's activity, so it does not hold off the idle logout.
    const status = await Console.call("GET", "/v1/status", undefined, true);
    showDevices(status.devices || {});
    showQueue(status.queue);
    running = showUpload(status.uplink || { state: "notConfigured" });
    running = showExport(await Console.call("GET", "/v1/export", undefined, true)) || running;
    showFreeze(await Console.call("GET", "/v1/freeze", undefined, true));
    showFigures(await Console.call("GET", "/v1/reports/daily?date=" + Console.today(), undefined, true));
    $("station-message").textContent = "";
  } catch (error) {
    if (error.message !== "logged out") $("station-message").textContent = text("loadFailed") + " " + error.message;
  }
  clearTimeout(timer);
  timer = setTimeout(refresh, running ? 1000 : 5000);
}

$("upload-now").addEventListener("click", async () => {
  try {
    await Console.call("POST", "/v1/upload");
    $("upload-message").textContent = text("uploadStarted");
  } catch (error) {
    $("upload-message").textContent = error.message;
  }
  refresh();
});

$("export-now").addEventListener("click", async () => {
  try {
    await Console.call("POST", "/v1/export", { to: $("export-to").value.trim() });
  } catch (error) {
    $("export-message").textContent = error.message;
  }
  refresh();
});

Console.start().then(refresh).catch((error) => {
  if (error.message !== "logged out") $("station-message").textContent = text("loadFailed") + " " + error.message;
});
