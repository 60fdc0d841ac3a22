#!/usr/bin/env python3
"""Drives Debian's Chromium (headless) through the console's queue screen as an operator, then as a supervisor.

Usage: console_queue.py BASE_URL OPERATOR SUPERVISOR SECRETS_FILE SCREENSHOT_DIR APPLICATION_ID
SECRETS_FILE (0600) holds JSON {"operator", "supervisor"}: the two passwords (never argv).
The operator sees the application with no hold or cancel button, and the API refuses the operator's hold (403);
the supervisor holds it with a reason, then releases it. Prints one JSON line; exits 0 when every check passed.
"""
import json
import os
import sys

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

import console_browser

base, operator, supervisor, secrets_file, shots, application = sys.argv[1:7]
with open(secrets_file, encoding="utf-8") as handle:
    secrets = json.load(handle)
problems = []
result = {}
ROW = f'#queue-rows tr[data-id="{application}"]'


def wait(driver, condition, seconds=20):
    WebDriverWait(driver, seconds).until(lambda d: condition())


def queue_as(account, password):
    driver = console_browser.start()
    driver.get(base + "/console/")
    wait(driver, lambda: driver.find_element(By.ID, "login-form"))
    console_browser.login(driver, account, password)
    wait(driver, lambda: driver.current_url.endswith("/console/station.html"))
    driver.find_element(By.ID, "to-queue").click()
    wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, ROW))
    return driver


def buttons(driver):
    return [b.get_attribute("class").split()[-1] for b in driver.find_elements(By.CSS_SELECTOR, ROW + " button")]


def state(driver):
    """The row's state; None while the table is being drawn again (the row just replaced)."""
    try:
        return driver.find_element(By.CSS_SELECTOR, ROW).get_attribute("data-local")
    except (StaleElementReferenceException, NoSuchElementException):
        return None


for who, account in (("operator", operator), ("supervisor", supervisor)):
    driver = queue_as(account, secrets[who])
    try:
        result[who + "Buttons"] = buttons(driver)
        result[who + "State"] = state(driver)
        result[who + "StateText"] = driver.find_element(By.CSS_SELECTOR, ROW + " td.state").text
        if who == "operator":
            # The buttons are absent, and the API refuses all the same.
            result["operatorHoldStatus"] = driver.execute_async_script("""
                const done = arguments[arguments.length - 1];
                fetch('/console/session').then(r => r.json()).then(s => fetch('/v1/queue/' + arguments[0] + '/hold', {
                  method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken},
                  body: JSON.stringify({reason: 'other'})})).then(r => done(r.status));
            """, application)
            driver.save_screenshot(os.path.join(shots, "console-queue-operator.png"))
        else:
            Select(driver.find_element(By.CSS_SELECTOR, ROW + " select.reason")).select_by_value("citizenRequest")
            driver.find_element(By.CSS_SELECTOR, ROW + " button.hold").click()
            wait(driver, lambda: state(driver) == "held")
            result["heldButtons"] = buttons(driver)
            driver.save_screenshot(os.path.join(shots, "console-queue-supervisor-held.png"))
            driver.find_element(By.CSS_SELECTOR, ROW + " button.release").click()
            wait(driver, lambda: state(driver) != "held")
            result["releasedState"] = state(driver)
        # The operator's 403 is the expected network error of this page.
        for entry in driver.get_log("browser"):
            if entry["level"] in ("SEVERE", "WARNING") and not ("/hold" in entry["message"] and "403" in entry["message"]):
                problems.append(f"{who}: console {entry['level']}: {entry['message']}")
        for violation in driver.execute_script("return window.__violations || []"):
            problems.append(f"{who}: CSP violation: {violation}")
    except Exception as error:
        problems.append(f"{who}: {type(error).__name__}: {error} at {driver.current_url}")
        driver.save_screenshot(os.path.join(shots, f"console-queue-{who}-failure.png"))
    finally:
        driver.quit()

print(json.dumps(result, ensure_ascii=False))
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
