// What every console page shares: the chosen language (Vietnamese by default, English on the header's switch,
// kept in localStorage across pages), every word the page shows from the catalog (GET /console/terms: the
// closed vocabularies and the `text` family of the pages' own words; elements name theirs with data-text,
// data-label for an accessible name, data-title, data-term for a vocabulary's value), calls to the station in that language with the CSRF token,
// times in Asia/Ho_Chi_Minh, the officer and the idle-logout countdown. Pages keep no words of their own.
"use strict";
const Console = (() => {
  const STORAGE = "stationd.console.language";
  const language = (() => {
    try { return localStorage.getItem(STORAGE) === "en" ? "en" : "vi"; } catch (error) { return "vi"; }
  })();
  let terms = {};
  let session = null;
  let deadline = 0;

  const $ = (id) => document.getElementById(id);

  /** The name of `value` in the vocabulary `family`; an unknown value as it is. */
  function term(family, value) {
    const found = (terms[family] || []).find((entry) => entry.value === value);
    return found ? found.name : value;
  }

  /** The page text `id`, its {placeholders} filled from `values`. */
  function text(id, values) {
    let found = term("text", id);
    for (const [name, value] of Object.entries(values || {})) found = found.split("{" + name + "}").join(String(value));
    return found;
  }

  /** Fills every element under `root` that names its words: data-text, data-label (aria-label), data-title. */
  function apply(root) {
    const scope = root || document;
    for (const element of scope.querySelectorAll("[data-text]")) element.textContent = text(element.dataset.text);
    for (const element of scope.querySelectorAll("[data-label]")) {
      element.setAttribute("aria-label", text(element.dataset.label));
    }
    for (const element of scope.querySelectorAll("[data-title]")) element.title = text(element.dataset.title);
    // An option of a closed vocabulary: its name from that family (data-term="bundle" on <option value="2in1">).
    for (const element of scope.querySelectorAll("[data-term]")) element.textContent = term(element.dataset.term, element.value);
  }

  /** The officer did something the station saw: the idle logout starts again (the daemon renewed the session). */
  function touched() {
    if (session) deadline = Date.now() + session.idleSeconds * 1000;
  }

  /**
   * A call to the station in the chosen language; 401 goes back to the login page. `poll`: the page's own periodic
   * refresh, which the daemon does not count as activity (X-Console-Poll), so the idle logout still comes.
   */
  async function call(method, path, body, poll) {
    const headers = { "Accept": "application/json", "Accept-Language": language };
    if (method !== "GET") headers["X-CSRF-Token"] = session ? session.csrfToken : "";
    if (poll) headers["X-Console-Poll"] = "1";
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const answer = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin",
    });
    if (answer.status === 401 && path !== "/console/login") {
      window.location.assign("/console/");
      throw new Error("logged out");
    }
    const raw = await answer.text();
    const json = raw ? JSON.parse(raw) : {};
    if (!answer.ok) {
      const error = new Error((json.error && json.error.message) || ("HTTP " + answer.status));
      error.status = answer.status;
      throw error;
    }
    if (!poll) touched();
    return json;
  }

  /** A date and time as people in Vietnam read it, whatever the PC's own time zone. */
  function when(value) {
    return new Date(value).toLocaleString(language === "en" ? "en-GB" : "vi-VN", { timeZone: "Asia/Ho_Chi_Minh" });
  }

  /** Today's date in Vietnam, YYYY-MM-DD. */
  function today() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date());
  }

  /** Adds `<option value>name</option>` to `select`. */
  function option(select, value, name) {
    const entry = document.createElement("option");
    entry.value = value;
    entry.textContent = name;
    select.append(entry);
    return entry;
  }

  function tick() {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    const shown = $("countdown");
    if (shown) {
      shown.textContent = text("countdown", { minutes: Math.floor(left / 60), seconds: String(left % 60).padStart(2, "0") });
    }
    if (left === 0) window.location.assign("/console/");
  }

  /** Loads the words in the chosen language and fills the page; the switch changes the language and reloads. */
  async function words() {
    document.documentElement.lang = language;
    terms = await call("GET", "/console/terms");
    apply();
    const toggle = $("language");
    if (toggle) {
      toggle.addEventListener("click", () => {
        try { localStorage.setItem(STORAGE, language === "en" ? "vi" : "en"); } catch (error) { /* kept Vietnamese */ }
        window.location.reload();
      });
    }
  }

  /** A logged-in page: the words, the session (officer, role, countdown), the supervisor's link by role. */
  async function start() {
    await words();
    session = await call("GET", "/console/session");
    deadline = Date.now() + session.remainingSeconds * 1000;
    if ($("officer")) $("officer").textContent = session.account;
    if ($("role")) $("role").textContent = term("role", session.role);
    const supervisor = session.role === "supervisor" || session.role === "root";
    for (const element of document.querySelectorAll(".supervisor-only")) element.hidden = !supervisor;
    const logout = $("logout");
    if (logout) {
      logout.addEventListener("click", async () => {
        try { await call("POST", "/console/logout"); } catch (error) { /* gone already */ }
        window.location.assign("/console/");
      });
    }
    tick();
    setInterval(tick, 1000);
    return session;
  }

  return {
    $, term, text, apply, call, touched, when, today, option, words, start, language,
    get session() { return session; },
    get terms() { return terms; },
    isSupervisor: () => !!session && (session.role === "supervisor" || session.role === "root"),
  };
})();
