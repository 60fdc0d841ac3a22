#!/usr/bin/env python3
"""Opens a receipt written by `stationctl receipt --out` in Debian's Chromium (headless) from the file, with no
server: the page must load without a script, a network request or a console error. Writes a PNG of the page (the QR
code readable by zbarimg) and prints one JSON line with what the DOM shows.

Usage: receipt_page.py RECEIPT_HTML SCREENSHOT_PNG
"""
import json
import os
import sys

import console_browser

page, shot = sys.argv[1:3]
driver = console_browser.start()
problems = []
try:
    driver.get("file://" + os.path.abspath(page))
    console_browser.collect(driver, problems, "receipt page")
    shown = driver.execute_script("""
        const fields = {};
        for (const cell of document.querySelectorAll('[data-field]')) fields[cell.dataset.field] = cell.textContent;
        const qr = document.querySelector('svg.qr');
        const box = qr ? qr.getBoundingClientRect() : null;
        return {
          fields: fields, scripts: document.scripts.length,
          resources: performance.getEntriesByType('resource').length,
          qrModules: qr ? Number(qr.dataset.modules) : 0, qrWidth: box ? box.width : 0,
          headings: [...document.querySelectorAll('h2')].map(h => h.textContent),
          lang: document.documentElement.lang, title: document.title,
        };
    """)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(900, max(768, height + 40))
    driver.save_screenshot(shot)
    if shown["scripts"]:
        problems.append(f"the receipt holds {shown['scripts']} script(s)")
    if shown["resources"]:
        problems.append(f"the receipt loaded {shown['resources']} resource(s)")
    print(json.dumps(shown, ensure_ascii=False))
except Exception as error:
    problems.append(f"{type(error).__name__}: {error}")
finally:
    driver.quit()
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
