// The queue screen: the station's applications, newest first, filtered by state, with the actions the logged-in
// officer's role allows (operators release and retry; supervisors also hold and cancel, with a reason). The daemon
// decides: a button is shown only where the role may act, and the API refuses anyone else all the same.
// `QueueRows` is shared with the supervisor screen's review of today's applications. Words from the catalog.
"use strict";
const QueueRows = (() => {
  const { text, term } = Console;

  function cell(row, value) {
    const td = document.createElement("td");
    td.textContent = value;
    row.append(td);
    return td;
  }

  /** The actions `item` allows for this role: [name, text id, needs a reason]. */
  function actions(item) {
    const supervisor = Console.isSupervisor();
    const list = [];
    if (item.local === "held") list.push(["release", "actRelease", false]);
    if (item.local === "needsAttention") list.push(["retry", "actRetry", false]);
    if (supervisor && ["captured", "ready", "needsAttention"].includes(item.local)) list.push(["hold", "actHold", true]);
    if (supervisor && ["captured", "ready", "held", "needsAttention"].includes(item.local)) {
      list.push(["cancel", "actCancel", true]);
    }
    return list;
  }

  /** One application's row; `columns` leaves the bundle out where the screen has no room; `done` after an action. */
  function row(item, done, report, withBundle) {
    const tr = document.createElement("tr");
    tr.dataset.id = item.id;
    tr.dataset.local = item.local;
    cell(tr, Console.when(item.capturedAt));
    cell(tr, item.id.slice(0, 8)).title = item.id;
    cell(tr, term("local", item.local)).className = "state";
    cell(tr, term("central", item.central) + (item.centralReason ? " (" + item.centralReason + ")" : ""));
    cell(tr, item.communeCode);
    if (withBundle) cell(tr, term("bundle", item.bundle));
    cell(tr, item.operatorID);
    const td = cell(tr, "");
    const allowed = actions(item);
    if (allowed.some(([, , reason]) => reason)) {
      const select = document.createElement("select");
      select.className = "reason";
      select.setAttribute("aria-label", text("reason") + " — " + item.id.slice(0, 8));
      for (const entry of Console.terms.queueReason || []) Console.option(select, entry.value, entry.name);
      td.append(select);
    }
    for (const [name, label, needsReason] of allowed) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "action " + name;
      button.textContent = text(label);
      button.setAttribute("aria-label", text(label) + " — " + item.id.slice(0, 8));
      button.addEventListener("click", async () => {
        const reason = needsReason ? td.querySelector("select").value : null;
        try {
          await Console.call("POST", "/v1/queue/" + item.id + "/" + name, reason ? { reason } : undefined);
          report("");
        } catch (error) {
          report(error.message);
        }
        await done();
      });
      td.append(button);
    }
    return tr;
  }

  return { row };
})();

if (document.getElementById("queue-rows")) {
  const { $, text } = Console;
  let next = null;
  const say = (message) => { $("queue-message").textContent = message; };

  async function load(fresh) {
    const params = new URLSearchParams({ limit: "50" });
    if ($("state").value) params.set("state", $("state").value);
    if (!fresh && next) params.set("after", next);
    const page = await Console.call("GET", "/v1/queue?" + params.toString());
    if (fresh) $("queue-rows").replaceChildren();
    for (const item of page.items) $("queue-rows").append(QueueRows.row(item, () => load(true), say, true));
    next = page.next || null;
    $("more").hidden = !next;
    if (fresh && !page.items.length) say(text("queueEmpty"));
  }

  $("filter").addEventListener("submit", (event) => { event.preventDefault(); load(true); });
  $("more").addEventListener("click", () => load(false));

  Console.start().then(() => {
    for (const entry of Console.terms.local || []) Console.option($("state"), entry.value, entry.name);
    return load(true);
  }).catch((error) => { if (error.message !== "logged out") say(error.message); });
}
