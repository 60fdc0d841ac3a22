import ControlAPI
import Foundation
import Intake
import StationTestKit
import Testing

/// Issue 19 item 4 through the real daemon, the simulated card and `stationctl`: the commit answers the short
/// reference, `queue show` and `queue ls` take and show it, a mistyped one is refused with what to check, and
/// `stationctl receipt` writes the self-contained page (opened in headless Chromium, its QR code read back by
/// zbarimg), the PDF (read back by pdftotext) and sends the PDF to CUPS's `lp`.
@Suite(.serialized)
struct ReceiptLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test(.timeLimit(.minutes(10))) func commitReferenceLookupAndTheReceipt() async throws {
        let daemon = try DaemonUnderTest(
            name: "receipt", extraConfig: "[receipt]\nprinter = quay-tiep-nhan\n",
            environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)
        let committed = try await operatorIntakeAnswer(
            "nguyen-van-an.json", daemon: daemon, harness: harness, portrait: portrait)
        let id = try #require(committed.applicationID)
        let reference = try #require(committed.reference, "the commit answer carries the reference")
        #expect(ShortReference(parsing: reference)?.description == reference)

        // Typed back as people type it: lower case, a space for the dash.
        let typed = reference.lowercased().replacingOccurrences(of: "-", with: " ")
        let shown = try daemon.stationctl(["queue", "show", typed], asGroups: OperatorIdentityTests.operators)
        #expect(shown.status == 0, "\(shown.output)")
        #expect(shown.output.contains("Hồ sơ \(id)") && shown.output.contains("Mã hồ sơ: \(reference)"))
        let listed = try daemon.stationctl(["queue", "ls"], asGroups: OperatorIdentityTests.operators)
        #expect(listed.output.contains("Mã hồ sơ") && listed.output.contains(reference), "\(listed.output)")
        let json = try daemon.stationctl(["queue", "ls", "--json"])
        let page = try ControlJSON.decoder().decode(QueuePageWire.self, from: Data(json.output.utf8))
        #expect(page.items.first { $0.id == id }?.reference == reference)

        // One character mistyped: refused with the reference's code and what to do; nothing else happens.
        var characters = Array(reference)
        characters[2] = characters[2] == "A" ? "B" : "A"
        let mistyped = try daemon.stationctl(["queue", "show", String(characters)])
        #expect(mistyped.status != 0, "\(mistyped.output)")
        #expect(mistyped.output.contains("[reference.check]") && mistyped.output.contains("kiểm tra lại các ký tự"))
        // A supervisor holds and releases by reference.
        let held = try daemon.stationctl(
            ["queue", "hold", reference, "--reason", "dataError"],
            asGroups: [TestGroups.socket, TestGroups.supervisors])
        #expect(held.status == 0 && held.output.contains(id), "\(held.output)")
        let released = try daemon.stationctl(["queue", "release", reference])
        #expect(released.status == 0, "\(released.output)")

        // The receipt: the officer who took it may have it (audited); the page is self-contained.
        let asOfficer = try daemon.stationctl(
            ["receipt", reference, "--json"], asGroups: OperatorIdentityTests.operators)
        #expect(asOfficer.status == 0, "\(asOfficer.output)")
        let wire = try ControlJSON.decoder().decode(ApplicationReceiptWire.self, from: Data(asOfficer.output.utf8))
        #expect(wire.fullName == "Nguyễn Văn An" && wire.reference == reference && wire.printer == "quay-tiep-nhan")
        let htmlPath = daemon.directory.appendingPathComponent("receipt.html").path
        let html = try daemon.stationctl(["receipt", reference, "--out", htmlPath])
        #expect(html.status == 0, "\(html.output)")
        let attributes = try FileManager.default.attributesOfItem(atPath: htmlPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: htmlPath, encoding: .utf8)
        #expect(text.contains("default-src 'none'") && !text.contains("<script") && !text.contains("http://127"))
        #expect(text.contains("Nguyễn Văn An") && text.contains("VNeID") && text.contains("Các bước tiếp theo"))
        let artifacts = LivePCSC.packageRoot.appendingPathComponent(".build/artifacts/receipt").path
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let shot = artifacts + "/receipt.png"
        let browser = try runTool(
            ConsoleBrowserTests.python,
            [LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/receipt_page.py").path, htmlPath, shot],
            timeout: 120)
        #expect(browser.status == 0, "\(browser.output)")
        let line = browser.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let dom = try #require(jsonObject(line))
        let fields = try #require(dom["fields"] as? [String: String])
        #expect(fields["reference"] == reference && fields["fullName"] == "Nguyễn Văn An")
        #expect(fields["bundle"]?.isEmpty == false && fields["date"]?.count == 16)
        #expect(dom["qrModules"] as? Int == 21, "version 1 holds nine characters")
        #expect(dom["lang"] as? String == "vi")
        // The QR code in the screenshot reads back as the reference.
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg"), "zbar-tools: run make deps")
        let decoded = try runTool("/usr/bin/zbarimg", ["--nodbus", "--raw", "-q", shot])
        #expect(decoded.output.trimmingCharacters(in: .whitespacesAndNewlines) == reference, "\(decoded.output)")
        let english = try daemon.stationctl(["receipt", reference, "--lang", "en"])
        #expect(english.output.contains("What happens next") && english.output.contains("lang=\"en\""))

        // PDF through the report's Chromium printing; its text read back by pdftotext.
        let pdfPath = daemon.directory.appendingPathComponent("receipt.pdf").path
        let pdf = try daemon.stationctl(["receipt", reference, "--format", "pdf", "--out", pdfPath], timeout: 120)
        #expect(pdf.status == 0, "\(pdf.output)")
        let printed = (try? Data(contentsOf: URL(fileURLWithPath: pdfPath))) ?? Data()
        #expect(printed.starts(with: Data("%PDF".utf8)))
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext"), "poppler-utils: run make deps")
        let pdfText = try runTool("/usr/bin/pdftotext", [pdfPath, "-"])
        #expect(pdfText.output.contains(reference) && pdfText.output.contains("VNeID"), "\(pdfText.output)")
        let noOut = try daemon.stationctl(["receipt", reference, "--format", "pdf"])
        #expect(noOut.status != 0 && noOut.output.contains("--out"))

        // --print: lp (a recording stand-in first on PATH: no CUPS here) gets the PDF for the configured printer,
        // or for --printer; no lp at all is said plainly.
        let bin = daemon.directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let record = daemon.directory.appendingPathComponent("lp-record")
        try """
        #!/bin/sh
        printf '%s\\n' "$@" > \(record.path).args
        for last; do :; done
        cp "$last" \(record.path).pdf

        """.write(to: bin.appendingPathComponent("lp"), atomically: true, encoding: .utf8)
        chmod(bin.appendingPathComponent("lp").path, 0o755)
        let path = daemon.environment["PATH"] ?? "/usr/bin:/bin"
        daemon.environment["PATH"] = bin.path + ":" + path
        let sent = try daemon.stationctl(["receipt", reference, "--print"], timeout: 120)
        #expect(sent.status == 0, "\(sent.output)")
        #expect(sent.output.contains("Đã gửi biên nhận \(reference) đến máy in quay-tiep-nhan"))
        let arguments = try String(contentsOfFile: record.path + ".args", encoding: .utf8).split(separator: "\n")
        #expect(Array(arguments.prefix(5)) == ["-d", "quay-tiep-nhan", "-t", Substring(reference), "--"])
        #expect(arguments.last?.hasSuffix(".pdf") == true)
        #expect(
            (try? Data(contentsOf: URL(fileURLWithPath: record.path + ".pdf")))?.starts(with: Data("%PDF".utf8)) == true
        )
        let other = try daemon.stationctl(["receipt", reference, "--print", "--printer", "tang-2"], timeout: 120)
        #expect(other.status == 0)
        #expect(try String(contentsOfFile: record.path + ".args", encoding: .utf8).hasPrefix("-d\ntang-2\n"))
        let noPrinter = try daemon.stationctl(["receipt", reference, "--print", "--printer", ""])
        #expect(noPrinter.status == 1 && noPrinter.output.contains("Chưa chọn máy in"), "\(noPrinter.output)")
        daemon.environment["PATH"] = "/nonexistent"
        let noLp = try daemon.stationctl(["receipt", reference, "--print"])
        #expect(noLp.status == 1 && noLp.output.contains("Không có lệnh lp"), "\(noLp.output)")
        daemon.environment["PATH"] = path
    }
}
