#!/usr/bin/env python3
"""Drives two headless Chromium windows (Debian's chromedriver) through a finger exception: an operator asks for
it on the intake screen, a supervisor confirms it on the supervisor screen, the operator's page shows it.

Usage: console_exceptions.py BASE_URL OPERATOR SUPERVISOR SECRETS_FILE SCREENSHOT_DIR
SECRETS_FILE (0600) holds JSON {"operator", "supervisor", "can", "phone"}: passwords and personal values never go
on argv. The camera is Chromium's fake video device.

- The operator reads the card, captures the right index finger, asks for the left index finger to be skipped
  (injury, with a note); the page says it waits for a supervisor ("đang chờ tổ trưởng xác nhận"). The operator's
  supervisor screen draws nothing of the supervisor's, and the API refuses the operator's forged list and confirm.
- The supervisor sees the request (masked ID number and initials, the finger by name, the kind, the note) and
  declines it with a reason: the operator's page shows the decline and the reason by itself; the operator asks
  again and the supervisor confirms it with a reason; the list empties.
- The operator's page, polling, shows it confirmed without a reload; the read-back names the exception; commit.
Prints one JSON line; exits 0 when every check passed (no CSP violation or console error either, but the forged
calls' expected 403s).
"""
import json
import os
import sys
import time

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

import console_browser

base, operator, supervisor, secrets_file, shots = sys.argv[1:6]
with open(secrets_file, encoding="utf-8") as handle:
    secrets = json.load(handle)
os.makedirs(shots, exist_ok=True)
problems = []
result = {}
FORGED = ["/v1/exceptions"]


def wait(driver, condition, seconds=30):
    WebDriverWait(driver, seconds).until(lambda d: condition())


def find(driver, selector):
    try:
        return driver.find_element(By.CSS_SELECTOR, selector)
    except (StaleElementReferenceException, NoSuchElementException):
        return None


def text(driver, selector):
    try:
        found = find(driver, selector)
        return found.text if found else None
    except StaleElementReferenceException:
        return None


def attribute(driver, selector, name):
    try:
        found = find(driver, selector)
        return found.get_attribute(name) if found else None
    except StaleElementReferenceException:
        return None


def logged_in(account, password, camera=False):
    driver = console_browser.start(fake_camera=camera)
    driver.get(base + "/console/")
    wait(driver, lambda: driver.find_element(By.ID, "login-form"))
    wait(driver, lambda: driver.find_element(By.ID, "login-button").text)
    console_browser.login(driver, account, password)
    wait(driver, lambda: driver.current_url.endswith("/console/station.html"))
    return driver


def forged(driver, method, path, body):
    return driver.execute_async_script("""
        const [method, path, body, done] = arguments;
        fetch('/console/session').then(r => r.json()).then(s => fetch(path, {
          method, headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken},
          body: body === null ? undefined : JSON.stringify(body)})).then(r => done(r.status));
    """, method, path, body)


def problems_of(driver, who, allow_forged=False):
    for entry in driver.get_log("browser"):
        if entry["level"] not in ("SEVERE", "WARNING"):
            continue
        if allow_forged and "403" in entry["message"] and any(p in entry["message"] for p in FORGED):
            continue
        problems.append(f"{who}: console {entry['level']}: {entry['message']}")
    for violation in driver.execute_script("return window.__violations || []"):
        problems.append(f"{who}: CSP violation: {violation}")


def idle(driver):
    button = find(driver, "#abandon")
    return button is not None and (button.is_enabled() or not button.is_displayed())


def shot(driver, name):
    driver.save_screenshot(os.path.join(shots, f"console-exception-{name}.png"))


PENDING = '#exception-requests li[data-finger="7"]'
ROW = '#exceptions-rows tr[data-finger="7"]'


def ask_exception():
    """The operator asks for the left index finger to be skipped (injury, with a note); it waits."""
    Select(officer.find_element(By.ID, "exception-finger")).select_by_value("7")
    Select(officer.find_element(By.ID, "exception-kind")).select_by_value("injury")
    officer.find_element(By.ID, "exception-note").send_keys("ngón trỏ trái băng bó sau tai nạn")
    officer.find_element(By.ID, "request-exception").click()
    wait(officer, lambda: attribute(officer, PENDING, "data-status") == "pending" and idle(officer))


def decide(verb, reason):
    """The supervisor gives a reason and confirms or declines the request in the list; it leaves the list."""
    wait(boss, lambda: find(boss, ROW) is not None)
    boss.find_element(By.CSS_SELECTOR, ROW + " input.exception-reason").send_keys(reason)
    boss.find_element(By.CSS_SELECTOR, ROW + f" button.{verb}-exception").click()
    wait(boss, lambda: find(boss, ROW) is None and text(boss, "#exceptions-empty"))


officer = logged_in(operator, secrets["operator"], camera=True)
boss = None
try:
    # The operator: the card, the right index finger, then the left one asked to be skipped.
    officer.find_element(By.ID, "to-intake").click()
    wait(officer, lambda: officer.find_element(By.ID, "step-card").is_displayed())
    officer.find_element(By.ID, "can").send_keys(secrets["can"])
    officer.find_element(By.ID, "read-card").click()
    wait(officer, lambda: officer.find_element(By.ID, "step-fingers").is_displayed() and idle(officer), 60)
    officer.find_element(By.ID, "finger-2").click()
    wait(officer, lambda: len(officer.find_elements(By.CSS_SELECTOR, "#fingers-taken li")) == 1 and idle(officer), 60)
    result["exceptionBoxShown"] = officer.find_element(By.ID, "exception-box").is_displayed()
    result["kindOptions"] = [o.get_attribute("value") for o in Select(officer.find_element(By.ID, "exception-kind")).options]
    officer.find_element(By.ID, "exception-title").click()
    ask_exception()
    result["pendingText"] = text(officer, PENDING)
    result["pendingNotice"] = text(officer, "#exception-message")
    result["stateWhilePending"] = text(officer, "#intake-state")
    officer.execute_script("arguments[0].scrollIntoView()", officer.find_element(By.ID, "exception-box"))
    shot(officer, "1-operator-pending")
    problems_of(officer, "operator's intake screen")

    # The operator cannot reach the supervisor's actions: nothing drawn, the API refuses.
    second = logged_in(operator, secrets["operator"])
    try:
        second.get(base + "/console/supervisor.html")
        wait(second, lambda: text(second, "#supervisor-message"))
        result["operatorScreensShown"] = second.find_element(By.ID, "supervisor-screens").is_displayed()
        result["operatorExceptionButtons"] = len(second.find_elements(
            By.CSS_SELECTOR, "#exceptions-rows button"))
        result["operatorListStatus"] = forged(second, "GET", "/v1/exceptions", None)
        result["operatorConfirmStatus"] = forged(
            second, "POST", "/v1/exceptions/any-session/7/confirm", {"reason": "tự xác nhận"})
        shot(second, "2-operator-on-supervisor-screen")
        problems_of(second, "operator's supervisor screen", True)
    finally:
        second.quit()

    # The supervisor: the request in the list, confirmed with a reason.
    boss = logged_in(supervisor, secrets["supervisor"])
    boss.find_element(By.ID, "to-supervisor").click()
    wait(boss, lambda: find(boss, ROW) is not None)
    result["supervisorRow"] = [cell.text for cell in boss.find_elements(By.CSS_SELECTOR, ROW + " td")][:6]
    result["supervisorRows"] = len(boss.find_elements(By.CSS_SELECTOR, "#exceptions-rows tr"))
    shot(boss, "3-supervisor-list")

    # First declined: the operator's page says so with the reason, and the operator asks again.
    decide("decline", "lau khô tay rồi thử lại")
    wait(officer, lambda: attribute(officer, PENDING, "data-status") == "declined", 20)
    result["declinedText"] = text(officer, PENDING)
    officer.execute_script("arguments[0].scrollIntoView()", officer.find_element(By.ID, "exception-box"))
    shot(officer, "4-operator-declined")
    ask_exception()

    # Then confirmed: the list empties.
    clicked = time.monotonic()
    decide("confirm", "đã xem vết thương, băng kín")
    result["supervisorDone"] = text(boss, "#exceptions-message")
    result["supervisorEmpty"] = text(boss, "#exceptions-empty")
    shot(boss, "4-supervisor-confirmed")
    problems_of(officer, "operator's intake screen")
    problems_of(boss, "supervisor screen")

    # The operator's page shows the decision by itself (polling), then the read-back and the commit.
    wait(officer, lambda: attribute(officer, PENDING, "data-status") == "confirmed", 20)
    result["confirmShownOnOperatorPageMs"] = round((time.monotonic() - clicked) * 1000)
    result["confirmedText"] = text(officer, PENDING)
    officer.execute_script("arguments[0].scrollIntoView()", officer.find_element(By.ID, "exception-box"))
    shot(officer, "5-operator-confirmed")
    wait(officer, lambda: officer.execute_script("return document.getElementById('camera').videoWidth") > 0, 20)
    officer.find_element(By.ID, "take-photo").click()
    wait(officer, lambda: officer.find_element(By.ID, "portrait-done").text.strip() != "" and idle(officer))
    officer.find_element(By.ID, "phone").send_keys(secrets["phone"])
    officer.find_element(By.ID, "save-details").click()
    wait(officer, lambda: idle(officer))
    officer.find_element(By.ID, "review").click()
    wait(officer, lambda: len(officer.find_elements(By.CSS_SELECTOR, "#read-back dt")) > 0 and idle(officer))
    result["readBack"] = officer.find_element(By.ID, "read-back").text
    shot(officer, "6-read-back")
    officer.find_element(By.ID, "read-back-done").click()
    officer.find_element(By.ID, "commit").click()
    wait(officer, lambda: officer.find_element(By.ID, "step-receipt").is_displayed())
    result["applicationID"] = officer.find_element(By.ID, "application-id").text
    problems_of(officer, "operator's intake screen")
except Exception as error:
    message = ""
    try:
        message = officer.find_element(By.ID, "intake-message").text
    except Exception:
        pass
    problems.append(f"{type(error).__name__}: {error}; the intake page said: {message!r}")
    for driver, name in ((officer, "operator"), (boss, "supervisor")):
        if driver:
            try:
                driver.save_screenshot(os.path.join(shots, f"console-exception-failure-{name}.png"))
            except Exception:
                pass
finally:
    officer.quit()
    if boss:
        boss.quit()

print(json.dumps(result, ensure_ascii=False))
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
