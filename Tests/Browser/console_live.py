#!/usr/bin/env python3
"""The intake screen driven by the station's events (GET /v1/events), in Debian's Chromium (headless).

Usage: console_live.py BASE_URL ACCOUNT SECRETS_FILE SCREENSHOT_DIR SIGNAL_DIR
SECRETS_FILE (0600) holds JSON {"password", "can"}. The test places and pulls the card when this driver asks:
it writes SIGNAL_DIR/place when the card step is shown (no card yet), SIGNAL_DIR/pull once a finger is captured.
Checks, in the page as the officer sees it:
- the card placed: "Đã đặt thẻ: nhập CAN" shown and the CAN field focused, with no click;
- the capture of the right index finger (the simulated module scripted poor-then-good): each attempt shown live,
  the finger by name, its quality and the advice, the poor one before the capture's request answered;
- the card pulled: "Thẻ đã bị rút ra: đặt lại thẻ để tiếp tục" at once, then the paused session.
- the daemon restarted (SIGNAL_DIR/restart): the page goes to the login by itself, and once logged in again the
  intake screen shows the session as the new daemon has it.
Prints one JSON line {"placed", "focused", "attempts", "attemptShownBeforeAnswer", "pulled", "paused",
"afterRestart", "stateAfterRestart", "timings"};
exits 0 when every check passed, 1 with the failures on stderr. Any CSP violation or console error fails it.
"""
import json
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import console_browser

base, account, secrets_file, shots, signals = sys.argv[1:6]
PULLED = "Thẻ đã bị rút ra: đặt lại thẻ để tiếp tục."
with open(secrets_file, encoding="utf-8") as handle:
    secrets = json.load(handle)
os.makedirs(shots, exist_ok=True)

driver = console_browser.start()
problems = []
result = {"timings": {}}

# Stamps, in the page's own clock, when the first capture attempt and the live notice appear.
WATCH = """
window.__firstAttempt = null;
const attempts = document.getElementById('capture-attempts');
new MutationObserver((records) => {
  const now = performance.now();
  if (window.__firstAttempt === null && attempts.children.length > 0) window.__firstAttempt = now;
  // Each attempt's moment on the screen in wall-clock milliseconds, set against the daemon's decision.
  for (const record of records) for (const node of record.addedNodes) {
    if (node.dataset) node.dataset.shownAt = String(performance.timeOrigin + now);
  }
}).observe(attempts, { childList: true });
const message = document.getElementById('intake-message');
new MutationObserver(() => { if (window.__pulledAt === undefined && message.textContent === arguments[0])
  window.__pulledAt = performance.now(); }).observe(message, { childList: true, characterData: true, subtree: true });
"""
FINGERS = """
const entry = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/fingers')).pop();
return entry ? { start: entry.startTime, end: entry.responseEnd } : null;
"""


def element(name):
    return driver.find_element(By.ID, name)


def wait(condition, seconds=30):
    WebDriverWait(driver, seconds).until(lambda d: condition())


def idle():
    return element("abandon").is_enabled() or not element("abandon").is_displayed()


def signal(name):
    with open(os.path.join(signals, name), "w", encoding="utf-8") as handle:
        handle.write(str(time.time()))


def shot(name, where, focus=None):
    if focus:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element(focus))
    driver.save_screenshot(os.path.join(shots, f"console-live-{name}.png"))
    console_browser.collect(driver, problems, where)


try:
    driver.get(base + "/console/")
    wait(lambda: element("login-form"), 10)
    console_browser.login(driver, account, secrets["password"])
    wait(lambda: driver.current_url.endswith("/console/station.html"), 15)
    element("to-intake").click()
    wait(lambda: element("step-card").is_displayed() and idle(), 15)
    driver.execute_script(WATCH, PULLED)
    # Somewhere else than the CAN field, as an officer who has been reading the screen.
    driver.execute_script("document.activeElement.blur(); document.body.focus()")
    if element("live-notice").text.strip():
        problems.append("a card notice before any card: " + element("live-notice").text)

    # The card placed: the page asks for the CAN by itself.
    signal("place")
    placed_at = time.monotonic()
    wait(lambda: element("live-notice").text.strip() != "", 30)
    result["timings"]["card_placed_notice_ms"] = round((time.monotonic() - placed_at) * 1000, 1)
    result["placed"] = element("live-notice").text
    result["focused"] = driver.execute_script("return document.activeElement && document.activeElement.id")
    shot("1-card-placed", "card placed")

    element("can").send_keys(secrets["can"])
    element("read-card").click()
    wait(lambda: element("step-fingers").is_displayed() and idle(), 60)
    if element("live-notice").text.strip():
        problems.append("the card notice stayed after the card was read: " + element("live-notice").text)

    element("finger-2").click()
    wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#fingers-taken li")) == 1 and idle(), 60)
    attempts = driver.find_elements(By.CSS_SELECTOR, "#capture-attempts li")
    result["attempts"] = [{
        "text": item.text, "finger": item.get_attribute("data-finger"), "quality": item.get_attribute("data-quality"),
        "accepted": item.get_attribute("data-accepted"), "advice": item.get_attribute("data-advice"),
        "shownAfterDecisionMs": round(float(item.get_attribute("data-shown-at"))
                                      - float(item.get_attribute("data-decided-at")), 1),
    } for item in attempts]
    result["live"] = element("capture-live").text
    exchange = driver.execute_script(FINGERS)
    first = driver.execute_script("return window.__firstAttempt")
    result["attemptShownBeforeAnswer"] = bool(exchange and first is not None and first < exchange["end"])
    if exchange and first is not None:
        result["timings"]["first_attempt_before_answer_ms"] = round(exchange["end"] - first, 1)
    shot("2-capture-advice", "capture advice", "capture-live")

    # The card pulled mid-intake: said at once, then the paused session.
    signal("pull")
    pulled_at = time.monotonic()
    wait(lambda: element("intake-message").text == PULLED, 30)
    result["timings"]["card_pulled_notice_ms"] = round((time.monotonic() - pulled_at) * 1000, 1)
    result["pulled"] = element("intake-message").text
    shot("3-card-pulled", "card pulled", "intake-message")
    wait(lambda: element("step-card").is_displayed() and element("intake-state").text.strip() != "", 30)
    wait(lambda: driver.execute_script("return session ? session.state : ''") == "paused", 30)
    result["paused"] = element("intake-message").text
    shot("4-paused", "paused")

    # The daemon restarts: the page's event stream is lost, then refused by the new daemon (logins live in the
    # daemon's memory): the page goes to the login by itself; logged in again, the intake screen shows the session's
    # state as the new daemon has it. The lost connection and the refusals are the expected network errors.
    signal("restart")
    restarted_at = time.monotonic()
    wait(lambda: driver.current_url.rstrip("/").endswith("/console")
         and len(driver.find_elements(By.ID, "login-form")) == 1, 120)
    result["timings"]["restart_to_login_ms"] = round((time.monotonic() - restarted_at) * 1000, 1)
    expected = ("ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE", "ERR_INCOMPLETE_CHUNKED",
                "401", "Failed to fetch")
    for entry in driver.get_log("browser"):
        message = entry["message"]
        if entry["level"] in ("SEVERE", "WARNING") and not any(word in message for word in expected):
            problems.append(f"restart: console {entry['level']}: {message}")
    result["afterRestart"] = driver.current_url
    wait(lambda: element("login-form"), 10)
    console_browser.login(driver, account, secrets["password"])
    wait(lambda: driver.current_url.endswith("/console/station.html"), 15)
    element("to-intake").click()
    wait(lambda: element("step-card").is_displayed() and idle(), 15)
    result["stateAfterRestart"] = driver.execute_script("return session ? session.state : ''")
    result["stateTextAfterRestart"] = element("intake-state").text
    shot("5-after-restart", "after the restart")
except Exception as error:  # a timeout names what the page showed
    message = ""
    try:
        message = element("intake-message").text + " | " + element("live-notice").text
    except Exception:
        pass
    problems.append(f"{type(error).__name__}: {error} at {driver.current_url}; the page said: {message!r}")
    try:
        driver.save_screenshot(os.path.join(shots, "console-live-failure.png"))
    except Exception:
        pass
finally:
    try:
        console_browser.collect(driver, problems, "end")
    except Exception:
        pass
    driver.quit()

print(json.dumps(result, ensure_ascii=False))
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
