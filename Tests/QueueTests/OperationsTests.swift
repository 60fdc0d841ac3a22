import Foundation
import Intake
import Queue
import Testing

/// A clock tests can move.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}

@Suite struct OperationsTests {
    /// Issue 16, item 8: a hold or cancel keeps only its reason code in clear; the free text is sealed in the
    /// audit (the SQLite files read directly never contain it) and unsealed in the history for supervisors only.
    @Test func holdAndCancelNotesAreSealedAndShownOnlyToSupervisors() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let a = sampleApplication()
        try queue.commit(a, by: officer)
        let holdNote = "Bà Trần Thị Bình gọi 0987654321: chờ sửa tên"
        let cancelNote = "Công dân Lê Văn Cường chuyển hộ khẩu"
        try queue.hold(a.id, by: supervisor, reason: .citizenRequest, note: holdNote)
        try queue.release(a.id, by: supervisor)
        try queue.cancel(a.id, by: supervisor, reason: .other, note: "  \(cancelNote)\n")
        try queue.checkpoint()

        let trail = try queue.auditTrail(for: a.id)
        #expect(trail.map(\.reasonCode) == [nil, "citizenRequest", nil, "other"])
        #expect(trail.map { $0.sealedNote != nil } == [false, true, false, true])
        for file in [dir.database, dir.database + "-wal"] {
            guard let bytes = FileManager.default.contents(atPath: file) else { continue }
            for text in [holdNote, cancelNote, "0987654321", "Trần Thị Bình"] {
                #expect(bytes.range(of: Data(text.utf8)) == nil, "\(text) in clear in \(file)")
            }
        }

        let forSupervisor = try queue.history(a.id, as: supervisor, withNotes: true)
        #expect(forSupervisor.map(\.note) == [nil, holdNote, nil, cancelNote])
        let forOfficer = try queue.history(a.id, as: officer, withNotes: false)
        #expect(forOfficer.map(\.note) == [nil, nil, nil, nil])
        #expect(forOfficer.map(\.hasNote) == [false, true, false, true])
        #expect(forOfficer.map(\.reasonCode) == [nil, "citizenRequest", nil, "other"])
        do {
            _ = try queue.history(a.id, as: officer, withNotes: true)
            Issue.record("officers must not see notes")
        } catch {
            #expect(error.code == .notPermitted)
        }
        // An empty note is no note.
        let b = sampleApplication()
        try queue.commit(b, by: officer)
        try queue.hold(b.id, by: supervisor, reason: .deviceFault, note: "   ")
        #expect(try queue.auditTrail(for: b.id).last?.sealedNote == nil)
        #expect(try queue.verifyAudit().isIntact)
    }

    @Test func holdReleaseCancelRetryWithReasons() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let a = sampleApplication()
        try queue.commit(a, by: officer)
        // Hold from captured returns to captured; from ready to ready.
        try queue.hold(a.id, by: officer, reason: .dataError)
        #expect(try queue.status(of: a.id) == .s(.held))
        #expect(try queue.release(a.id, by: officer) == .s(.captured))
        try queue.transition(a.id, to: .s(.ready), by: officer)
        try queue.hold(a.id, by: officer, reason: .citizenRequest)
        #expect(try queue.release(a.id, by: officer) == .s(.ready))
        // Reason codes are a closed set: free text is refused (it belongs in the sealed note).
        #expect(try OperatorReason(code: " dataError") == .dataError)
        for text in [" ", "data_correction", "Nguyễn Văn An asked to wait"] {
            do {
                _ = try OperatorReason(code: text)
                Issue.record("\(text) is not a reason code")
            } catch {
                #expect(error.code == .unknownReason)
                #expect(!error.reason.contains(text) || text == " ")
            }
        }
        do {
            try queue.release(a.id, by: officer)
            Issue.record("releasing a non-held application must fail")
        } catch {
            #expect(error.code == .illegalTransition)
        }
        // Retry only from needsAttention; counts attempts.
        try queue.transition(a.id, to: .s(.batched), by: .system)
        try queue.transition(a.id, to: .s(.needsAttention), by: .system, reason: QueueReason(code: "packaging"))
        #expect(try queue.retry(a.id, by: officer) == .s(.ready))
        #expect(try queue.list(QueueFilter(), limit: 5).items.first?.attempts == 1)
        do {
            try queue.retry(a.id, by: officer)
            Issue.record("retry of a ready application must fail")
        } catch {
            #expect(error.code == .illegalTransition)
        }
        // Cancel needs a supervisor and a reason.
        do {
            try queue.cancel(a.id, by: officer, reason: .other)
            Issue.record("officers cannot cancel")
        } catch {
            #expect(error.code == .notPermitted)
        }
        try queue.cancel(a.id, by: supervisor, reason: .citizenRequest, note: "đã chuyển đi")
        #expect(try queue.status(of: a.id) == .s(.cancelled))
        let actions = try queue.auditTrail(for: a.id).map(\.action)
        #expect(
            actions == [
                "commit", "hold", "release", "transition", "hold", "release", "transition", "transition", "retry",
                "cancel",
            ])
        #expect(try queue.verifyAudit().isIntact)
        #expect(try queue.summary() == queue.countedSummary())
        #expect(try queue.summary().count(.cancelled) == 1)
        #expect(try queue.summary().total == 1)
    }

    @Test func listFiltersAndPages() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let base = Date(timeIntervalSince1970: 1_795_000_000)
        var ids: [ApplicationID] = []
        for i in 0..<25 {
            let application = sampleApplication(
                commune: i % 2 == 0 ? "01234" : "05678", operatorID: i % 5 == 0 ? "officer-2" : "officer-1",
                capturedAt: base + Double(i) * 3600, printBytes: 100)
            try queue.commit(application, by: officer)
            ids.append(application.id)
            if i % 3 == 0 { try queue.transition(application.id, to: .s(.ready), by: officer) }
        }
        // Paging newest first, 10 at a time, covers everything once.
        var seen: [ApplicationID] = []
        var cursor: QueueCursor?
        repeat {
            let page = try queue.list(QueueFilter(), limit: 10, after: cursor)
            seen += page.items.map(\.id)
            cursor = page.next
        } while cursor != nil
        #expect(seen == ids.reversed())
        #expect(try queue.list(QueueFilter(localStates: [.ready]), limit: 100).items.count == 9)
        #expect(try queue.list(QueueFilter(communeCode: "05678"), limit: 100).items.count == 12)
        #expect(try queue.list(QueueFilter(operatorID: "officer-2"), limit: 100).items.count == 5)
        let window = QueueFilter(from: base + 3600 * 10, until: base + 3600 * 20)
        #expect(try queue.list(window, limit: 100).items.map(\.id) == Array(ids[10..<20].reversed()))
        let combined = QueueFilter(localStates: [.ready], communeCode: "01234")
        #expect(try queue.list(combined, limit: 100).items.count == 5)  // i = 0, 6, 12, 18, 24
        let summary = try queue.summary()
        #expect(summary.total == 25)
        #expect(summary.count(.ready) == 9)
        #expect(summary.count(.captured) == 16)
        #expect(summary.count(.unknown) == 25)
        #expect(try queue.summary(QueueFilter(communeCode: "01234")).total == 13)
        #expect(try queue.summary() == queue.countedSummary())
    }

    @Test func showMasksUnlessASupervisorAsks() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let citizen = CitizenID("079203004512")!
        let application = sampleApplication(citizen: citizen, name: "NGUYỄN VĂN AN")
        try queue.commit(application, by: officer)
        let masked = try queue.show(application.id, as: officer)
        #expect(!masked.unmasked)
        #expect(masked.idNumber == "*********512")
        #expect(masked.fullName == "N. V. A.")
        #expect(masked.dateOfBirth == "1990-**-**")
        #expect(masked.phone == "*******678")
        #expect(try queue.auditTrail(for: application.id).map(\.action) == ["commit"])
        do {
            _ = try queue.show(application.id, as: officer, unmasked: true)
            Issue.record("officers cannot unmask")
        } catch {
            #expect(error.code == .notPermitted)
        }
        let full = try queue.show(application.id, as: supervisor, unmasked: true)
        #expect(full.idNumber == citizen.digits)
        #expect(full.fullName == "NGUYỄN VĂN AN")
        #expect(full.phone == "0912345678")
        let trail = try queue.auditTrail(for: application.id)
        #expect(trail.last?.action == "show_unmasked")
        #expect(trail.last?.actor == "supervisor-1")
    }

    @Test func purgeKeepsAReceiptOnlyAfterAcceptancePlusRetention() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: dir.database, keyFilePath: dir.keyFile, minimumFreeBytes: 1 << 20,
                retention: 7 * 86_400, now: { clock.now }))
        let accepted = sampleApplication()
        let rejected = sampleApplication()
        let pending = sampleApplication()
        for application in [accepted, rejected, pending] {
            try queue.commit(application, by: officer)
            for step: ApplicationStatus in [.s(.ready), .s(.batched), .s(.uploaded), .s(.uploaded, .received)] {
                try queue.transition(application.id, to: step, by: .system)
            }
        }
        try queue.transition(accepted.id, to: .s(.uploaded, .accepted), by: .system)
        try queue.transition(rejected.id, to: .s(.uploaded, .rejected(reason: "C06-17")), by: .system)
        clock.advance(7 * 86_400 - 1)
        #expect(try queue.purgeExpiredPayloads() == 0)
        clock.advance(1)
        // Accepted, but no signed acceptance of the central recorded: the payload stays.
        #expect(try queue.purgeExpiredPayloads() == 0)
        let signed = SignedCentralAnswer(
            signedMessage: Data("ISA1 …".utf8), body: Data("{}".utf8), signature: Data(count: 64), keyID: "k")
        try queue.recordCentralReceipts(signed, states: [(accepted.id, "accepted"), (rejected.id, "rejected")])
        #expect(try queue.centralReceipts(for: accepted.id)["accepted"] == signed)
        #expect(try queue.purgeExpiredPayloads() == 1)
        #expect(try queue.purgeExpiredPayloads() == 0)
        do {
            _ = try queue.application(accepted.id)
            Issue.record("payload should be gone")
        } catch {
            #expect(error.code == .purged)
        }
        // The receipt remains: status, commune, operator, and the duplicate check still works.
        let item = try queue.list(QueueFilter(centralStates: [.accepted]), limit: 5).items
        #expect(item.map(\.id) == [accepted.id])
        #expect(item.first?.purged == true)
        #expect(try queue.priorApplications(for: accepted.identity.idNumber).map(\.status) == [.accepted])
        #expect(try queue.application(rejected.id) == rejected)
        #expect(try queue.application(pending.id) == pending)
        // Activation after purge is still recorded.
        try queue.transition(accepted.id, to: .s(.uploaded, .activated), by: .system)
        #expect(try queue.auditTrail(for: accepted.id).suffix(2).map(\.action) == ["purge", "transition"])
        #expect(try queue.verifyAudit().isIntact)
    }

    @Test func communeReportCountsTheCampaignColumns() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        // 2026-11-23 09:00 in Hà Nội = 02:00 UTC.
        let day = Date(timeIntervalSince1970: 1_795_399_200)
        func walk(_ commune: String, to final: ApplicationStatus?, cancelled: Bool = false, at: Date = day) throws {
            let application = sampleApplication(commune: commune, capturedAt: at, printBytes: 100)
            try queue.commit(application, by: officer)
            if cancelled {
                try queue.cancel(application.id, by: supervisor, reason: .citizenRequest)
                return
            }
            guard let final else { return }
            for step: ApplicationStatus in [.s(.ready), .s(.batched), .s(.uploaded)] {
                try queue.transition(application.id, to: step, by: .system)
            }
            if final.central == .activated {
                try queue.transition(application.id, to: .s(.uploaded, .accepted), by: .system)
            }
            if final != .s(.uploaded) { try queue.transition(application.id, to: final, by: .system) }
        }
        try walk("01234", to: nil)
        try walk("01234", to: .s(.uploaded, .accepted))
        try walk("01234", to: .s(.uploaded, .activated))
        try walk("01234", to: .s(.uploaded, .rejected(reason: "X")))
        try walk("01234", to: nil, cancelled: true)
        try walk("05678", to: .s(.uploaded))
        try walk("05678", to: nil, at: day - 86_400)  // the day before
        let lines = try queue.communeReport(
            from: CalendarDate(iso: "2026-11-23")!, through: CalendarDate(iso: "2026-11-23")!)
        #expect(lines.count == 2)
        #expect(lines[0].communeCode == "01234")
        #expect(lines[0].taken == 4)
        #expect(lines[0].pending == 1)
        #expect(lines[0].accepted == 1)
        #expect(lines[0].activated == 1)
        #expect(lines[0].rejected == 1)
        #expect(lines[1].taken == 1 && lines[1].pending == 1)
        let week = try queue.communeReport(
            from: CalendarDate(iso: "2026-11-16")!, through: CalendarDate(iso: "2026-11-23")!)
        #expect(week.first { $0.communeCode == "05678" }?.taken == 2)
    }

    @Test func authenticityOverrideIsAuditedWithItsReason() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let application = sampleApplication(
            override: SupervisorOverride(
                supervisor: OperatorID("supervisor-9"), reason: "CSCA 2025 chưa có trong danh sách"))
        try queue.commit(application, by: officer)
        let trail = try queue.auditTrail(for: application.id)
        #expect(trail.map(\.action) == ["commit", "authenticity_override"])
        #expect(trail[1].actor == "supervisor-9")
        #expect(trail[1].reasonCode == "unconfirmed")
        #expect(try queue.auditNote(trail[1], as: supervisor) == "CSCA 2025 chưa có trong danh sách")
    }

    @Test func theVerdictAndThePolicyThatAcceptedItAreStoredAndAudited() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let override = SupervisorOverride(supervisor: OperatorID("supervisor-9"), reason: "no DG14 on this batch")
        let application = AuthenticityPolicy.standard.recordingAcceptance(in: sampleApplication(override: override))
        #expect(application.authenticityAcceptance?.decision == .supervisorOverride)
        try queue.commit(application, by: officer)
        let trail = try queue.auditTrail(for: application.id)
        #expect(trail.map(\.action) == ["commit", "authenticity_accepted", "authenticity_override"])
        #expect(trail[1].reasonCode == "unconfirmed" && trail[1].to == "supervisorOverride")
        #expect(trail[1].from == AuthenticityPolicy.standard.summary)
        let stored = try queue.application(application.id)
        #expect(stored.authenticityAcceptance == application.authenticityAcceptance)
    }
}

@Suite struct EligibilityListTests {
    @Test func recordsAreSealedCountedAndLatestWins() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let a = CitizenID("001199000001")!
        let b = CitizenID("001199000002")!
        let today = CalendarDate(iso: "2026-11-23")!
        try queue.recordEligibility(
            EligibilityRecord(
                idNumber: a, eligibility: .notYetEligible(.abroad), note: "đi làm ở Hàn Quốc",
                recordedBy: OperatorID("officer-1"), recordedOn: today, confirmedByLocalAuthority: false),
            communeCode: "01234", by: officer)
        try queue.recordEligibility(
            EligibilityRecord(
                idNumber: b, eligibility: .ineligible(.mentalDisability), note: "MENTALCANARY",
                recordedBy: OperatorID("officer-1"), recordedOn: today, confirmedByLocalAuthority: true),
            communeCode: "01234", by: officer)
        var counts = try queue.eligibilityCounts()
        #expect(counts["01234"]?.notYetEligible == 1)
        #expect(counts["01234"]?.ineligible == 1)
        // a comes back from abroad and is registered-eligible: the latest record counts.
        try queue.recordEligibility(
            EligibilityRecord(
                idNumber: a, eligibility: .eligibleLevel2, note: "", recordedBy: OperatorID("officer-1"),
                recordedOn: today, confirmedByLocalAuthority: false),
            communeCode: "01234", by: officer)
        counts = try queue.eligibilityCounts()
        #expect(counts["01234"]?.notYetEligible == 0)
        #expect(try queue.eligibility(of: b)?.eligibility == .ineligible(.mentalDisability))
        #expect(try queue.eligibility(of: a)?.eligibility == .eligibleLevel2)
        #expect(try queue.eligibility(of: CitizenID("001199000003")!) == nil)
        try queue.checkpoint()
        let bytes = fileBytes(dir.database) + fileBytes(dir.database + "-wal")
        for needle in ["MENTALCANARY", "mentalDisability", "001199000002", "Hàn Quốc"] {
            #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(needle) in clear")
        }
        #expect(try queue.verifyAudit().entries == 3)
    }
}
