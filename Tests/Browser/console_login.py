#!/usr/bin/env python3
"""Drives Debian's Chromium (headless, through chromium-driver and Selenium) against the station's console.

Usage: console_login.py BASE_URL ACCOUNT PASSWORD_FILE SCREENSHOT_DIR
The password is read from a file (never argv). Exits 0 when every check passed, 1 with the failure on stderr.
Checks: a wrong password is refused in Vietnamese and stays on the login page; the right one reaches the station
screen showing the officer and the queue counts from /v1/status; no CSP violation and no console error anywhere.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, account, password_file, shots = sys.argv[1:5]
with open(password_file, encoding="utf-8") as handle:
    password = handle.read().strip()
os.makedirs(shots, exist_ok=True)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1366,768", "--no-first-run", "--disable-extensions"):
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
problems = []

# CSP violations are reported to the page as events: keep them where the test can read them.
WATCH = """
window.__violations = window.__violations || [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})


def collect(where, expected_401=None):
    for entry in driver.get_log("browser"):
        if entry["level"] in ("SEVERE", "WARNING"):
            # The wrong password's 401, and the session's 401 after logout, are the expected network errors.
            if expected_401 and expected_401 in entry["message"] and "401" in entry["message"]:
                continue
            problems.append(f"{where}: console {entry['level']}: {entry['message']}")
    for violation in driver.execute_script("return window.__violations || []"):
        problems.append(f"{where}: CSP violation: {violation}")


def login(secret):
    driver.find_element(By.ID, "account").clear()
    driver.find_element(By.ID, "account").send_keys(account)
    driver.find_element(By.ID, "password").send_keys(secret)
    driver.find_element(By.ID, "login-button").click()


try:
    started = time.monotonic()
    driver.get(base + "/console/")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "login-form"))
    print(json.dumps({"login_page_ms": round((time.monotonic() - started) * 1000, 1)}))
    if driver.find_element(By.TAG_NAME, "html").get_attribute("lang") != "vi":
        problems.append("the login page is not Vietnamese")
    collect("login page")

    login(password + "-wrong")
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "login-message").text.strip())
    refusal = driver.find_element(By.ID, "login-message").text
    if "Sai tên tài khoản hoặc mật khẩu" not in refusal:
        problems.append(f"wrong password: unexpected message {refusal!r}")
    if not driver.current_url.endswith("/console/"):
        problems.append(f"wrong password left the login page: {driver.current_url}")
    driver.save_screenshot(os.path.join(shots, "console-login-refused.png"))
    collect("wrong password", "/console/login")

    login(password)
    WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/console/station.html"))
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "officer").text == account)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#queue dt"))
    WebDriverWait(driver, 5).until(lambda d: "phút" in d.find_element(By.ID, "countdown").text)
    if driver.get_cookie("stn_console") is None or not driver.get_cookie("stn_console")["httpOnly"]:
        problems.append("the session cookie is missing or not HttpOnly")
    if driver.execute_script("return document.cookie").find("stn_console") >= 0:
        problems.append("a script can read the session cookie")
    driver.save_screenshot(os.path.join(shots, "console-station.png"))
    collect("station screen")

    driver.find_element(By.ID, "logout").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/console/"))
    driver.get(base + "/console/station.html")
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/console/"))
    collect("after logout", "/console/session")
except Exception as error:  # a timeout names what the page showed
    problems.append(f"{type(error).__name__}: {error} at {driver.current_url}")
    try:
        driver.save_screenshot(os.path.join(shots, "console-failure.png"))
    except Exception:
        pass
finally:
    driver.quit()

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print("console ok")
