#!/usr/bin/env python3
"""Drives Debian's Chromium (headless) through the console's station and supervisor screens and the English switch.

Usage: console_supervisor.py BASE_URL OPERATOR SUPERVISOR SECRETS_FILE SCREENSHOT_DIR APPLICATION_ID EXPORT_DIR
SECRETS_FILE (0600) holds JSON {"operator", "supervisor"}: the two passwords (never argv).

- The operator: the station screen (today's figures against the quota, the upload, the freeze rules) has no link
  to the supervisor screen; the supervisor screen shows nothing of the supervisor's, and the API refuses the
  operator's forged calls (cancel, an officer's record, the client tokens).
- The supervisor: cancels today's application with a reason, reads the report in its frame, adds an officer and
  disables them, issues a health-desk token and revokes it.
- The English switch on the supervisor screen: the page's words in English, kept on the station and queue screens;
  there the upload's stall line, and an export to EXPORT_DIR followed to its end.
Prints one JSON line; exits 0 when every check passed (no CSP violation or console error either).
"""
import json
import os
import sys

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

import console_browser

base, operator, supervisor, secrets_file, shots, application, export_dir = sys.argv[1:8]
with open(secrets_file, encoding="utf-8") as handle:
    secrets = json.load(handle)
problems = []
result = {}
ROW = f'#review-rows tr[data-id="{application}"]'
FORGED = ["/cancel", "/v1/operators", "/v1/clients"]


def wait(driver, condition, seconds=20):
    WebDriverWait(driver, seconds).until(lambda d: condition())


def attribute(driver, selector, name):
    """An attribute of the first element `selector` finds; None while it is being drawn again."""
    try:
        return driver.find_element(By.CSS_SELECTOR, selector).get_attribute(name)
    except (StaleElementReferenceException, NoSuchElementException):
        return None


def text(driver, selector):
    try:
        return driver.find_element(By.CSS_SELECTOR, selector).text
    except (StaleElementReferenceException, NoSuchElementException):
        return None


def logged_in(account, password):
    driver = console_browser.start()
    driver.get(base + "/console/")
    wait(driver, lambda: driver.find_element(By.ID, "login-form"))
    wait(driver, lambda: driver.find_element(By.ID, "login-button").text)
    console_browser.login(driver, account, password)
    wait(driver, lambda: driver.current_url.endswith("/console/station.html"))
    wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "#figures-rows tr"))
    return driver


def forged(driver, method, path, body):
    return driver.execute_async_script("""
        const [method, path, body, done] = arguments;
        fetch('/console/session').then(r => r.json()).then(s => fetch(path, {
          method, headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken},
          body: body === null ? undefined : JSON.stringify(body)})).then(r => done(r.status));
    """, method, path, body)


def violations(driver, where):
    """The CSP violations of the page about to be left (each page keeps its own list)."""
    for violation in driver.execute_script("return window.__violations || []"):
        problems.append(f"{where}: CSP violation: {violation}")


def problems_of(driver, who, allow_forged):
    for entry in driver.get_log("browser"):
        if entry["level"] not in ("SEVERE", "WARNING"):
            continue
        if allow_forged and "403" in entry["message"] and any(p in entry["message"] for p in FORGED):
            continue
        problems.append(f"{who}: console {entry['level']}: {entry['message']}")
    for violation in driver.execute_script("return window.__violations || []"):
        problems.append(f"{who}: CSP violation: {violation}")


# The operator.
driver = logged_in(operator, secrets["operator"])
try:
    result["operatorSupervisorLink"] = driver.find_element(By.ID, "to-supervisor").is_displayed()
    result["figures"] = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                         for row in driver.find_elements(By.CSS_SELECTOR, "#figures-rows tr")]
    result["figuresCommune"] = attribute(driver, "#figures-rows tr", "data-commune")
    result["uploadState"] = attribute(driver, "#upload-state", "data-state")
    result["uploadStateText"] = text(driver, "#upload-state")
    result["freeze"] = text(driver, "#freeze li")
    result["stationTitleVi"] = text(driver, "#devices-title")
    result["htmlLangVi"] = attribute(driver, "html", "lang")
    driver.save_screenshot(os.path.join(shots, "console-station-operator.png"))
    violations(driver, "operator's station screen")
    driver.get(base + "/console/supervisor.html")
    wait(driver, lambda: text(driver, "#supervisor-message"))
    result["operatorNotice"] = text(driver, "#supervisor-message")
    result["operatorScreensShown"] = driver.find_element(By.ID, "supervisor-screens").is_displayed()
    result["operatorButtons"] = len(driver.find_elements(By.CSS_SELECTOR, "#supervisor-screens button.action"))
    result["operatorCancelStatus"] = forged(
        driver, "POST", f"/v1/queue/{application}/cancel", {"reason": "dataError"})
    result["operatorAddStatus"] = forged(driver, "POST", "/v1/operators", {
        "account": "gia-mao", "staffNumber": "1", "fullName": "Giả Mạo", "unit": "X", "team": "Y", "commune": "16000"})
    result["operatorClientsStatus"] = forged(driver, "GET", "/v1/clients", None)
    driver.save_screenshot(os.path.join(shots, "console-supervisor-as-operator.png"))
    problems_of(driver, "operator", True)
except Exception as error:
    problems.append(f"operator: {type(error).__name__}: {error} at {driver.current_url}")
    driver.save_screenshot(os.path.join(shots, "console-supervisor-operator-failure.png"))
finally:
    driver.quit()

# The supervisor.
driver = logged_in(supervisor, secrets["supervisor"])
try:
    wait(driver, lambda: driver.find_element(By.ID, "to-supervisor").is_displayed())
    violations(driver, "supervisor's station screen")
    driver.find_element(By.ID, "to-supervisor").click()
    wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, ROW))
    result["supervisorButtons"] = [b.get_attribute("class").split()[-1]
                                   for b in driver.find_elements(By.CSS_SELECTOR, ROW + " button")]
    result["reviewRows"] = len(driver.find_elements(By.CSS_SELECTOR, "#review-rows tr"))
    Select(driver.find_element(By.CSS_SELECTOR, ROW + " select.reason")).select_by_value("dataError")
    driver.find_element(By.CSS_SELECTOR, ROW + " button.cancel").click()
    wait(driver, lambda: attribute(driver, ROW, "data-local") == "cancelled")
    result["cancelledText"] = text(driver, ROW + " td.state")

    # The report in its sandboxed frame: the same page as stationctl report --format html.
    frame = driver.find_element(By.ID, "report")
    result["reportSrc"] = frame.get_attribute("src")
    result["reportSandbox"] = driver.execute_script("return arguments[0].getAttribute('sandbox')", frame)
    driver.switch_to.frame(frame)
    wait(driver, lambda: driver.find_elements(By.TAG_NAME, "h1"))
    result["reportHeading"] = driver.find_element(By.TAG_NAME, "h1").text
    result["reportFields"] = len(driver.find_elements(By.CSS_SELECTOR, "[data-field]"))
    driver.switch_to.default_content()

    # An officer's record: added, then disabled.
    for field, value in (("op-account", "canbo-moi"), ("op-staff", "CA-0042"), ("op-name", "Trần Thị Bình"),
                         ("op-unit", "Công an xã"), ("op-team", "Tổ 3"), ("op-commune", "16000")):
        driver.find_element(By.ID, field).send_keys(value)
    driver.find_element(By.ID, "op-add").click()
    officer_row = '#operators-rows tr[data-account="canbo-moi"]'
    wait(driver, lambda: attribute(driver, officer_row, "data-disabled") == "false")
    result["officerAdded"] = text(driver, "#operators-message")
    driver.find_element(By.CSS_SELECTOR, officer_row + " button.disable").click()
    wait(driver, lambda: attribute(driver, officer_row, "data-disabled") == "true")
    result["officerDisabled"] = True

    # A health-desk token: issued (shown once), then revoked.
    driver.find_element(By.ID, "cl-name").send_keys("quay-y-te-1")
    driver.find_element(By.ID, "cl-add").click()
    client_row = '#clients-rows tr[data-name="quay-y-te-1"]'
    wait(driver, lambda: attribute(driver, client_row, "data-revoked") == "false")
    result["tokenShown"] = text(driver, "#client-token")
    driver.save_screenshot(os.path.join(shots, "console-supervisor.png"))
    driver.find_element(By.CSS_SELECTOR, client_row + " button.revoke").click()
    wait(driver, lambda: attribute(driver, client_row, "data-revoked") == "true")
    result["tokenRevoked"] = True

    # Every control has an accessible name (a label, aria-label or its text).
    result["unnamedControls"] = driver.execute_script("""
        return [...document.querySelectorAll('button, select, input, iframe, progress')].filter(e => {
          if (e.closest('[hidden]')) return false;
          const labelled = e.id && document.querySelector('label[for="' + e.id + '"]');
          return !(labelled || e.getAttribute('aria-label') || e.title || e.textContent.trim());
        }).map(e => e.id || e.outerHTML.slice(0, 60));
    """)

    # The English switch: this page's words in English, then the station and queue screens stay in English.
    result["supervisorTitleVi"] = text(driver, "#review-title")
    violations(driver, "supervisor screen")
    driver.find_element(By.ID, "language").click()
    wait(driver, lambda: attribute(driver, "html", "lang") == "en" and text(driver, "#review-title"))
    wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, ROW))
    result["supervisorTitleEn"] = text(driver, "#review-title")
    result["cancelledTextEn"] = text(driver, ROW + " td.state")
    result["languageButtonEn"] = text(driver, "#language")
    driver.save_screenshot(os.path.join(shots, "console-supervisor-english.png"))
    violations(driver, "supervisor screen in English")
    driver.find_element(By.ID, "to-station").click()
    wait(driver, lambda: driver.current_url.endswith("/station.html") and text(driver, "#devices-title"))
    wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "#figures-rows tr"))
    result["stationLangEn"] = attribute(driver, "html", "lang")
    result["stationTitleEn"] = text(driver, "#devices-title")
    result["countdownEn"] = text(driver, "#countdown")
    # The central does not answer: the stall line; then an export to the "USB stick", followed to its end.
    wait(driver, lambda: text(driver, "#upload-stall"))
    result["stallEn"] = text(driver, "#upload-stall")
    folder = driver.find_element(By.ID, "export-to")
    folder.clear()
    folder.send_keys(export_dir)
    driver.find_element(By.ID, "export-now").click()
    wait(driver, lambda: attribute(driver, "#export-message", "data-state") == "done")
    result["exportEn"] = text(driver, "#export-message")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                          driver.find_element(By.ID, "export-message"))
    driver.save_screenshot(os.path.join(shots, "console-station-english.png"))
    violations(driver, "station screen in English")
    driver.find_element(By.ID, "to-queue").click()
    wait(driver, lambda: driver.current_url.endswith("/queue.html") and text(driver, "#queue-table caption"))
    result["queueCaptionEn"] = text(driver, "#queue-table caption")
    problems_of(driver, "supervisor", False)
except Exception as error:
    problems.append(f"supervisor: {type(error).__name__}: {error} at {driver.current_url}")
    driver.save_screenshot(os.path.join(shots, "console-supervisor-failure.png"))
finally:
    driver.quit()

print(json.dumps(result, ensure_ascii=False))
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
