#!/usr/bin/env python3
"""Opens a receipt written by `stationctl receipt --out` in Debian's Chromium (headless) from the file, with no
server: the page must load without a script, a network request or a console error. Writes a PNG of the page (the QR
code readable by zbarimg) and prints one JSON line with what the DOM shows.

Usage: receipt_page.py RECEIPT_HTML SCREENSHOT_PNG
"""
import console_browser

READ = """
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
    """

console_browser.check_static_page("receipt", 900, READ)
