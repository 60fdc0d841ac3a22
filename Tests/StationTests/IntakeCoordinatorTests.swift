import Biometrics
import ChipID
import ControlAPI
import Foundation
import Intake
import Logging
import Queue
import Simulation
import SmartCard
import StationTestKit
import Testing

@testable import Station

/// The intake coordinator in process: the chip seam is the simulated CCCD in memory (`DirectCardTransport`, no
/// pcscd), the fingerprint module the simulated one (chosen by configuration, as in the daemon), the store a real
/// SQLite file in a temporary folder. No daemon, no socket, no pcscd.
@Suite struct IntakeCoordinatorTests {
    /// Reads a simulated CCCD from memory: the same `ChipReader` as pcscd's path, over `DirectCardTransport`.
    struct InMemoryChips: ChipReading {
        let dataSet: URL
        let fault: EMRTDFault?
        /// Counts reads, to prove that a refused step never reached the chip.
        let reads = Counter()

        func read(_ request: ChipReadRequest) async throws -> ChipRead {
            reads.increment()
            let parts = try SimulatedCCCD.make(
                dataSet: dataSet, pkiDirectory: IntakeCoordinatorTests.cards.appendingPathComponent("pki"), fault: fault
            )
            var reader = ChipReader(transport: DirectCardTransport(card: parts.card))
            if let files = request.files { reader.files = files }
            reader.authentication = request.authentication
            return try await reader.read(key: request.key)
        }
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let cards = root.appendingPathComponent("Devices/cards")

    struct Rig {
        let coordinator: IntakeCoordinator
        let chips: InMemoryChips
        let store: StoreGateway
        let directory: URL
        /// Two live objects stand for two control connections (their identities must differ while both live).
        let connections = (Counter(), Counter())
        var owner: IntakeOwner { .connection(ObjectIdentifier(connections.0)) }
        var other: IntakeOwner { .connection(ObjectIdentifier(connections.1)) }
        let set: CitizenDataSet
    }

    /// A coordinator over the in-memory card `name`, the simulated scanner and a new store; `trusted` installs
    /// the test CSCA (verdict `genuine`), else the chain is unknown (`verifiedOffline`).
    func rig(
        card name: String = "nguyen-van-an.json", dataSet: URL? = nil, trusted: Bool = true,
        fault: EMRTDFault? = nil, authenticity: AuthenticityPolicy = .standard
    ) throws -> Rig {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "intake-coordinator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: directory.appendingPathComponent("queue.sqlite").path,
                keyFilePath: directory.appendingPathComponent("queue.key").path, minimumFreeBytes: 1 << 20))
        let store = StoreGateway(queue: queue)
        let scanner = try FingerprintStation(
            configuration: BiometricsConfiguration(simulator: [.good, .good, .good, .good], useUSB: false))
        let devices = DeviceState()
        devices.setPCSC(true)
        devices.addReader("Simulated Reader 0")
        devices.card(in: "Simulated Reader 0", atr: "3B80")
        let trust =
            trusted
            ? try CSCATrustList.load(folder: Self.cards.appendingPathComponent("pki/trust")) : CSCATrustList()
        let dataSet = dataSet ?? Self.cards.appendingPathComponent(name)
        let chips = InMemoryChips(dataSet: dataSet, fault: fault)
        let coordinator = IntakeCoordinator(
            .init(
                store: store, fingerprints: FingerprintStationHandle(station: scanner), devices: devices,
                hub: EventHub(),
                point: RegistrationPoint(communeCode: "26734", kind: .fixed, placeName: "UBND xã"),
                policy: ValidationPolicy(authenticity: authenticity), chips: chips, cardTimeout: 5,
                trustList: trust, logger: Logger(label: "test")))
        return Rig(
            coordinator: coordinator, chips: chips, store: store, directory: directory,
            set: try CitizenDataSet.load(dataSet))
    }

    static let portrait = try! LivePortrait(jpeg: Data(SyntheticJPEG.make(width: 480, height: 640, totalSize: 20_000)))

    /// Card, two index fingers, portrait, phone: committed, exactly one row stored, the session remembered.
    @Test func aWholeIntakeCommitsOneRow() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        #expect(started.state == "idle")
        let read = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        #expect(read.state == "biometrics")
        #expect(read.authenticity == "genuine")
        #expect(read.maskedIDNumber?.hasSuffix(String(rig.set.idNumber.suffix(3))) == true)
        #expect(read.chipPortrait == "present")
        for finger in [Intake.FingerPosition.rightIndex, .leftIndex] {
            let after = try await coordinator.captureFinger(started.id, owner: rig.owner, finger: finger, scanner: nil)
            #expect(after.fingers.contains(finger.rawValue))
        }
        _ = try await coordinator.attachPortrait(started.id, owner: rig.owner, portrait: Self.portrait)
        _ = try await coordinator.setDetails(
            started.id, owner: rig.owner, details: IntakeSession.Details(phone: try PhoneNumber(parsing: "0912345678")))
        let committed = try await coordinator.commit(started.id, owner: rig.owner)
        #expect(committed.state == "committed")
        let id = try #require(committed.applicationID)
        #expect(try await coordinator.get(started.id).state == "committed")
        let total = try await rig.store.run { try $0.summary().total }
        #expect(total == 1)
        #expect(id.count == 36)
        #expect(await coordinator.summary.active == false)
    }

    /// Another client is told the session is busy; the owner's steps are refused in the wrong state without
    /// touching the card.
    @Test func onlyTheOwnerDrivesTheSession() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        await #expect(throws: IntakeFailure.busy) {
            _ = try await coordinator.start(owner: rig.other, pid: 2, uid: 1001, operatorID: "officer2")
        }
        await #expect(throws: IntakeFailure.busy) {
            _ = try await coordinator.readCard(
                started.id, owner: rig.other, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        }
        #expect(rig.chips.reads.count == 0)
        await #expect(throws: IntakeFailure.refused(.notInThisState)) {
            _ = try await coordinator.captureFinger(started.id, owner: rig.owner, finger: .rightIndex, scanner: nil)
        }
        await #expect(throws: IntakeFailure.noSession) {
            _ = try await coordinator.get("no-such-session")
        }
    }

    /// A wrong CAN is the chip's refusal (`chip.access_denied`), the session stays where it was and can read again.
    @Test func aWrongCANKeepsTheSession() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        let wrong = rig.set.can == "000000" ? "111111" : "000000"
        do {
            _ = try await coordinator.readCard(
                started.id, owner: rig.owner, key: try AccessKey.can(digits: wrong), reader: nil)
            Issue.record("a wrong CAN was accepted")
        } catch let error as ChipIDError {
            #expect(error.code == .accessDenied)
            #expect(APIError(chip: error).status == .forbidden)
        }
        #expect(try await coordinator.get(started.id).state == "idle")
        let read = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        #expect(read.state == "biometrics")
    }

    /// Without the CSCA the verdict is `verifiedOffline`: the default policy lets an operator commit it alone.
    @Test func verifiedOfflineCommitsWithoutOverride() async throws {
        let rig = try rig(trusted: false)
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        let read = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        #expect(read.authenticity == "verifiedOffline")
        try await completeBiometricsAndPhone(rig, started.id)
        #expect(try await coordinator.commit(started.id, owner: rig.owner).state == "committed")
        #expect(try await rig.store.run { try $0.summary().total } == 1)
    }

    /// A station whose policy lets operators commit only `genuine`: `verifiedOffline` is refused with the rule's
    /// code, nothing is stored, the session stays in review; a supervisor's reason makes it pass.
    @Test func aNarrowedPolicyNeedsTheOverride() async throws {
        let narrowed = try AuthenticityPolicy(
            operatorCommits: [.genuine], supervisorOverrides: [.verifiedOffline, .unconfirmed],
            healthAccepts: [.genuine])
        let rig = try rig(trusted: false, authenticity: narrowed)
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        _ = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        try await completeBiometricsAndPhone(rig, started.id)
        await #expect(throws: IntakeFailure.refused(.validationFailed)) {
            _ = try await coordinator.commit(started.id, owner: rig.owner)
        }
        let session = try await coordinator.get(started.id)
        #expect(session.state == "review")
        #expect(session.problems?.contains { $0.code == "intake.authenticity_needs_override" } == true)
        #expect(try await rig.store.run { try $0.summary().total } == 0)
        _ = try await coordinator.setDetails(
            started.id, owner: rig.owner,
            details: IntakeSession.Details(
                phone: try PhoneNumber(parsing: "0912345678"),
                authenticityOverride: SupervisorOverride(supervisor: OperatorID("sup"), reason: "no CSCA")))
        #expect(try await coordinator.commit(started.id, owner: rig.owner).state == "committed")
    }

    /// Both index fingers, the portrait and a phone number.
    func completeBiometricsAndPhone(_ rig: Rig, _ id: String) async throws {
        for finger in [Intake.FingerPosition.rightIndex, .leftIndex] {
            _ = try await rig.coordinator.captureFinger(id, owner: rig.owner, finger: finger, scanner: nil)
        }
        _ = try await rig.coordinator.attachPortrait(id, owner: rig.owner, portrait: Self.portrait)
        _ = try await rig.coordinator.setDetails(
            id, owner: rig.owner, details: IntakeSession.Details(phone: try PhoneNumber(parsing: "0912345678")))
    }

    /// The card pulled mid-session pauses it (the officer is told at once); nothing is stored; the same card read
    /// again resumes the fingers with what was taken kept.
    @Test func aPulledCardPausesAndResumes() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        let key = try AccessKey.can(digits: rig.set.can)
        _ = try await coordinator.readCard(started.id, owner: rig.owner, key: key, reader: "Simulated Reader 0")
        _ = try await coordinator.captureFinger(started.id, owner: rig.owner, finger: .rightIndex, scanner: nil)
        await coordinator.cardRemoved(from: "Simulated Reader 0")
        let paused = try await coordinator.get(started.id)
        #expect(paused.state == "paused")
        #expect(paused.resumeStep == "biometrics")
        #expect(paused.fingers == [Intake.FingerPosition.rightIndex.rawValue])
        await #expect(throws: IntakeFailure.refused(.notInThisState)) {
            _ = try await coordinator.captureFinger(started.id, owner: rig.owner, finger: .leftIndex, scanner: nil)
        }
        #expect(try await rig.store.run { try $0.summary().total } == 0)
        let resumed = try await coordinator.readCard(started.id, owner: rig.owner, key: key, reader: nil)
        #expect(resumed.state == "biometrics")
        #expect(resumed.fingers == [Intake.FingerPosition.rightIndex.rawValue])
    }

    /// A finger exception needs a supervisor's confirmation and reason: without one the session says so and keeps
    /// the finger open; with one it is recorded.
    @Test func aFingerExceptionNeedsASupervisor() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        _ = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        await #expect(throws: IntakeFailure.notice(.exceptionNeedsSupervisor)) {
            _ = try await coordinator.recordFingerException(
                started.id, owner: rig.owner, finger: .leftIndex, reason: .injury, approval: nil)
        }
        #expect(try await coordinator.get(started.id).fingers.isEmpty)
        let approved = try await coordinator.recordFingerException(
            started.id, owner: rig.owner, finger: .leftIndex, reason: .injury,
            approval: SupervisorOverride(supervisor: OperatorID("sup"), reason: "bandaged after an accident"))
        #expect(approved.fingers == [Intake.FingerPosition.leftIndex.rawValue])
        #expect(
            APIError(IntakeFailure.notice(.exceptionNeedsSupervisor)).code == "intake.notice.exceptionNeedsSupervisor")
    }

    /// The read-back: review shows the summary; a commit of an older revision than the one on screen is refused.
    @Test func theReadBackRevisionIsCommitted() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        _ = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        try await completeBiometricsAndPhone(rig, started.id)
        let review = try await coordinator.review(started.id, owner: rig.owner)
        let summary = try #require(review.readBack)
        #expect(summary.fullName == rig.set.fullName.precomposedStringWithCanonicalMapping)
        #expect(summary.fingers.map(\.position) == [2, 7])
        #expect(summary.portraitPresent && summary.phone == "0912345678")
        await #expect(throws: IntakeFailure.notice(.readBackStale)) {
            _ = try await coordinator.commit(started.id, owner: rig.owner, readBack: summary.revision - 1)
        }
        let committed = try await coordinator.commit(started.id, owner: rig.owner, readBack: summary.revision)
        #expect(committed.state == "committed")
    }

    /// An under-14 citizen is turned away right after the card read, before fingers: nothing stored, the reason
    /// given, the station free for the next citizen.
    @Test func anUnderAgeCitizenIsTurnedAwayAtOnce() async throws {
        let child = try Self.childDataSet()
        defer { try? FileManager.default.removeItem(at: child) }
        let rig = try rig(dataSet: child)
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        let read = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        #expect(read.state == "turnedAway")
        #expect(read.problems?.contains { $0.code == "intake.under_age" } == true, "\(read.problems ?? [])")
        #expect(await coordinator.summary.active == false)
        #expect(try await rig.store.run { try $0.summary().total } == 0)
    }

    /// The 14-year-old data set made ten years old (born ten years before today, Vietnam's calendar day).
    static func childDataSet() throws -> URL {
        var json = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.cards.appendingPathComponent("tran-minh-khoa-14.json")))
                as? [String: Any])
        let today = CalendarDate(vietnamDayOf: Date())
        json["dateOfBirth"] = String(format: "%04d-%02d-%02d", today.year - 10, today.month, min(today.day, 28))
        let child = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: json).write(to: child)
        return child
    }

    /// The turned-away citizen is put on the eligibility list by the officer in one step (only the owner, once);
    /// a refusal mid-way ends the session with nothing of the biometrics kept.
    @Test func aRefusalIsRecordedInTheEligibilityList() async throws {
        let child = try Self.childDataSet()
        defer { try? FileManager.default.removeItem(at: child) }
        let rig = try rig(dataSet: child)
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        _ = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        let key = try AccessKey.can(digits: rig.set.can)
        let read = try await coordinator.readCard(started.id, owner: rig.owner, key: key, reader: nil)
        #expect(read.state == "turnedAway")
        await #expect(throws: IntakeFailure.busy) {
            _ = try await coordinator.recordRefusal(
                started.id, owner: rig.other, eligibility: .notYetEligible(.under14), note: "", confirmed: false)
        }
        let recorded = try await coordinator.recordRefusal(
            started.id, owner: rig.owner, eligibility: .notYetEligible(.under14), note: "", confirmed: false)
        #expect(recorded.state == "abandoned" && recorded.abandonReason == "refusalRecorded")
        let citizen = try #require(CitizenID(rig.set.idNumber))
        let record = try #require(try await rig.store.run { try $0.eligibility(of: citizen) })
        #expect(record.eligibility == .notYetEligible(.under14) && record.recordedBy == OperatorID("officer1"))
        await #expect(throws: IntakeFailure.refused(.notInThisState)) {
            _ = try await coordinator.recordRefusal(
                started.id, owner: rig.owner, eligibility: .notYetEligible(.under14), note: "", confirmed: false)
        }

        // Mid-way: the adult has no phone after all. The session ends; no application is stored.
        let adult = try self.rig(card: "nguyen-van-an.json")
        let second = try await adult.coordinator.start(owner: adult.owner, pid: 1, uid: 1000, operatorID: "officer1")
        await #expect(throws: IntakeFailure.refusalNeedsCard) {
            _ = try await adult.coordinator.recordRefusal(
                second.id, owner: adult.owner, eligibility: .notYetEligible(.noPhone), note: "", confirmed: false)
        }
        _ = try await adult.coordinator.readCard(
            second.id, owner: adult.owner, key: try AccessKey.can(digits: adult.set.can), reader: nil)
        _ = try await adult.coordinator.captureFinger(second.id, owner: adult.owner, finger: .rightIndex, scanner: nil)
        let ended = try await adult.coordinator.recordRefusal(
            second.id, owner: adult.owner, eligibility: .notYetEligible(.noPhone), note: "ghi chú", confirmed: false)
        #expect(ended.state == "abandoned" && ended.abandonReason == "refusalRecorded")
        #expect(await adult.coordinator.summary.active == false)
        #expect(try await adult.store.run { try $0.summary().total } == 0)
        let noPhone = try await adult.store.run { try $0.eligibility(of: CitizenID(adult.set.idNumber)!) }
        #expect(noPhone?.eligibility == .notYetEligible(.noPhone) && noPhone?.note == "ghi chú")
    }

    /// The parsing moved to the routes: bad strings are refused there with the control API's codes.
    @Test func requestsAreParsedByTheRoutes() throws {
        #expect(throws: APIError.self) { _ = try IntakeRequests.accessKey(CardReadRequest()) }
        #expect(throws: APIError.self) { _ = try IntakeRequests.finger(FingerRequest(finger: 11)) }
        #expect(throws: APIError.self) {
            _ = try IntakeRequests.finger(FingerRequest(finger: 2, exception: "tired"))
        }
        let (finger, exception) = try IntakeRequests.finger(FingerRequest(finger: 7, exception: "injury"))
        #expect(finger == .leftIndex && exception == .injury)
        do {
            _ = try IntakeRequests.details(DetailsRequest(overrideReason: "x"), supervisor: nil)
            Issue.record("an operator's override was accepted")
        } catch {
            #expect(error.status == .forbidden)
        }
        do {
            _ = try IntakeRequests.details(DetailsRequest(phone: "12"), supervisor: nil)
            Issue.record("a bad phone was accepted")
        } catch {
            #expect(error.status == .unprocessableContent)
        }
        #expect(APIError(IntakeFailure.busy).code == ControlErrorCode.sessionBusy.rawValue)
        #expect(APIError(IntakeFailure.noCard).code == "smartcard.no_card")
        #expect(APIError.known(IntakeFailure.refused(.portraitMissing))?.code == "intake.refused.portraitMissing")
    }
}
