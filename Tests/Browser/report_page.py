#!/usr/bin/env python3
"""Opens a report page written by `stationctl report --format html` in Debian's Chromium (headless) from the file,
with no server: the page must load without a script, a network request or a console error. Writes a PNG of the
whole page and prints one JSON line with the numbers read from the DOM.

Usage: report_page.py REPORT_HTML SCREENSHOT_PNG
"""
import console_browser

READ = """
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
    """

console_browser.check_static_page("report page", 1366, READ)
