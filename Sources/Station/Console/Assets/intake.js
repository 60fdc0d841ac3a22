// The intake screen: one citizen's level-2 application over the station's own API (/v1/intake), the same rules,
// messages and audit as stationctl intake. The session belongs to the logged-in officer: reloading the page, or
// logging in again after an idle logout, resumes it where it stopped. Words from the catalog in the chosen language
// (common.js), except the receipt, which is the citizen's and stays Vietnamese.
"use strict";
let officer = null;
let session = null;
let terms = {};
let camera = null;
let places = null;

const $ = (id) => document.getElementById(id);
const STEPS = ["step-card", "step-card-result", "step-refusal", "step-fingers", "step-portrait", "step-details",
  "step-review", "step-receipt", "step-ended"];
const text = Console.text;

/** A finger's name by its ISO position, from the catalog's finger vocabulary ("ngón trỏ tay phải"): never a number. */
function fingerName(position) {
  return term("finger", String(position));
}

function term(family, value) {
  const found = (terms[family] || []).find((entry) => entry.value === value);
  return found ? found.name : value;
}

/** A call to the station: JSON in and out, the CSRF token on every write, the daemon's message on a refusal. */
async function call(method, path, body, contentType) {
  const headers = { "Accept": "application/json", "Accept-Language": Console.language };
  if (method !== "GET") headers["X-CSRF-Token"] = officer ? officer.csrfToken : "";
  let payload;
  if (body instanceof Blob) { payload = body; headers["Content-Type"] = contentType || body.type; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
  const answer = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (answer.status === 401) { window.location.assign("/console/"); throw new Error("logged out"); }
  const text = await answer.text();
  const json = text ? JSON.parse(text) : {};
  if (!answer.ok) {
    const error = new Error((json.error && json.error.message) || ("HTTP " + answer.status));
    error.code = json.error && json.error.code;
    throw error;
  }
  Console.touched();
  return json;
}

function say(message) { $("intake-message").textContent = message || ""; }

function showProblems(problems) {
  const list = $("intake-problems");
  list.replaceChildren();
  for (const problem of problems || []) {
    const item = document.createElement("li");
    item.textContent = problem.message;
    item.dataset.code = problem.code;
    list.append(item);
  }
}

function show(...ids) { for (const id of STEPS) $(id).hidden = !ids.includes(id); }

/** Shows the step the session's state asks for; every step already done stays visible and can be redone. */
function render() {
  const state = session.state;
  $("intake-state").textContent = text("sessionState", { state: term("session", state) });
  showProblems(session.problems);
  $("abandon").hidden = ["committed", "abandoned"].includes(state);
  if (session.maskedIDNumber) {
    $("masked-id").textContent = session.maskedIDNumber;
    $("verdict").textContent = session.authenticity ? term("authenticity", session.authenticity) : "";
    $("verdict").dataset.verdict = session.authenticity || "";
  }
  const taken = $("fingers-taken");
  taken.replaceChildren();
  for (const finger of session.fingers || []) {
    const item = document.createElement("li");
    item.className = "ok";
    item.textContent = text("fingerTaken", { finger: fingerName(finger) });
    taken.append(item);
  }
  $("portrait-done").textContent = session.portrait ? text("portraitDone") : "";
  // A citizen without a card applies for a CCCD: the 1-utility bundle (a chip card's) is not offered.
  const withoutCard = session.authenticity === "noCard";
  $("bundle").querySelector("option[value=utility]").disabled = withoutCard;
  if (withoutCard && $("bundle").value === "utility") $("bundle").value = "2in1";
  // Suggested from the date of birth, shown; the officer chooses the group (never set by the page).
  $("priority-suggestion").textContent = session.suggestedPriorityGroup
    ? text("suggestedPriority", { group: term("priority", session.suggestedPriorityGroup) }) : "";
  showPlace();
  switch (state) {
    case "idle":
      show("step-card");
      $("can").focus();
      break;
    case "paused":
      show("step-card", "step-card-result", "step-refusal");
      say(text("cardPulled"));
      break;
    case "turnedAway":
      // Said at once, before any finger: what to tell the citizen, and the refusal recorded in one step.
      show(...(session.maskedIDNumber ? ["step-card-result"] : []), "step-refusal");
      $("refusal-box").open = true;
      break;
    case "cardRead":
    case "biometrics":
      show("step-card-result", "step-refusal", "step-fingers", "step-portrait", "step-details", "step-review");
      startCamera();
      break;
    case "review":
    case "review.persisting":
      show("step-card-result", "step-refusal", "step-fingers", "step-portrait", "step-details", "step-review");
      showReadBack(session.readBack);
      break;
    case "committed":
      stopCamera();
      show("step-receipt");
      $("application-id").textContent = session.applicationID || "";
      $("receipt-reference").textContent = session.reference || "";
      $("receipt-masked-id").textContent = session.maskedIDNumber || "";
      $("receipt-officer").textContent = officer ? officer.account : "";
      $("receipt-time").textContent = new Date().toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" });
      break;
    default:
      stopCamera();
      show("step-ended");
      say(text("sessionEnded", { reason: term("abandon", session.abandonReason || "") }));
  }
  renderExceptions();
}

function showReadBack(readBack) {
  const list = $("read-back");
  list.replaceChildren();
  $("commit").disabled = true;
  $("read-back-done").checked = false;
  if (!readBack) return;
  const rows = [
    ["rbName", readBack.fullName], ["rbBirth", readBack.dateOfBirth], ["idNumber", readBack.maskedIDNumber],
    ["rbPhone", readBack.phone || ""], ["bundleLabel", term("bundle", readBack.bundle)],
    ["priorityLabel", readBack.priorityGroup ? term("priority", readBack.priorityGroup) : text("rbNo")],
    ...(readBack.bankCode ? [["rbBank", bankName(readBack.bankCode)]] : []),
    ["opCommune", readBack.communeCode + (readBack.hamlet ? " — " + readBack.hamlet : "")],
    ["rbFingers", (readBack.fingers || []).map((f) => fingerName(f.position) + " " +
      (f.exception ? text("rbException") : text("rbQuality", { quality: f.quality }))).join("; ")],
    ["rbPortrait", text(readBack.portraitPresent ? "rbYes" : "rbNotYet")],
  ];
  for (const [label, value] of rows) {
    const name = document.createElement("dt");
    name.textContent = text(label);
    const detail = document.createElement("dd");
    detail.textContent = value;
    list.append(name, detail);
  }
}

async function step(work, busyMessage) {
  say(busyMessage || "");
  for (const button of document.querySelectorAll("main button")) button.disabled = true;
  try {
    session = await work();
    say("");
  } catch (error) {
    say(error.message);
    try { session = await call("GET", "/v1/intake/" + session.id); } catch (ignored) { /* keep the last state */ }
  } finally {
    for (const button of document.querySelectorAll("main button")) button.disabled = false;
    render();
  }
}

// Step 1: the card.
$("card-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const can = $("can").value.trim();
  $("can").value = "";
  step(() => call("POST", "/v1/intake/" + session.id + "/card", { can }), text("busyCard"));
});

// A citizen without a chip card (2-in-1): the identity typed from their papers instead of the card read.
$("identity-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = {
    idNumber: $("id-number").value.trim(), fullName: $("citizen-name").value.trim(),
    dateOfBirth: $("birth-date").value, sex: $("sex").value,
  };
  step(() => call("POST", "/v1/intake/" + session.id + "/identity", body), text("busyIdentity"));
});

// The session's commune and hamlet (GET /v1/places), offered only when the station serves more than one place;
// chosen before the card is read.
function fillPlaces() {
  const select = $("place");
  select.replaceChildren();
  const choices = [];
  for (const commune of (places && places.communes) || []) {
    choices.push([commune.code, ""]);
    for (const hamlet of commune.hamlets) choices.push([commune.code, hamlet]);
  }
  for (const [code, hamlet] of choices) {
    Console.option(select, JSON.stringify([code, hamlet]), code + " — " + (hamlet || text("placeNoHamlet")));
  }
  $("place-box").dataset.choices = String(choices.length);
}

function showPlace() {
  const many = Number($("place-box").dataset.choices || "0") > 1;
  $("place-box").hidden = !many;
  $("place").disabled = session.state !== "idle";
  if (many) $("place").value = JSON.stringify([session.communeCode || "", session.hamlet || ""]);
}

$("place").addEventListener("change", () => {
  const [commune, hamlet] = JSON.parse($("place").value);
  step(() => call("PUT", "/v1/intake/" + session.id + "/place", { commune, hamlet: hamlet || null }));
});

// Step 2: fingers, one at a time, by name.
for (const finger of [2, 7]) {
  $("finger-" + finger).addEventListener("click", () => step(
    () => call("POST", "/v1/intake/" + session.id + "/fingers", { finger }),
    text("busyFinger", { finger: fingerName(finger) })));
}

// Step 3: the portrait from the PC's camera, framed by an oval; or a file.
async function startCamera() {
  if (camera || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    if (!camera) $("camera-message").textContent = text("noCamera");
    return;
  }
  try {
    camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    $("camera").srcObject = camera;
  } catch (error) {
    $("camera-message").textContent = text("cameraFailed", { error: error.name });
  }
}

function stopCamera() {
  if (camera) for (const track of camera.getTracks()) track.stop();
  camera = null;
}

$("take-photo").addEventListener("click", () => {
  const video = $("camera");
  if (!camera || !video.videoWidth) { $("camera-message").textContent = text("cameraNotReady"); return; }
  // A 3:4 portrait from the middle of the frame: the daemon checks its size and proportions.
  const height = video.videoHeight;
  const width = Math.round(height * 3 / 4);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(video, (video.videoWidth - width) / 2, 0, width, height, 0, 0, width, height);
  canvas.toBlob((blob) => step(() => call("PUT", "/v1/intake/" + session.id + "/portrait", blob, "image/jpeg"),
    text("busyPhoto")), "image/jpeg", 0.92);
});

$("portrait-file").addEventListener("change", () => {
  const file = $("portrait-file").files[0];
  if (file) step(() => call("PUT", "/v1/intake/" + session.id + "/portrait", file, file.type || "image/jpeg"),
    text("busyPhoto"));
});

// Step 4: the details.
$("details-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { phone: $("phone").value.trim(), bundle: $("bundle").value };
  if ($("priority").value) body.priorityGroup = $("priority").value;
  if (["3in1", "4in1"].includes(body.bundle)) {
    body.bankCode = $("bank").value;
    body.accountConsent = $("account-consent").checked;
    body.preferentialLoan = $("loan").checked;
  }
  if (body.bundle === "4in1") {
    body.benefits = [...document.querySelectorAll("input[name=benefit]:checked")].map((box) => box.value);
  }
  step(() => call("PUT", "/v1/intake/" + session.id + "/details", body), text("busyDetails"));
});

// 3-in-1 and 4-in-1: the bank (from the station's list, GET /v1/banks), the consent, the loan, the benefits.
let banks = [];
function bankName(code) {
  const bank = banks.find((entry) => entry.code === code);
  return bank ? bank.shortName + " — " + bank.name : code;
}
$("bundle").addEventListener("change", async () => {
  const bundle = $("bundle").value;
  $("bank-fields").hidden = !["3in1", "4in1"].includes(bundle);
  $("benefit-fields").hidden = bundle !== "4in1";
  if ($("bank-fields").hidden || banks.length) return;
  try {
    banks = (await call("GET", "/v1/banks")).banks;
    for (const bank of banks) Console.option($("bank"), bank.code, bank.shortName + " — " + bank.name);
  } catch (error) {
    say(error.message);
  }
});

// Step 5: validate, read back, commit.
$("review").addEventListener("click", () => step(
  () => call("POST", "/v1/intake/" + session.id + "/review", {}), text("busyReview")));
$("read-back-done").addEventListener("change", () => { $("commit").disabled = !$("read-back-done").checked; });
$("commit").addEventListener("click", () => step(() => call("POST", "/v1/intake/" + session.id + "/commit",
  { readBackRevision: session.readBack ? session.readBack.revision : undefined }), text("busyCommit")));

// A citizen who cannot be registered today: the eligibility list, then the session ends.
$("refusal-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { reason: $("refusal-reason").value, confirmedByLocalAuthority: $("refusal-confirmed").checked };
  if ($("refusal-note").value.trim()) body.note = $("refusal-note").value.trim();
  step(() => call("POST", "/v1/intake/" + session.id + "/refusal", body), text("busyRefusal"));
});

function fillRefusalReasons() {
  const select = $("refusal-reason");
  select.replaceChildren();
  for (const entry of terms.refusal || []) Console.option(select, entry.value, entry.name);
  // The priority groups after "none", from the catalog too.
  for (const entry of terms.priority || []) Console.option($("priority"), entry.value, entry.name);
}

$("print").addEventListener("click", () => window.print());
$("next").addEventListener("click", () => begin());
$("restart").addEventListener("click", () => begin());
$("abandon").addEventListener("click", () => step(() => call("DELETE", "/v1/intake/" + session.id),
  text("busyAbandon")));

// ---- Finger exceptions (issue 19 item 5): the officer asks for a finger to be skipped (kind and a note); it waits
// on the session for a supervisor, who confirms or declines it on the supervisor screen. While one waits, the page
// polls the session (a poll, not activity) and shows the decision when it comes.
let exceptionPoll = null;

/** The exception area: shown with the fingers; each request with its status; polling while one is pending. */
function renderExceptions() {
  $("exception-box").hidden = $("step-fingers").hidden;
  $("exception-message").textContent = session.notice ? session.notice.message : "";
  const list = $("exception-requests");
  list.replaceChildren();
  const requests = session.exceptionRequests || [];
  for (const request of requests) {
    const item = document.createElement("li");
    item.dataset.finger = String(request.finger);
    item.dataset.status = request.status;
    const words = { finger: fingerName(request.finger), kind: term("exception", request.exception),
      by: request.decidedBy || "", reason: request.decisionReason || "" };
    const line = document.createElement("span");
    line.textContent = text({ pending: "excPending", confirmed: "excConfirmed", declined: "excDeclined" }[request.status]
      || "excPending", words);
    item.append(line);
    if (request.status !== "confirmed") {
      const withdraw = document.createElement("button");
      withdraw.type = "button";
      withdraw.className = "secondary withdraw";
      // Pending: taken back; declined: the decline read (either way the request goes).
      const label = request.status === "declined" ? "excDismiss" : "excWithdraw";
      withdraw.textContent = text(label);
      withdraw.setAttribute("aria-label", text(label) + " — " + fingerName(request.finger));
      withdraw.addEventListener("click", () => step(
        () => call("DELETE", "/v1/intake/" + session.id + "/exceptions/" + request.finger)));
      item.append(" ", withdraw);
    }
    list.append(item);
  }
  const waiting = requests.some((request) => request.status === "pending");
  if (waiting && !exceptionPoll) exceptionPoll = setInterval(pollExceptions, 2000);
  if (!waiting && exceptionPoll) { clearInterval(exceptionPoll); exceptionPoll = null; }
}

/** Reads the session again; draws it only when a request was decided (the officer's typing is left alone). */
async function pollExceptions() {
  if (!session) return;
  try {
    const fresh = await Console.call("GET", "/v1/intake/" + session.id, undefined, true);
    if (JSON.stringify(fresh.exceptionRequests || []) !== JSON.stringify(session.exceptionRequests || [])
      || fresh.state !== session.state) {
      session = fresh;
      render();
    }
  } catch (error) {
    if (error.message !== "logged out") $("exception-message").textContent = error.message;
  }
}

function fillExceptionKinds() {
  for (const entry of terms.exception || []) Console.option($("exception-kind"), entry.value, entry.name);
  for (const option of $("exception-finger").options) option.textContent = fingerName(Number(option.value));
}

$("exception-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { finger: Number($("exception-finger").value), exception: $("exception-kind").value,
    exceptionReason: $("exception-note").value.trim() };
  $("exception-note").value = "";
  step(() => call("POST", "/v1/intake/" + session.id + "/fingers", body), text("busyException"));
});
// ---- end of finger exceptions

/** Starts the officer's session, or resumes the one they already hold. */
async function begin() {
  try {
    session = await call("POST", "/v1/intake", {});
    say("");
    render();
  } catch (error) {
    show();
    say(error.message);
  }
}

async function load() {
  try {
    officer = await Console.start();
    terms = Console.terms;
    fillRefusalReasons();
    fillExceptionKinds();
    places = await call("GET", "/v1/places").catch(() => null);
    fillPlaces();
    await begin();
  } catch (error) {
    say(error.message);
  }
}

load();

// ── Live: the station's events (GET /v1/events, Server-Sent Events, with the console's session cookie) ──────────
// The page follows the station as it happens, not only its own requests' answers: a card placed asks for the CAN,
// a card pulled is said at once, each capture attempt shows the finger by name, its quality and the scanner's
// advice while the capture's request is still running. A lost stream (the daemon stopped or restarted) is opened
// again as soon as the station answers, and the page re-reads the session's state; a daemon that no longer knows the
// login sends the officer to the login page. No polling while the stream is open.
const live = { source: null, lost: false, retry: null };

/** The name of an advice code, to follow a dash: the catalog's sentence with its first letter small. */
function liveAdvice(code) {
  const name = Console.term("advice", code);
  return name.charAt(0).toLocaleLowerCase(Console.language) + name.slice(1);
}

/** One capture attempt as the officer reads it: the finger by name, never its number. */
function liveAttemptText(event) {
  const values = {
    finger: Console.term("finger", String(event.finger)), attempt: event.attempt, quality: event.quality,
    advice: (event.advice || []).map(liveAdvice).join("; "),
  };
  return text(event.accepted ? "captureAccepted" : "captureAdvised", values);
}

/** Says `message` in the live notice (`kind`: placed; none clears it). */
function liveNotice(message, kind) {
  $("live-notice").textContent = message || "";
  $("live-notice").dataset.kind = kind || "";
}

/** A request of the page's own is running (its buttons are disabled meanwhile). */
function liveBusy() { return $("abandon").disabled; }

/**
 * Re-reads the session's state and shows it: when the station changed it (an ended session stays as the page shows
 * it: the receipt), or `afterLoss`, once a lost stream is back.
 */
async function liveRefresh(afterLoss) {
  if (!session || liveBusy()) return;
  if (!afterLoss && ["committed", "abandoned"].includes(session.state)) return;
  try {
    // Not the officer's doing: asked as a poll, so it does not hold the idle logout off.
    const now = await Console.call("GET", "/v1/intake/" + session.id, undefined, true);
    if (liveBusy()) return;  // the officer's own request answers for it
    session = now;
    render();
  } catch (error) {
    // After a lost stream the session may be gone (a daemon restarted without it): the officer's next one, as on a
    // reload.
    if (afterLoss && !liveBusy()) await begin();
  }
}

function liveCardInserted() {
  if (!session || !["idle", "paused"].includes(session.state)) return;
  liveNotice(text("cardPlaced"), "placed");
  $("step-card").hidden = false;
  $("can").focus();
}

function liveCardRemoved() {
  // Before the card read nothing is lost; with a chip read the session pauses until the card is back: said at
  // once, in the page's message line (where the paused session's own message follows).
  if (!session || ["idle", "committed", "abandoned"].includes(session.state)) return;
  liveNotice("");
  say(text("cardPulled"));
}

/** The station changed an intake's state: a notice it answered goes, and the page shows the state. */
function liveIntakeState(state) {
  if ($("live-notice").dataset.kind === "placed" && !["idle", "paused"].includes(state)) liveNotice("");
  liveRefresh();
}

function liveCaptureAttempt(event) {
  if (!session || event.session !== session.id) return;
  const list = $("capture-attempts");
  if (list.dataset.session !== session.id) {
    // A new citizen: the last one's attempts go.
    list.replaceChildren();
    list.dataset.session = session.id;
  }
  const line = liveAttemptText(event);
  const shown = $("capture-live");
  shown.textContent = line;
  shown.dataset.accepted = String(event.accepted);
  const item = document.createElement("li");
  item.textContent = line;
  item.dataset.finger = String(event.finger);
  item.dataset.attempt = String(event.attempt);
  item.dataset.quality = String(event.quality);
  item.dataset.accepted = String(event.accepted);
  item.dataset.advice = (event.advice || []).join(" ");
  item.dataset.decidedAt = String(event.decidedAtMillis || "");
  list.append(item);
}

/** Opens the event stream. A lost stream is closed and the station asked again every second until it answers. */
function liveStart() {
  if (!window.EventSource) return;
  const source = new EventSource("/v1/events");
  live.source = source;
  const on = (type, handle) => source.addEventListener(type, (message) => {
    let event = null;
    try { event = JSON.parse(message.data); } catch (error) { return; }
    handle(event);
  });
  on("card.inserted", liveCardInserted);
  on("card.removed", liveCardRemoved);
  on("intake.state", (event) => liveIntakeState(event.state));
  on("capture.attempt", liveCaptureAttempt);
  source.addEventListener("open", () => {
    if (!live.lost) return;
    live.lost = false;
    say(text("eventsReconnected"));
    liveRefresh(true);
  });
  source.addEventListener("error", () => {
    source.close();
    live.lost = true;
    if (!live.retry) live.retry = setTimeout(liveProbe, 1000);
  });
}

/**
 * The stream was lost (the daemon stopped, restarted, or refused it): asks the station for the officer's login
 * every second until it answers. A new daemon that does not know this login sends the officer to the login page
 * (common.js on 401); one that does gets the stream opened again and the session's state read back.
 */
async function liveProbe() {
  live.retry = null;
  try {
    await Console.call("GET", "/console/session", undefined, true);
  } catch (error) {
    if (error.status === undefined) { live.retry = setTimeout(liveProbe, 1000); return; }  // not answering yet
    if (error.message === "logged out") return;
  }
  liveStart();
}

liveStart();
