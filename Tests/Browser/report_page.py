#!/usr/bin/env python3
"""Opens a report page written by `stationctl report --format html` in Debian's Chromium (headless) from the file,
with no server: the page must load without a script, a network request or a console error. Writes a PNG of the
whole page and prints one JSON line with the numbers read from the DOM.

Usage: report_page.py REPORT_HTML SCREENSHOT_PNG
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
    console_browser.collect(driver, problems, "report page")
    figures = driver.execute_script("""
        const rows = {};
        for (const row of document.querySelectorAll('#seed-table tr[data-commune]')) {
          const cells = {};
          for (const cell of row.querySelectorAll('td[data-field]')) cells[cell.dataset.field] = cell.textContent;
          rows[row.dataset.commune] = cells;
        }
        const days = [...document.querySelectorAll('#trend-chart g[data-day]')].map(g => g.dataset.day);
        const tables = {};
        for (const table of document.querySelectorAll('table[id]')) {
          const lines = {};
          for (const row of table.querySelectorAll('tr[data-key]')) {
            const cells = {};
            for (const cell of row.querySelectorAll('td[data-field]')) cells[cell.dataset.field] = cell.textContent;
            lines[row.dataset.key] = cells;
          }
          tables[table.id] = lines;
        }
        return {
          seed: rows, trendDays: days, tables: tables, scripts: document.scripts.length,
          resources: performance.getEntriesByType('resource').length,
          coverageBars: document.querySelectorAll('#coverage-chart g').length,
          lang: document.documentElement.lang, title: document.title,
        };
    """)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, max(768, height + 40))
    driver.save_screenshot(shot)
    if figures["scripts"]:
        problems.append(f"the report page holds {figures['scripts']} script(s)")
    if figures["resources"]:
        problems.append(f"the report page loaded {figures['resources']} resource(s)")
    print(json.dumps(figures, ensure_ascii=False))
except Exception as error:
    problems.append(f"{type(error).__name__}: {error}")
finally:
    driver.quit()
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
