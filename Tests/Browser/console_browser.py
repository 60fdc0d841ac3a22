"""What the console's browser tests share: Debian's Chromium through chromium-driver and Selenium, a watch on CSP
violations and console errors, and the login form."""
import json
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

# CSP violations are reported to the page as events: keep them where the test can read them.
WATCH = """
window.__violations = window.__violations || [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def start(fake_camera=False):
    """Headless Chromium at 1366×768; with `fake_camera`, Chromium's fake video device, allowed without a prompt."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1366,768", "--no-first-run", "--disable-extensions"]
    if fake_camera:
        arguments += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    for argument in arguments:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    return driver


def collect(driver, problems, where, expected_401=None):
    """Adds the console's errors and warnings and the CSP violations since the last call to `problems`."""
    for entry in driver.get_log("browser"):
        if entry["level"] in ("SEVERE", "WARNING"):
            # The wrong password's 401, and the session's 401 after logout, are the expected network errors.
            if expected_401 and expected_401 in entry["message"] and "401" in entry["message"]:
                continue
            problems.append(f"{where}: console {entry['level']}: {entry['message']}")
    for violation in driver.execute_script("return window.__violations || []"):
        problems.append(f"{where}: CSP violation: {violation}")


def login(driver, account, secret):
    driver.find_element(By.ID, "account").clear()
    driver.find_element(By.ID, "account").send_keys(account)
    driver.find_element(By.ID, "password").send_keys(secret)
    driver.find_element(By.ID, "login-button").click()


def check_static_page(what, width, read):
    """For a self-contained page stationctl writes (a report, a receipt), opened from its file with no server:
    argv is PAGE_HTML SCREENSHOT_PNG. Loads it, reads the DOM with the script `read` (whose result holds `scripts`
    and `resources`, the counts of both), sizes the window to the whole page and saves the PNG, then prints the
    result as one JSON line. Exits 1, naming each problem, on a script, a loaded resource, a console error or a CSP
    violation."""
    page, shot = sys.argv[1:3]
    driver = start()
    problems = []
    try:
        driver.get("file://" + os.path.abspath(page))
        collect(driver, problems, what)
        shown = driver.execute_script(read)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(768, height + 40))
        driver.save_screenshot(shot)
        if shown["scripts"]:
            problems.append(f"the {what} holds {shown['scripts']} script(s)")
        if shown["resources"]:
            problems.append(f"the {what} loaded {shown['resources']} resource(s)")
        print(json.dumps(shown, ensure_ascii=False))
    except Exception as error:
        problems.append(f"{type(error).__name__}: {error}")
    finally:
        driver.quit()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
