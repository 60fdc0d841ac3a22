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

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import console_browser

base, account, password_file, shots = sys.argv[1:5]
with open(password_file, encoding="utf-8") as handle:
    password = handle.read().strip()
os.makedirs(shots, exist_ok=True)

driver = console_browser.start()
problems = []


def collect(where, expected_401=None):
    console_browser.collect(driver, problems, where, expected_401)


def login(secret):
    console_browser.login(driver, account, secret)


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
