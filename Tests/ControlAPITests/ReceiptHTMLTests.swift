import ControlAPI
import Foundation
import Messages
import Testing

/// The receipt page and its QR code, without a daemon (the live test opens the page in Chromium and reads the
/// code back with zbarimg).
@Suite struct ReceiptHTMLTests {
    static let receipt = ApplicationReceiptWire(
        id: "6f1c3c1e-52a4-4a0e-9d8e-0c6b1f0f8a11", reference: "K7M2-QX4G", fullName: "Nguyễn Văn <An>",
        capturedAt: Date(timeIntervalSince1970: 1_796_000_000), bundle: "2in1", placeName: "Nhà văn hóa thôn Đông",
        communeCode: "01234", printer: nil)

    @Test func theQRCodeComesFromLibqrencodeAtVersionOne() throws {
        let symbol = try #require(QRCodeSymbol(encoding: "K7M2-QX4G"))
        #expect(symbol.version == 1 && symbol.width == 21)
        // The three finder patterns: 7×7 dark borders at three corners, the separator light.
        for (row, column) in [(0, 0), (0, 14), (14, 0)] {
            #expect(symbol.isDark(row: row, column: column) && symbol.isDark(row: row + 6, column: column + 6))
            #expect(!symbol.isDark(row: row + 1, column: column + 1) && symbol.isDark(row: row + 3, column: column + 3))
        }
        #expect(!symbol.isDark(row: 7, column: 7))
        let svg = symbol.svg(size: 100, label: "K7M2-QX4G")
        #expect(svg.contains("data-modules=\"21\"") && svg.contains("viewBox=\"0 0 29 29\""))
        // A longer text needs a larger version (libqrencode chooses it).
        #expect((QRCodeSymbol(encoding: String(repeating: "K7M2-QX4G ", count: 10))?.version ?? 0) > 1)
    }

    @Test func thePageIsSelfContainedAndEscapesTheName() {
        let page = ReceiptHTML.page(Self.receipt, language: .vietnamese)
        #expect(page.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""))
        #expect(!page.contains("<script") && !page.contains("src=") && !page.contains("href="))
        #expect(page.contains("Nguyễn Văn &lt;An&gt;") && !page.contains("<An>"))
        #expect(page.contains("<p id=\"reference\" data-field=\"reference\">K7M2-QX4G</p>"))
        #expect(page.contains("data-modules=\"21\""))
        // 1 796 000 000 s is 2026-11-30 00:53 UTC: 07:53 in Asia/Ho_Chi_Minh.
        #expect(page.contains("2026-11-30 07:53"))
        #expect(page.contains(Term.bundle.name("2in1", .vietnamese)))
        #expect(page.contains(MessageKey.receiptActivate.text(.vietnamese)) && page.contains("lang=\"vi\""))
        let english = ReceiptHTML.page(Self.receipt, language: .english)
        #expect(english.contains("What happens next") && english.contains("lang=\"en\""))
    }
}
