import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// Every bundle, every citizen (#19 item 6) through the real daemon, the simulated fingerprint module, `stationctl`
/// and a real `central-receiver` (holding the test CSCA, so it re-checks chip evidence, and a population file): no
/// card is read, so no PC/SC lease. Citizens without a card: the identity typed and checked, a 4-in-1 over the
/// socket (the bank list, its refusals), a 3-in-1 and a 2-in-1 through `stationctl intake --no-card`, each committed
/// `noCard`, uploaded, matched by the central against its population database.
@Suite(.serialized)
struct BundlesLiveTests {
    /// Three citizens without a card: (id, name, date of birth, sex).
    static let lan = ("001307012345", "Nguyễn Thị Lan", "2007-03-02", "F")
    static let ba = ("001090012345", "Lê Văn Ba", "1990-01-01", "M")
    static let thu = ("079306001234", "Trần Thị Thu", "2006-08-15", "F")

    @Test(.timeLimit(.minutes(5))) func citizensWithoutACardTakeEveryBundle() async throws {
        let population = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bundles-population-\(getpid()).csv")
        // Lan's name differs in the population database: the central rejects hers (NAME_MISMATCH).
        try """
        id_number,full_name,date_of_birth,sex,note
        \(Self.lan.0),Nguyễn Thị Lanh,\(Self.lan.2),F,no card; DELIBERATE MISMATCH
        \(Self.ba.0),\(Self.ba.1),\(Self.ba.2),M,no card
        \(Self.thu.0),\(Self.thu.1),\(Self.thu.2),F,no card

        """.write(to: population, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: population) }
        let trust = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki/trust")
        let receiver = try CentralReceiverProcess(population: population, extraArguments: ["--trust", trust.path])
        let daemon = try DaemonUnderTest(
            name: "bundles", uploadingTo: receiver, extraConfig: "[point]\ncommune_code = 26734\n")
        try daemon.start()
        defer { _ = daemon.stop() }
        let operators = OperatorIdentityTests.operators

        // The bank list, for the console and the CLI.
        let (listed, banksBody) = try daemon.curl("GET", "/v1/banks", asGroups: operators)
        #expect(listed == 200, "\(banksBody)")
        let banks = try ControlJSON.decoder().decode(BanksWire.self, from: Data(banksBody.utf8))
        #expect(banks.banks.first { $0.code == "970405" }?.shortName == "Agribank")
        #expect(banks.banks.count == BankDirectory.all.count)
        let listedByCLI = try daemon.stationctl(["banks"], asGroups: operators)
        #expect(listedByCLI.status == 0 && listedByCLI.output.contains("NGÂN HÀNG"), "\(listedByCLI.output)")
        #expect(
            listedByCLI.output.contains("970405") && listedByCLI.output.contains("Agribank — Ngân hàng Nông nghiệp"))

        // Over the socket: Lan, a student without a card, takes a 4-in-1.
        let client = daemon.client(language: "vi")
        let started = try client.request("POST", "/v1/intake", body: Data("{}".utf8))
        let session = try started.decode(IntakeSessionWire.self)
        let base = "/v1/intake/\(session.id)"
        func send(_ method: String, _ path: String, _ json: String) throws -> ControlClient.Response {
            try client.request(method, base + path, body: Data(json.utf8))
        }
        func identity(_ citizen: (String, String, String, String)) -> String {
            #"{"idNumber":"\#(citizen.0)","fullName":"\#(citizen.1)","dateOfBirth":"\#(citizen.2)","#
                + #""sex":"\#(citizen.3)"}"#
        }
        // A number whose province code does not exist: refused, named, the session still waiting for the identity.
        let wrongProvince = try send("POST", "/identity", identity(("003307012345", Self.lan.1, Self.lan.2, "F")))
        #expect(wrongProvince.status == 422 && wrongProvince.error?.code == "intake.id_number_structure")
        #expect(wrongProvince.error?.message.contains("mã tỉnh") == true, "\(wrongProvince.error?.message ?? "")")
        #expect(!String(decoding: wrongProvince.body, as: UTF8.self).contains("003307012345"))
        let wrongSex = try send("POST", "/identity", identity((Self.lan.0, Self.lan.1, Self.lan.2, "M")))
        #expect(wrongSex.status == 422 && wrongSex.error?.message.contains("giới tính") == true)
        #expect(try client.request("GET", base).decode(IntakeSessionWire.self).state == "idle")
        let typed = try send("POST", "/identity", identity(Self.lan)).decode(IntakeSessionWire.self)
        #expect(typed.state == "biometrics" && typed.authenticity == "noCard", "\(typed)")
        #expect(typed.maskedIDNumber == "*********345" && typed.chipPortrait == nil)
        #expect(typed.suggestedPriorityGroup == "students")
        for finger in [2, 7] {
            let captured = try send("POST", "/fingers", #"{"finger":\#(finger)}"#)
            #expect(captured.status == 200, "\(String(decoding: captured.body, as: UTF8.self))")
        }
        let jpeg = IntakeLiveTests.syntheticJPEG(width: 480, height: 640)
        #expect(try client.request("PUT", base + "/portrait", body: jpeg, contentType: "image/jpeg").status == 200)
        // The bundle's mistakes, each refused at once with what is missing.
        let phone = #""phone":"0912345678""#
        let unknownBank = try send(
            "PUT", "/details", #"{\#(phone),"bundle":"3in1","bankCode":"970999","accountConsent":true}"#)
        #expect(unknownBank.status == 422 && unknownBank.error?.code == "intake.bundle_details")
        #expect(unknownBank.error?.message.contains("danh sách ngân hàng") == true)
        let noConsent = try send("PUT", "/details", #"{\#(phone),"bundle":"3in1","bankCode":"970405"}"#)
        #expect(noConsent.status == 422 && noConsent.error?.message.contains("chưa đồng ý") == true)
        let noBenefit = try send(
            "PUT", "/details", #"{\#(phone),"bundle":"4in1","bankCode":"999888","accountConsent":true}"#)
        #expect(noBenefit.status == 422 && noBenefit.error?.message.contains("an sinh") == true)
        let unknownBenefit = try send(
            "PUT", "/details",
            #"{\#(phone),"bundle":"4in1","bankCode":"999888","accountConsent":true,"benefits":["lottery"]}"#)
        #expect(unknownBenefit.status == 400 && unknownBenefit.error?.message.contains("socialAllowance") == true)
        let details = try send(
            "PUT", "/details",
            #"{\#(phone),"bundle":"4in1","bankCode":"999888","accountConsent":true,"preferentialLoan":true,"#
                + #""benefits":["pension"]}"#)
        #expect(details.status == 200, "\(String(decoding: details.body, as: UTF8.self))")
        let review = try client.request("POST", base + "/review", body: Data()).decode(IntakeSessionWire.self)
        #expect(review.problems == [], "\(review.problems ?? [])")
        let readBack = try #require(review.readBack)
        #expect(readBack.bundle == "4in1" && readBack.bankCode == "999888" && readBack.benefits == ["pension"])
        // Suggested, shown, never set.
        #expect(readBack.suggestedPriorityGroup == "students" && readBack.priorityGroup == nil)
        let committed = try send("POST", "/commit", #"{"readBackRevision":\#(readBack.revision)}"#)
            .decode(IntakeSessionWire.self)
        #expect(committed.state == "committed" && committed.reference != nil, "\(committed)")
        let lanID = try #require(committed.applicationID)

        // Through `stationctl intake --no-card`, as an operator, the values from files (never on the command line).
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try jpeg.write(to: portrait)
        func files(_ citizen: (String, String, String, String), _ name: String) throws -> [String] {
            var arguments: [String] = []
            for (option, value) in [
                ("id", citizen.0), ("citizen-name", citizen.1), ("birth-date", citizen.2), ("sex", citizen.3),
                ("phone", "0987654321"),
            ] {
                let file = daemon.directory.appendingPathComponent("\(name)-\(option)")
                try value.write(to: file, atomically: true, encoding: .utf8)
                arguments += ["--\(option)-file", file.path]
            }
            return ["intake", "--no-card", "--portrait", portrait.path, "--yes"] + arguments
        }
        // Thu's 3-in-1 without the citizen's consent: exit 7, said in Vietnamese with its code; the suggestion shown.
        let refused = try daemon.stationctl(
            try files(Self.thu, "thu") + ["--bundle", "3in1", "--bank", "970405"], asGroups: operators, timeout: 90)
        #expect(refused.status == 7, "\(refused.output)")
        #expect(refused.output.contains("chưa đồng ý") && refused.output.contains("[intake.bundle_details]"))
        #expect(
            refused.output.contains("Gợi ý nhóm ưu tiên: học sinh sinh 2005–2009 (chọn bằng --priority students)"),
            "\(refused.output)")
        let thuAnswer = try daemon.stationctl(
            try files(Self.thu, "thu") + ["--bundle", "3in1", "--bank", "970405", "--account-consent", "--json"],
            asGroups: operators, timeout: 90)
        #expect(thuAnswer.status == 0, "\(thuAnswer.output)\n\(daemon.log.suffix(1500))")
        let thu = try Self.session(thuAnswer.output)
        #expect(thu.state == "committed")
        // Ba's 2-in-1 (the default without a card), with the group he is suggested chosen by the officer.
        let baAnswer = try daemon.stationctl(
            try files(Self.ba, "ba") + ["--priority", "withoutCCCD", "--json"], asGroups: operators, timeout: 90)
        #expect(baAnswer.status == 0, "\(baAnswer.output)")
        let ba = try Self.session(baAnswer.output)
        #expect(ba.state == "committed")
        let baID = try #require(ba.applicationID)
        let (_, shownBody) = try daemon.curl("GET", "/v1/queue/\(baID)", asGroups: operators)
        let shown = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(shownBody.utf8))
        #expect(shown.authenticity == "noCard" && shown.item.bundle == "2in1" && shown.priorityGroup == "withoutCCCD")
        // No personal data on the stationctl command lines above, nor in the daemon's log.
        for citizen in [Self.lan, Self.ba, Self.thu] {
            #expect(!daemon.log.contains(citizen.0) && !daemon.log.contains(citizen.1))
        }

        // Uploaded: the central takes no-card applications without chip evidence (the wire's verdict says so) and
        // matches each against its population database: Ba and Thu accepted, Lan's name mismatch rejected.
        _ = try daemon.stationctl(["upload", "--wait"], timeout: 90)
        let items = try #require(try receiver.admin("/admin/items") as? [String])
        #expect(Set(items) == Set([lanID, baID, try #require(thu.applicationID)]), "\(items)")
        let stats = try #require(try receiver.admin("/admin/stats") as? [String: Any])
        #expect(stats["chipEvidenceRejected"] as? Int == 0, "\(stats)")
        var decided: [QueueItemWire] = []
        let deadline = Date(timeIntervalSinceNow: 30)
        repeat {
            try await Task.sleep(for: .milliseconds(1500))
            _ = try daemon.stationctl(["upload", "--wait"], timeout: 60)
            decided = try ControlJSON.decoder().decode(
                QueuePageWire.self, from: Data(try daemon.stationctl(["queue", "ls", "--json"]).output.utf8)
            ).items
        } while decided.contains(where: { $0.central == "unknown" || $0.central == "received" }) && Date() < deadline
        #expect(decided.first { $0.id == baID }?.central == "accepted", "\(decided)")
        #expect(decided.first { $0.id == lanID }?.centralReason == "NAME_MISMATCH", "\(decided)")

        // Audited plainly, without personal data: each commit without a card, by its officer.
        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let withoutCard = try queue.auditTrail(for: nil).filter { $0.action == "intake_without_card" }
        #expect(
            Set(withoutCard.compactMap(\.reasonCode))
                == Set([lanID, baID, thu.applicationID!].map { "application:\($0)" }))
    }

    static func session(_ output: String) throws -> IntakeSessionWire {
        let line = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        return try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8))
    }
}
