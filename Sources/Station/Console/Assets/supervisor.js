// The supervisor screens: the finger exceptions officers asked for (confirm or decline with a reason; refreshed
// every few seconds), today's applications to review (hold or cancel with a reason from the closed set,
// release), the station's report as `stationctl report --format html` draws it (GET /v1/reports/{period}/html in
// a sandboxed frame: no script, nothing loaded), the officers' records (add, disable) and the health desk's client
// tokens (issue, revoke; a new token shown once). An operator sees none of it, and the API refuses them anyway.
"use strict";
const { $, text, term } = Console;

function say(id, message) { $(id).textContent = message || ""; }

function cells(row, values) {
  for (const value of values) {
    const cell = document.createElement("td");
    cell.textContent = value;
    row.append(cell);
  }
}

function button(name, label, subject, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "action " + name;
  element.textContent = text(label);
  element.setAttribute("aria-label", text(label) + " — " + subject);
  element.addEventListener("click", action);
  return element;
}

/**
 * The finger exceptions waiting for a supervisor (GET /v1/exceptions): who asked, the citizen (masked ID number and
 * initials only), the finger by name, the kind, the officer's note; a reason field with confirm and decline. Drawn
 * again only when the list changed, so a reason being typed is kept.
 */
let exceptionsShown = null;
async function loadExceptions(poll) {
  const items = await Console.call("GET", "/v1/exceptions", undefined, poll);
  const key = JSON.stringify(items.map((item) => [item.session, item.finger, item.requestedAt]));
  if (key === exceptionsShown) return;
  exceptionsShown = key;
  const rows = $("exceptions-rows");
  rows.replaceChildren();
  for (const item of items) {
    const row = document.createElement("tr");
    row.dataset.session = item.session;
    row.dataset.finger = String(item.finger);
    cells(row, [Console.when(item.requestedAt), item.requestedBy, item.maskedIDNumber + " " + item.initials,
      item.fingerName, term("exception", item.exception), item.note]);
    const actions = document.createElement("td");
    const subject = item.fingerName + " — " + item.maskedIDNumber;
    const reason = document.createElement("input");
    reason.className = "exception-reason";
    reason.maxLength = 200;
    reason.autocomplete = "off";
    reason.setAttribute("aria-label", text("excReasonLabel") + " — " + subject);
    reason.placeholder = text("excReasonLabel");
    const decide = (verb) => async () => {
      try {
        await Console.call("POST", "/v1/exceptions/" + encodeURIComponent(item.session) + "/" + item.finger + "/" + verb,
          { reason: reason.value });
        say("exceptions-message", text("excDone", { finger: item.fingerName }));
      } catch (error) {
        say("exceptions-message", error.message);
        return;
      }
      exceptionsShown = null;
      await loadExceptions();
    };
    actions.append(reason, " ", button("confirm-exception", "excConfirm", subject, decide("confirm")), " ",
      button("decline-exception", "excDecline", subject, decide("decline")));
    row.append(actions);
    rows.append(row);
  }
  say("exceptions-empty", items.length ? "" : text("exceptionsEmpty"));
}

/** Today's applications (Vietnam's day), newest first, with the supervisor's actions. */
async function loadReview() {
  const params = new URLSearchParams({ limit: "200", from: Console.today() });
  const page = await Console.call("GET", "/v1/queue?" + params.toString());
  const rows = $("review-rows");
  rows.replaceChildren();
  for (const item of page.items) {
    rows.append(QueueRows.row(item, loadReview, (message) => say("review-message", message), false));
  }
  if (!page.items.length) say("review-message", text("reviewEmpty"));
}

/** The report in a sandboxed frame (no script, an origin of its own), made with its address: never about:blank. */
function showReport() {
  const period = $("report-period").value === "weekly" ? "weekly" : "daily";
  const frame = document.createElement("iframe");
  frame.id = "report";
  frame.className = "report";
  frame.setAttribute("sandbox", "");
  frame.title = text("reportFrame");
  frame.src = "/v1/reports/" + period + "/html?lang=" + Console.language + "&date=" + Console.today();
  $("report-box").replaceChildren(frame);
}

async function loadOperators() {
  const records = await Console.call("GET", "/v1/operators");
  const rows = $("operators-rows");
  rows.replaceChildren();
  for (const record of records) {
    const row = document.createElement("tr");
    row.dataset.account = record.account;
    row.dataset.disabled = String(record.disabled);
    cells(row, [record.account, record.staffNumber, record.fullName, record.unit, record.team, record.commune,
      text(record.disabled ? "opDisabled" : "opActive")]);
    const actions = document.createElement("td");
    if (!record.disabled) {
      actions.append(button("disable", "opDisable", record.account, async () => {
        try {
          await Console.call("POST", "/v1/operators/" + encodeURIComponent(record.account) + "/disable");
          say("operators-message", "");
        } catch (error) {
          say("operators-message", error.message);
        }
        await loadOperators();
      }));
    }
    row.append(actions);
    rows.append(row);
  }
}

async function loadClients() {
  const clients = await Console.call("GET", "/v1/clients");
  const rows = $("clients-rows");
  rows.replaceChildren();
  for (const client of clients) {
    const row = document.createElement("tr");
    row.dataset.name = client.name;
    row.dataset.revoked = String(!!client.revokedAt);
    cells(row, [client.name, client.scopes.join(", "), "…" + client.tokenHint, Console.when(client.createdAt),
      text(client.revokedAt ? "clRevoked" : "clLive")]);
    const actions = document.createElement("td");
    if (!client.revokedAt) {
      actions.append(button("revoke", "clRevoke", client.name, async () => {
        try {
          await Console.call("DELETE", "/v1/clients/" + encodeURIComponent(client.name));
          say("clients-message", "");
        } catch (error) {
          say("clients-message", error.message);
        }
        await loadClients();
      }));
    }
    row.append(actions);
    rows.append(row);
  }
}

$("report-form").addEventListener("submit", (event) => { event.preventDefault(); showReport(); });

$("operator-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const record = {
    account: $("op-account").value.trim(), staffNumber: $("op-staff").value, fullName: $("op-name").value,
    unit: $("op-unit").value, team: $("op-team").value, commune: $("op-commune").value.trim(),
  };
  try {
    const added = await Console.call("POST", "/v1/operators", record);
    say("operators-message", text("opAdded", { account: added.account }));
    $("operator-form").reset();
  } catch (error) {
    say("operators-message", error.message);
  }
  await loadOperators();
});

$("client-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  say("client-token", "");
  try {
    const made = await Console.call("POST", "/v1/clients", { name: $("cl-name").value.trim(), scopes: [$("cl-scope").value] });
    say("client-token", text("clToken", { name: made.client.name, token: made.token }));
    say("clients-message", "");
    $("client-form").reset();
  } catch (error) {
    say("clients-message", error.message);
  }
  await loadClients();
});

Console.start().then(async () => {
  if (!Console.isSupervisor()) {
    // Nothing of the supervisor's is drawn for an operator; the API refuses their calls all the same.
    say("supervisor-message", text("needsSupervisor"));
    return;
  }
  $("cl-scope").replaceChildren();
  for (const entry of Console.terms.clientScope || []) Console.option($("cl-scope"), entry.value, entry.name);
  $("supervisor-screens").hidden = false;
  showReport();
  await Promise.all([loadExceptions(), loadReview(), loadOperators(), loadClients()]);
  setInterval(() => loadExceptions(true).catch((error) => {
    if (error.message !== "logged out") say("exceptions-message", error.message);
  }), 3000);
}).catch((error) => { if (error.message !== "logged out") say("supervisor-message", error.message); });
