import Foundation
import Messages

/// The citizen's receipt as one self-contained HTML page (A5-friendly, printable): the short reference in large
/// type and as a QR code (inline SVG), the name, the date in Asia/Ho_Chi_Minh, the bundle, the registration point,
/// what happens next and where to activate VNeID. No script, no network resource (CSP `default-src 'none'`,
/// inline CSS only); `stationctl receipt` writes it, prints it to PDF with the report's Chromium printing, and
/// sends the PDF to CUPS.
public enum ReceiptHTML {
    /// The page for `receipt` in `language` (Vietnamese first; English on request).
    public static func page(_ receipt: ApplicationReceiptWire, language: Language) -> String {
        let say = { (key: MessageKey) in ReportHTML.escape(key.text(language)) }
        let reference = ReportHTML.escape(receipt.reference)
        let qr = QRCodeSymbol(encoding: receipt.reference)?.svg(size: 168, label: reference) ?? ""
        let rows: [(MessageKey, String, String)] = [
            (.receiptName, "fullName", receipt.fullName),
            (.receiptDate, "date", ReportHTML.vietnamTime(receipt.capturedAt)),
            (.receiptBundle, "bundle", Term.bundle.name(receipt.bundle, language)),
            (.receiptPlace, "place", receipt.placeName),
        ]
        let table = rows.map { key, field, value in
            "<tr><th>\(say(key))</th><td data-field=\"\(field)\">\(ReportHTML.escape(value))</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="\(language == .english ? "en" : "vi")">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>\(say(.receiptTitle)) \(reference)</title>
            <style>\(style)</style>
            </head>
            <body>
            <h1>\(say(.receiptTitle))</h1>
            <div class="reference"><div><p class="label">\(say(.receiptReference))</p>
            <p id="reference" data-field="reference">\(reference)</p></div>
            \(qr)</div>
            <table>
            \(table)
            </table>
            <h2>\(say(.receiptNextTitle))</h2>
            <p>\(say(.receiptNext))</p>
            <h2>\(say(.receiptActivateTitle))</h2>
            <p>\(say(.receiptActivate))</p>
            <p class="keep">\(say(.receiptKeep))</p>
            </body>
            </html>

            """
    }

    static let style = """
        @page { size: A5; margin: 12mm; }
        body { font-family: "DejaVu Sans", "Noto Sans", sans-serif; margin: 1.5rem; color: #000; max-width: 40rem; }
        h1 { font-size: 1.25rem; } h2 { font-size: 1.05rem; margin: 1.2rem 0 0.3rem; }
        .reference { display: flex; align-items: center; justify-content: space-between; gap: 1rem;
            border: 2px solid #000; padding: 0.5rem 1rem; }
        .label { margin: 0; } #reference { font: bold 2.2rem "DejaVu Sans Mono", monospace; letter-spacing: 0.15rem;
            margin: 0.2rem 0; }
        table { border-collapse: collapse; margin-top: 1rem; width: 100%; }
        th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #999; vertical-align: top; }
        th { width: 35%; font-weight: normal; color: #333; }
        .keep { margin-top: 1.2rem; font-style: italic; }
        @media print { body { margin: 0; } }
        """
}
