import ControlAPI
import Foundation
import StationTestKit
import Testing

/// Live: the health desk's `/v1/verify` through pcscd → vpcd → the simulated CCCD, the daemon with the TEST CSCA.
@Suite(.serialized)
struct DeskLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    static let cards = LivePCSC.packageRoot.appendingPathComponent("Devices/cards")
    static let an = cards.appendingPathComponent("nguyen-van-an.json")
    static let expired = cards.appendingPathComponent("le-thi-hoa-expired.json")
    /// Nguyễn Văn An's QR code (7 fields, old CCCD).
    static let anQR =
        "001099012345||Nguyễn Văn An|01011999|Nam|Số 12 Ngõ 34, Phường Dịch Vọng, Quận Cầu Giấy, Hà Nội|15042021"

    func daemon(_ name: String, trusted: Bool = true, extra: String = "") throws -> DaemonUnderTest {
        let trust = TrustAnchorConfigurationTests.pki.appendingPathComponent("trust").path
        return try DaemonUnderTest(
            name: name,
            extraConfig: (trusted ? "[trust]\nfolder = \(trust)\n" : "")
                + "[station]\nprofile = health\n" + extra,
            environment: harness.clientEnvironment)
    }

    func verify(_ daemon: DaemonUnderTest, _ body: String) throws -> (Int, String) {
        try daemon.curl("POST", "/v1/verify", body: body)
    }

    func decode(_ body: String) throws -> PatientVerification {
        try ControlJSON.decoder().decode(PatientVerification.self, from: Data(body.utf8))
    }

    @Test("genuine card opened from its QR code: accept, the full identity, QR consistent, no typing")
    func genuineFromQR() async throws {
        let daemon = try daemon("desk-genuine")
        try daemon.start()
        let card = try harness.startCardReported(arguments: ["--dataset", Self.an.path])
        defer { card.stop() }
        // The desk waits for the card (no polling of /v1/readers by the client).
        let body = try String(
            data: JSONEncoder().encode(DeskVerifyRequest(qr: Self.anQR, waitSeconds: 45)), encoding: .utf8)!
        let (status, answer) = try verify(daemon, body)
        #expect(status == 200, "\(answer)")
        let result = try decode(answer)
        #expect(result.idNumber == "001099012345")
        #expect(result.fullName == "Nguyễn Văn An")
        #expect(result.dateOfBirth == "1999-01-01")
        #expect(result.sex == "M")
        #expect(result.expiryDate == "2039-01-01")
        #expect(!result.expired)
        #expect(result.authenticity == "genuine")
        #expect(result.verdict == "accept")
        #expect(result.reason.code == "desk.accepted")
        #expect(!result.reason.vi.isEmpty && !result.reason.en.isEmpty)
        #expect(result.method == "qr")
        #expect(result.qrCheck?.consistent == true)
        #expect(result.qrCheck?.layout == "cccd2021")
        #expect(result.insurance.status == "off")
        #expect(result.portraitJPEG == nil, "DG2 read although genuine and not asked")
        // DG1 is not read when DG13 is there (the identity above is DG13's), so the two are not compared.
        #expect(result.authenticityDetails.dataGroups == "notCompared")
        #expect(result.timings.cardMs > 0 && result.timings.totalMs >= result.timings.cardMs)

        // Asked for: the portrait comes back (a JPEG).
        let (_, withPortrait) = try verify(daemon, #"{"can":"012345","portrait":true}"#)
        let portrait = try decode(withPortrait).portraitJPEG.flatMap { Data(base64Encoded: $0) }
        #expect(portrait?.prefix(2) == Data([0xFF, 0xD8]))

        // stationctl verify, in Vietnamese, from a QR file; --photo writes the chip's portrait.
        let qrFile = daemon.directory.appendingPathComponent("qr.txt")
        try Self.anQR.write(to: qrFile, atomically: true, encoding: .utf8)
        let photo = daemon.directory.appendingPathComponent("face.jpg")
        let cli = try daemon.stationctl(["verify", "--qr-file", qrFile.path, "--photo", photo.path])
        #expect(cli.status == 0, "\(cli.output)")
        #expect(cli.output.contains("Kết luận: CHẤP NHẬN"), "\(cli.output)")
        #expect(cli.output.contains("Họ và tên: Nguyễn Văn An"), "\(cli.output)")
        #expect(cli.output.contains("Mã QR: khớp với chip"), "\(cli.output)")
        #expect(cli.output.contains("Bảo hiểm y tế: chưa cấu hình"), "\(cli.output)")
        #expect(FileManager.default.contents(atPath: photo.path)?.prefix(2) == Data([0xFF, 0xD8]))

        // The log names no one.
        for secret in ["001099012345", "Nguyễn", "Nguyen", "1999-01-01", "01011999", "Dịch Vọng"] {
            #expect(!daemon.log.contains(secret), "the daemon's log contains personal data")
        }
    }

    @Test("a QR code that disagrees with the chip is flagged and referred; a malformed one is a clear 400")
    func qrMismatchAndMalformed() async throws {
        let daemon = try daemon("desk-qr")
        try daemon.start()
        let card = try harness.startCardReported(arguments: ["--dataset", Self.an.path])
        defer { card.stop() }
        let other = Self.anQR.replacingOccurrences(of: "Nguyễn Văn An", with: "Nguyễn Văn Anh")
            .replacingOccurrences(of: "|Nam|", with: "|Nữ|")
        let body = try String(
            data: JSONEncoder().encode(DeskVerifyRequest(qr: other, waitSeconds: 45)), encoding: .utf8)!
        let (status, answer) = try verify(daemon, body)
        #expect(status == 200, "\(answer)")
        let result = try decode(answer)
        #expect(result.fullName == "Nguyễn Văn An", "the chip's value is shown, never the QR's")
        #expect(result.qrCheck?.consistent == false)
        #expect(result.qrCheck?.mismatches == ["fullName", "sex"])
        #expect(result.verdict == "refer")
        #expect(result.reason.code == "desk.qr_mismatch")

        let (bad, error) = try verify(daemon, #"{"qr":"001099012345|Nguyen"}"#)
        #expect(bad == 400)
        #expect(error.contains("qr.field_count"), "\(error)")
        let (none, noKey) = try verify(daemon, #"{}"#)
        #expect(none == 400)
        #expect(noKey.contains("desk.no_key"), "\(noKey)")
    }

    @Test("expired card: refer with the reason; no CSCA: verifiedOffline accepted, portrait read for the clerk")
    func expiredAndNoTrustAnchor() async throws {
        let daemon = try daemon("desk-expired")
        try daemon.start()
        do {
            let card = try harness.startCardReported(arguments: ["--dataset", Self.expired.path])
            defer { card.stop() }
            let (status, answer) = try verify(daemon, #"{"can":"087654","waitSeconds":45}"#)
            #expect(status == 200, "\(answer)")
            let result = try decode(answer)
            #expect(result.expired)
            #expect(result.verdict == "refer")
            #expect(result.reason.code == "desk.card_expired")
            #expect(result.method == "can")
        }
        _ = daemon.stop()

        let untrusted = try self.daemon("desk-untrusted", trusted: false)
        try untrusted.start()
        let card = try harness.startCardReported(arguments: ["--dataset", Self.an.path])
        defer { card.stop() }
        let (status, answer) = try verify(untrusted, #"{"can":"012345","waitSeconds":45}"#)
        #expect(status == 200, "\(answer)")
        let result = try decode(answer)
        // No CSCA for the issuer: proven offline, accepted under the default health policy (issue 17), and the
        // chip's portrait is read for the clerk because the verdict is short of `genuine`.
        #expect(result.authenticity == "verifiedOffline")
        #expect(result.verdict == "accept")
        #expect(result.reason.code == "desk.accepted_offline")
        #expect(result.portraitJPEG != nil, "short of genuine: the chip's portrait is read for the clerk")
    }

    @Test("insurance joined from the gateway at 200 ms; a dead gateway still answers, insurance unknown")
    func insuranceJoined() async throws {
        let gateway = try InsuranceGatewayProcess("desk", arguments: ["--latency-ms", "200"])
        let settings = try gateway.settings()
        let daemon = try daemon(
            "desk-insurance",
            extra: "[insurance]\nurl = \(gateway.url)\nusername = \(settings.username)\n"
                + "password_file = \(settings.passwordFile!)\nofficer_name = Tiep Don\nbudget_ms = 1500\n")
        try daemon.start()
        let card = try harness.startCardReported(arguments: ["--dataset", Self.an.path])
        defer { card.stop() }
        let (status, answer) = try verify(daemon, #"{"can":"012345","waitSeconds":45}"#)
        #expect(status == 200, "\(answer)")
        let result = try decode(answer)
        #expect(result.insurance.status == "valid")
        #expect(result.insurance.cardCode == "DN4010199012345")
        #expect(result.insurance.validTo == "2099-12-31")
        #expect(result.timings.insuranceMs >= 200)
        #expect(result.verdict == "accept")

        gateway.process.stop()
        let (again, second) = try verify(daemon, #"{"can":"012345"}"#)
        #expect(again == 200, "\(second)")
        let degraded = try decode(second)
        #expect(degraded.insurance.status == "unknown")
        #expect(degraded.verdict == "accept", "insurance never blocks the desk")
        #expect(degraded.timings.insuranceMs < 1700)
    }

    @Test("insurance and chip disagree: one cleansing entry per field however often checked; the CSV for Excel")
    func cleansingEntries() async throws {
        let gateway = try InsuranceGatewayProcess("cleansing")
        let settings = try gateway.settings()
        let daemon = try daemon(
            "desk-cleansing",
            extra: "[insurance]\nurl = \(gateway.url)\nusername = \(settings.username)\n"
                + "password_file = \(settings.passwordFile!)\nofficer_name = Tiep Don\nbudget_ms = 1500\n")
        try daemon.start()
        let card = try harness.startCardReported(arguments: ["--dataset", Self.expired.path])
        defer { card.stop() }
        for _ in 0..<2 {
            let (status, answer) = try verify(daemon, #"{"can":"087654","waitSeconds":45}"#)
            #expect(status == 200, "\(answer)")
            #expect(try decode(answer).insurance.disagreements == ["fullName", "dateOfBirth"])
        }
        let today = ISO8601DateFormatter.vietnamDay(Date())
        let out = daemon.directory.appendingPathComponent("cleansing.csv")
        // An officer may not export (the list holds ID numbers and names).
        let (refused, body) = try daemon.curl(
            "GET", "/v1/cleansing?since=\(today)", asGroups: [TestGroups.socket, TestGroups.operators])
        #expect(refused == 403, "\(body)")
        let (status, output) = try daemon.stationctl(["cleansing", "export", "--since", today, "--out", out.path])
        #expect(status == 0, "\(output)")
        let data = try Data(contentsOf: out)
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF], "BOM")
        let lines = String(decoding: data.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.first == "ngay,so_dinh_danh,ma_the_bhyt,truong,gia_tri_bhxh,gia_tri_chip,phu_luc,doi_tuong")
        #expect(
            Array(lines.dropFirst().dropLast()) == [
                "\(today),031199087654,HC4310199087654,fullName,Lê Thị Hòa,Lê Thị Hoa,Phụ lục 02,",
                "\(today),031199087654,HC4310199087654,dateOfBirth,16/03/1999,1999-03-15,Phụ lục 02,",
            ], "two checks, two disagreeing fields: exactly two entries")
        let mode = try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The day's figure: two checks of an expired card, both refused; 0 % by chip card.
        let (statsStatus, csv) = try daemon.stationctl(["desk", "stats", "--date", today, "--format", "csv"])
        #expect(statsStatus == 0, "\(csv)")
        #expect(csv.contains("\(today),0,0,0,2,2,0.0,80"), "\(csv)")
        // The patient's ID number and names (chip's and insurer's) are in neither the store's files in clear nor
        // the daemon's log.
        let patient = ["031199087654", "Lê Thị Hòa", "Lê Thị Hoa", "1999-03-15", "16/03/1999"]
        for name in ["queue.sqlite", "queue.sqlite-wal"] {
            let bytes = FileManager.default.contents(atPath: daemon.directory.path + "/state/" + name) ?? Data()
            #expect(!bytes.isEmpty || name.hasSuffix("-wal"), "\(name)")
            for value in patient { #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value) in \(name)") }
        }
        for value in patient { #expect(!daemon.log.contains(value), "\(value) in the daemon's log") }
    }

    @Test("the contactless timing model: the chip's PACE and Chip Authentication costs show, the check stays < 1.5 s")
    func contactlessTiming() async throws {
        let daemon = try daemon("desk-timing")
        try daemon.start()
        let card = try harness.startCardReported(arguments: ["--dataset", Self.an.path, "--timing", "contactless"])
        defer { card.stop() }
        let (status, answer) = try verify(daemon, #"{"can":"012345","waitSeconds":45}"#)
        #expect(status == 200, "\(answer)")
        let result = try decode(answer)
        #expect(result.verdict == "accept")
        // PACE: 4 EC multiplications on the chip, Chip Authentication 1 (50 ms each by default) + ~20 APDUs.
        #expect(result.timings.cardMs >= 250, "\(result.timings)")
        #expect(result.timings.totalMs < 1500, "\(result.timings)")
    }
}

extension ISO8601DateFormatter {
    /// Today's (or `date`'s) Vietnamese day, `YYYY-MM-DD` (UTC+7, no daylight saving).
    static func vietnamDay(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        return formatter.string(from: date)
    }
}
