#!/usr/bin/env python3
"""Drives Debian's Chromium (headless) through a complete intake on the station's web console.

Usage: console_intake.py BASE_URL ACCOUNT SECRETS_FILE SCREENSHOT_DIR [place] [refusal]
SECRETS_FILE (0600) holds JSON {"password", "can", "phone"}: personal values and the password never go on argv.
The camera is Chromium's fake video device. Prints one JSON line {"applicationID", "verdict", "timings"}; exits 0
when every check passed, 1 with the failures on stderr. Any CSP violation or console error fails it.
With `refusal`: the card's citizen is turned away at once (under 14); the page shows why and the officer records
the refusal (reason "under14") in one step; prints {"problems", "ended"}.
With `bundle`: the details take a 4-in-1 (the bank VBSP from the station's list, the citizen's consent, a pension)
after the page refused it once without the consent; prints {"bundleRefusal", "bankOptions"} too.
With `nocard`: no card is read; the officer types the identity of a citizen without a card (SECRETS_FILE's
"identity": {idNumber, fullName, dateOfBirth, sex}) and the 2-in-1 goes on from the fingers; prints {"suggestion"}.
With `place`: the station serves several communes; before the card, the officer chooses commune 26737's hamlet
"Xóm 1" in the place list; prints {"placeOptions", "place"} (the list's value as the session answered it) too.
"""
import json
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

import console_browser

base, account, secrets_file, shots = sys.argv[1:5]
refusal = "refusal" in sys.argv[5:]
place = "place" in sys.argv[5:]
bundle = "bundle" in sys.argv[5:]
no_card = "nocard" in sys.argv[5:]
with open(secrets_file, encoding="utf-8") as handle:
    secrets = json.load(handle)
os.makedirs(shots, exist_ok=True)

driver = console_browser.start(fake_camera=True)
problems = []
timings = {}
result = {}


def element(name):
    return driver.find_element(By.ID, name)


def wait(condition, seconds=30):
    WebDriverWait(driver, seconds).until(lambda d: condition())


def visible(name):
    return element(name).is_displayed()


def idle():
    """No step in progress: the page's buttons are enabled again."""
    return element("abandon").is_enabled() or not visible("abandon")


def shot(name, where, focus=None):
    if focus:
        driver.execute_script("arguments[0].scrollIntoView()", element(focus))
    driver.save_screenshot(os.path.join(shots, f"console-intake-{name}.png"))
    console_browser.collect(driver, problems, where)


try:
    driver.get(base + "/console/")
    wait(lambda: element("login-form"), 10)
    console_browser.login(driver, account, secrets["password"])
    wait(lambda: driver.current_url.endswith("/console/station.html"), 15)
    element("to-intake").click()

    started = time.monotonic()
    wait(lambda: visible("step-card"), 15)
    timings["intake_screen_ms"] = round((time.monotonic() - started) * 1000, 1)
    if driver.find_element(By.TAG_NAME, "html").get_attribute("lang") != "vi":
        problems.append("the intake page is not Vietnamese")
    shot("1-card", "card step")
    if place:
        wait(lambda: visible("place-box"), 10)
        result["placeOptions"] = [option.text for option in Select(element("place")).options]
        Select(element("place")).select_by_value(json.dumps(["26737", "Xóm 1"], ensure_ascii=False,
                                                            separators=(",", ":")))
        wait(idle, 30)
        result["place"] = json.loads(element("place").get_attribute("value"))
        if element("intake-message").text.strip():
            problems.append("place refused: " + element("intake-message").text)

    started = time.monotonic()
    if no_card:
        identity = secrets["identity"]
        element("no-card-title").click()
        element("id-number").send_keys(identity["idNumber"])
        element("citizen-name").send_keys(identity["fullName"])
        driver.execute_script("document.getElementById('birth-date').value = arguments[0]", identity["dateOfBirth"])
        Select(element("sex")).select_by_value(identity["sex"])
        element("type-identity").click()
    else:
        element("can").send_keys(secrets["can"])
        element("read-card").click()
    if refusal:
        # Turned away at once: the reasons shown, the refusal box open with the catalog's reasons.
        wait(lambda: visible("step-refusal") and idle() and element("refusal-box").get_attribute("open"), 60)
        result["problems"] = [item.get_attribute("data-code")
                              for item in driver.find_elements(By.CSS_SELECTOR, "#intake-problems li")]
        if visible("step-fingers"):
            problems.append("fingers offered to a citizen who was turned away")
        shot("refusal-1-turned-away", "turned away")
        Select(element("refusal-reason")).select_by_value("under14")
        element("record-refusal").click()
        wait(lambda: visible("step-ended") and idle(), 30)
        result["ended"] = element("intake-message").text
        shot("refusal-2-recorded", "refusal recorded")
        raise SystemExit
    wait(lambda: visible("step-fingers") and idle(), 60)
    timings["card_read_ms"] = round((time.monotonic() - started) * 1000, 1)
    result["verdict"] = element("verdict").get_attribute("data-verdict")
    result["verdictText"] = element("verdict").text
    result["maskedID"] = element("masked-id").text
    result["suggestion"] = element("priority-suggestion").text
    shot("2-card-read", "card read")

    for finger, count in (("2", 1), ("7", 2)):
        element("finger-" + finger).click()
        wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#fingers-taken li")) == count and idle(), 60)
    shot("3-fingers", "fingers", "step-fingers")

    # The fake camera runs: take the photo through the oval.
    wait(lambda: driver.execute_script("return document.getElementById('camera').videoWidth") > 0, 20)
    element("take-photo").click()
    wait(lambda: element("portrait-done").text.strip() != "" and idle(), 30)
    shot("4-portrait", "portrait", "step-portrait")

    element("phone").send_keys(secrets["phone"])
    if bundle:
        Select(element("bundle")).select_by_value("4in1")
        wait(lambda: visible("bank-fields") and visible("benefit-fields")
             and len(Select(element("bank")).options) > 0, 30)
        result["bankOptions"] = [option.get_attribute("value") for option in Select(element("bank")).options]
        Select(element("bank")).select_by_value("999888")
        driver.find_element(By.CSS_SELECTOR, "input[name=benefit][value=pension]").click()
        # Without the citizen's consent the daemon refuses the bundle at once, saying what is missing.
        element("save-details").click()
        wait(lambda: element("intake-message").text.strip() != "" and idle(), 30)
        result["bundleRefusal"] = element("intake-message").text
        # The refusal's 422 is the one expected network error; anything else in the console still fails.
        for entry in driver.get_log("browser"):
            expected = "/details" in entry["message"] and "422" in entry["message"]
            if entry["level"] in ("SEVERE", "WARNING") and not expected:
                problems.append(f"bundle: console {entry['level']}: {entry['message']}")
        element("account-consent").click()
    element("save-details").click()
    wait(idle, 30)
    if element("intake-message").text.strip():
        problems.append("details refused: " + element("intake-message").text)

    element("review").click()
    wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#read-back dt")) > 0 and idle(), 30)
    result["readBack"] = element("read-back").text
    if element("commit").is_enabled():
        problems.append("the commit button is enabled before the read-back is confirmed")
    shot("5-read-back", "read-back", "step-review")
    element("read-back-done").click()
    element("commit").click()
    wait(lambda: visible("step-receipt"), 30)
    result["applicationID"] = element("application-id").text
    result["reference"] = element("receipt-reference").text
    result["receiptOfficer"] = element("receipt-officer").text
    shot("6-receipt", "receipt")
except SystemExit:
    pass
except Exception as error:  # a timeout names what the page showed
    message = ""
    try:
        message = element("intake-message").text
    except Exception:
        pass
    problems.append(f"{type(error).__name__}: {error} at {driver.current_url}; the page said: {message!r}")
    try:
        driver.save_screenshot(os.path.join(shots, "console-intake-failure.png"))
    except Exception:
        pass
finally:
    driver.quit()

result["timings"] = timings
print(json.dumps(result, ensure_ascii=False))
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
