#!/usr/bin/env python3
"""The console's figures in Debian's Chromium (headless), for `station-bench console` (issue 21's goals).

Usage: console_bench.py BASE_URL ACCOUNT SECRETS_FILE LOADS ROUNDS
SECRETS_FILE (0600) holds JSON {"password", "can"}. Prints one JSON line:
- "firstPaint": the intake screen's first contentful paint (ms from navigation), LOADS times;
- "cardShown" / "cardExchange": ms from the officer's click on "read card" to the identity on the screen, and the
  card request's exchange with the daemon (the read itself: request start → last byte), ROUNDS times;
- "fingerShown" / "fingerExchange": ms from the capture's answer (its last byte) to the finger's quality on the
  screen, and the capture request's exchange, ROUNDS times;
- "fingerDecisionShown": ms from the scanner's decision on the accepted attempt (the capture.attempt event's
  decidedAtMillis, the daemon's clock) to the frame that shows its quality (the page's clock: both read the same
  machine's wall clock), ROUNDS times: the event path, while the capture's request is still running.
Times come from the page's own clock (Performance API, MutationObserver), not from Selenium's round trips.
"""
import json
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import console_browser

base, account, secrets_file, loads, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with open(secrets_file, encoding="utf-8") as handle:
    secrets = json.load(handle)

driver = console_browser.start(fake_camera=True)
result = {"firstPaint": [], "cardShown": [], "cardExchange": [], "fingerShown": [], "fingerExchange": [],
          "fingerDecisionShown": []}

# Stamps the moment an element's text or children change to what `ready` accepts (the page's clock).
WATCH = """
const [id, kind, count, button] = arguments;
window.__shown = null;
window.__clicked = null;
// The click's own moment, in the page (not when Selenium's command left the bench).
document.getElementById(button).addEventListener('click', () => { window.__clicked = performance.now(); },
                                                 { capture: true, once: true });
const target = document.getElementById(id);
const ready = () => kind === 'text' ? target.textContent.trim() !== ''
                                    : target.querySelectorAll('li').length >= count;
new MutationObserver((_, observer) => {
  if (window.__shown === null && ready()) { window.__shown = performance.now(); observer.disconnect(); }
}).observe(target, { childList: true, characterData: true, subtree: true });
"""
# Stamps each live capture attempt with the wall-clock moment of the frame that shows it.
ATTEMPTS = """
const list = document.getElementById('capture-attempts');
new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes) {
    if (node.dataset) requestAnimationFrame(() => { node.dataset.shownAt = String(performance.timeOrigin + performance.now()); });
  }
}).observe(list, { childList: true });
"""
LAST = """
const [suffix] = arguments;
const entry = performance.getEntriesByType('resource').filter((e) => e.name.endsWith(suffix)).pop();
return entry ? { start: entry.startTime, end: entry.responseEnd } : null;
"""


def element(name):
    return driver.find_element(By.ID, name)


def wait(condition, seconds=30):
    WebDriverWait(driver, seconds).until(lambda d: condition())


def idle():
    return element("abandon").is_enabled() or not element("abandon").is_displayed()


try:
    driver.get(base + "/console/")
    wait(lambda: element("login-form"), 10)
    console_browser.login(driver, account, secrets["password"])
    wait(lambda: driver.current_url.endswith("/console/station.html"), 15)

    for _ in range(loads):
        driver.get(base + "/console/intake.html")
        wait(lambda: element("step-card").is_displayed(), 15)
        paint = driver.execute_script(
            "const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null")
        if paint is not None:
            result["firstPaint"].append(paint)
        # Leave no session behind: the next load starts a new one.
        if element("abandon").is_displayed():
            element("abandon").click()
            wait(lambda: element("step-ended").is_displayed() and idle(), 30)

    for _ in range(rounds):
        driver.get(base + "/console/intake.html")
        wait(lambda: element("step-card").is_displayed() and idle(), 15)
        element("can").send_keys(secrets["can"])
        driver.execute_script(WATCH, "masked-id", "text", 0, "read-card")
        element("read-card").click()
        wait(lambda: element("step-fingers").is_displayed() and idle(), 60)
        shown = driver.execute_script("return window.__shown - window.__clicked")
        exchange = driver.execute_script(LAST, "/card")
        result["cardShown"].append(shown)
        result["cardExchange"].append(exchange["end"] - exchange["start"])

        taken = len(driver.find_elements(By.CSS_SELECTOR, "#fingers-taken li"))
        driver.execute_script(WATCH, "fingers-taken", "list", taken + 1, "finger-2")
        driver.execute_script(ATTEMPTS)
        element("finger-2").click()
        wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#fingers-taken li")) > taken and idle(), 60)
        wait(lambda: driver.execute_script(
            "const a = document.querySelector('#capture-attempts li[data-accepted=true]');"
            " return !!(a && a.dataset.shownAt)"), 10)
        accepted = driver.execute_script(
            "const a = document.querySelector('#capture-attempts li[data-accepted=true]');"
            " return [Number(a.dataset.decidedAt), Number(a.dataset.shownAt)]")
        result["fingerDecisionShown"].append(accepted[1] - accepted[0])
        exchange = driver.execute_script(LAST, "/fingers")
        shown_at = driver.execute_script("return window.__shown")
        result["fingerShown"].append(shown_at - exchange["end"])
        result["fingerExchange"].append(exchange["end"] - exchange["start"])

        element("abandon").click()
        wait(lambda: element("step-ended").is_displayed() and idle(), 30)
finally:
    driver.quit()

print(json.dumps(result))
