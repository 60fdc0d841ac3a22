import Foundation
import Intake
import Messages
import Testing

@Suite struct IntakeSessionTests {
    static let id = ApplicationID(UUID(uuidString: "7D444840-9DC0-11D1-B245-5FFDCE74FAD2")!)
    static let card = IntakeSession.CardRead(
        identity: validApplication().identity, authenticity: .genuine,
        chipPortrait: syntheticJPEG(width: 240, height: 320))
    static let portrait = try! LivePortrait(jpeg: syntheticJPEG(width: 480, height: 640))
    static let problem = IntakeError(.phoneMissing, Message(.intakePhoneMissing))

    static func newSession() -> IntakeSession {
        IntakeSession(
            operatorID: OperatorID("officer-7"),
            point: RegistrationPoint(communeCode: "03127", kind: .mobile, placeName: "Trường THPT"))
    }

    /// Named starting states, each reached by driving a fresh session.
    static let fixtures: [(String, [IntakeSession.Event])] = [
        ("idle", []),
        ("cardRead", [.cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0))]),
        ("bio0", [.cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .startBiometrics]),
        (
            "bioP",
            [
                .cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .startBiometrics,
                .portraitCaptured(portrait),
            ]
        ),
        (
            "reviewNew",
            [
                .cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .startBiometrics,
                .portraitCaptured(portrait), .finishBiometrics,
            ]
        ),
        (
            "reviewOK",
            [
                .cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .startBiometrics,
                .portraitCaptured(portrait), .finishBiometrics, .validated(revision: 1, errors: []),
            ]
        ),
        (
            "reviewErr",
            [
                .cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .startBiometrics,
                .portraitCaptured(portrait), .finishBiometrics, .validated(revision: 1, errors: [problem]),
            ]
        ),
        (
            "persisting",
            [
                .cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .startBiometrics,
                .portraitCaptured(portrait), .finishBiometrics, .validated(revision: 1, errors: []), .confirm,
            ]
        ),
        (
            "committed",
            [
                .cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .startBiometrics,
                .portraitCaptured(portrait), .finishBiometrics, .validated(revision: 1, errors: []), .confirm,
                .persisted(id),
            ]
        ),
        ("abandoned", [.cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .cancel]),
        ("paused", [.cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .cardRemoved]),
    ]

    static let events: [(String, IntakeSession.Event)] = [
        ("cardRead", .cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0))),
        ("startBiometrics", .startBiometrics),
        ("portraitCaptured", .portraitCaptured(portrait)),
        ("fingerprintCaptured", .fingerprintCaptured(capture(.rightIndex))),
        ("detailsEntered", .detailsEntered(IntakeSession.Details(bundle: .twoInOne))),
        ("finishBiometrics", .finishBiometrics),
        ("recapture", .recapture),
        ("validated", .validated(revision: 1, errors: [])),
        ("confirm", .confirm),
        ("persisted", .persisted(id)),
        ("persistFailed", .persistFailed(code: "queue.disk_full")),
        ("cardRemoved", .cardRemoved),
        ("deviceFault", .deviceFault),
        ("clientGone", .clientGone),
        ("cancel", .cancel),
        ("reset", .reset),
        ("screened", .screened([problem])),
        ("fingerException", .fingerException(.leftThumb, .injury, approval: supervisor)),
        ("confirmReadBack", .confirmReadBack(revision: 1)),
        ("refusalRecorded", .refusalRecorded),
    ]

    static let supervisor = SupervisorOverride(supervisor: OperatorID("supervisor-1"), reason: "bandaged thumb")

    static let abandoning = ["cardRemoved", "deviceFault", "clientGone", "cancel"]

    /// Every outcome that is not "refused, state unchanged", written out by hand: "state|event" → "next|actions".
    static let expected: [String: String] = {
        var table: [String: String] = ["idle|cardRead": "cardRead|screen"]
        for event in abandoning { table["idle|\(event)"] = "idle|" }
        table["cardRead|startBiometrics"] = "biometrics|armScanners"
        table["cardRead|detailsEntered"] = "cardRead|"
        table["cardRead|cardRead"] = "cardRead|"  // the same card read again
        table["cardRead|screened"] = "turnedAway|releaseDevices"
        table["bio0|cardRead"] = "biometrics|"
        table["bioP|cardRead"] = "biometrics|"
        for state in ["bio0", "bioP"] {
            table["\(state)|portraitCaptured"] = "biometrics|"
            table["\(state)|fingerprintCaptured"] = "biometrics|"
            table["\(state)|detailsEntered"] = "biometrics|"
            table["\(state)|fingerException"] = "biometrics|"
            table["\(state)|screened"] = "biometrics|"
        }
        table["bio0|finishBiometrics"] = "biometrics|refuse:portraitMissing"
        table["bioP|finishBiometrics"] = "review|validate"
        for state in ["reviewNew", "reviewOK", "reviewErr"] {
            table["\(state)|recapture"] = "biometrics|armScanners"
            table["\(state)|detailsEntered"] = "review|validate"
            table["\(state)|validated"] = "review|"
            // Redo one step from the review: the card, the portrait, a finger; each validates again.
            for event in ["cardRead", "portraitCaptured", "fingerprintCaptured", "fingerException"] {
                table["\(state)|\(event)"] = "review|validate"
            }
            table["\(state)|screened"] = "review|"
        }
        table["reviewNew|confirmReadBack"] = "review|refuse:notValidated"
        table["reviewOK|confirmReadBack"] = "review.persisting|persist"
        table["reviewErr|confirmReadBack"] = "review|refuse:validationFailed"
        table["persisting|screened"] = "review.persisting|"
        table["reviewNew|confirm"] = "review|refuse:notValidated"
        table["reviewOK|confirm"] = "review.persisting|persist"
        table["reviewErr|confirm"] = "review|refuse:validationFailed"
        for state in ["cardRead", "bio0", "bioP", "reviewNew", "reviewOK", "reviewErr", "paused"] {
            for event in abandoning { table["\(state)|\(event)"] = "abandoned|releaseDevices" }
            // A pulled card pauses the session and says so at once.
            table["\(state)|cardRemoved"] = "paused|tell:cardPulled"
        }
        table["paused|cardRemoved"] = "paused|"
        table["paused|cardRead"] = "cardRead|"  // put back: resumes where it was
        table["paused|screened"] = "paused|"
        table["persisting|persisted"] = "committed|releaseDevices"
        table["persisting|persistFailed"] = "review|reportPersistFailure"
        for event in ["cardRemoved", "deviceFault", "clientGone"] {
            table["persisting|\(event)"] = "review.persisting|"
            table["committed|\(event)"] = "committed|"
            table["abandoned|\(event)"] = "abandoned|"
        }
        table["committed|reset"] = "idle|"
        table["abandoned|reset"] = "idle|"
        // The refusal is in the eligibility list: the session ends, whatever was collected is dropped.
        for state in ["cardRead", "bio0", "bioP", "reviewNew", "reviewOK", "reviewErr", "paused"] {
            table["\(state)|refusalRecorded"] = "abandoned|releaseDevices"
        }
        return table
    }()

    static func describe(_ actions: [IntakeSession.Action]) -> String {
        actions.map { action -> String in
            switch action {
            case .armScanners: "armScanners"
            case .validate: "validate"
            case .persist: "persist"
            case .releaseDevices: "releaseDevices"
            case .refuse(let refusal): "refuse:\(refusal.rawValue)"
            case .reportPersistFailure: "reportPersistFailure"
            case .screen: "screen"
            case .tell(let notice): "tell:\(notice.rawValue)"
            }
        }.joined(separator: ",")
    }

    @Test func everyStateAndEvent() {
        var checked = 0
        for (stateName, path) in Self.fixtures {
            for (eventName, event) in Self.events {
                var session = Self.newSession()
                for step in path { _ = session.handle(step) }
                let before = session.state
                let actions = session.handle(event)
                let outcome = "\(session.state.name)|\(Self.describe(actions))"
                if let expected = Self.expected["\(stateName)|\(eventName)"] {
                    #expect(outcome == expected, "\(stateName) + \(eventName)")
                } else {
                    #expect(outcome == "\(before.name)|refuse:notInThisState", "\(stateName) + \(eventName)")
                    #expect(session.state == before, "a refused event changed the state")
                }
                checked += 1
            }
        }
        #expect(checked == Self.fixtures.count * Self.events.count)
    }

    @Test func persistCarriesTheCollectedApplication() throws {
        var session = Self.newSession()
        let phone = try PhoneNumber(parsing: "0987654321")
        _ = session.handle(.cardRead(Self.card, applicationID: Self.id, at: Date(timeIntervalSince1970: 42)))
        _ = session.handle(.detailsEntered(.init(phone: phone, bundle: .twoInOne, priorityGroup: .students)))
        _ = session.handle(.startBiometrics)
        _ = session.handle(.fingerprintCaptured(capture(.rightIndex, quality: 30)))
        _ = session.handle(.fingerprintCaptured(capture(.rightIndex, quality: 90)))  // retake replaces
        _ = session.handle(.fingerprintCaptured(capture(.leftIndex)))
        _ = session.handle(.portraitCaptured(Self.portrait))
        let validate = session.handle(.finishBiometrics)
        guard case .validate(let application, let revision) = validate.first else {
            Issue.record("expected validate")
            return
        }
        #expect(ValidationPolicy().rules.check(application, in: context()).isEmpty)
        _ = session.handle(.validated(revision: revision, errors: []))
        guard case .persist(let stored) = session.handle(.confirm).first else {
            Issue.record("expected persist")
            return
        }
        #expect(stored.id == Self.id)
        #expect(stored.phone == phone)
        #expect(stored.bundle == .twoInOne)
        #expect(stored.priorityGroup == .students)
        #expect(stored.fingerprints.map(\.quality) == [90, 80])
        #expect(stored.operatorID == OperatorID("officer-7"))
        #expect(stored.capturedAt == Date(timeIntervalSince1970: 42))
    }

    @Test func staleValidationIsIgnored() {
        var session = Self.newSession()
        for step in Self.fixtures[4].1 { _ = session.handle(step) }  // reviewNew, revision 1
        let actions = session.handle(.detailsEntered(.init(bundle: .twoInOne)))  // revision 2
        guard case .validate(_, let revision) = actions.first else {
            Issue.record("expected validate")
            return
        }
        #expect(revision == 2)
        _ = session.handle(.validated(revision: 1, errors: []))  // old answer
        #expect(Self.describe(session.handle(.confirm)) == "refuse:notValidated")
        _ = session.handle(.validated(revision: 2, errors: []))
        #expect(Self.describe(session.handle(.confirm)) == "persist")
        // An answer for another application is refused.
        #expect(Self.describe(session.handle(.persisted(ApplicationID()))) == "refuse:notInThisState")
        #expect(session.state.name == "review.persisting")
    }

    /// Random event sequences: `persist` only after a clean validation, abandonment never with a commit in
    /// flight, and devices released on every way out.
    @Test func randomSequencesKeepTheInvariants() {
        let iterations = Int(ProcessInfo.processInfo.environment["STATION_FUZZ_ITERATIONS"] ?? "") ?? 3_000
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<iterations {
            var session = Self.newSession()
            var inFlight = false
            for _ in 0..<30 {
                var (_, event) = Self.events.randomElement(using: &generator)!
                if case .validated = event, case .review(_, let review) = session.state {
                    event = .validated(revision: review.revision, errors: Bool.random() ? [] : [Self.problem])
                }
                let before = session.state
                let actions = session.handle(event)
                if actions.contains(where: { if case .persist = $0 { true } else { false } }) {
                    guard case .review(_, let review) = before else {
                        Issue.record("persist outside review")
                        return
                    }
                    #expect(review.errors == [])
                    inFlight = true
                }
                if case .abandoned = session.state, before.name != "abandoned" {
                    #expect(!inFlight, "abandoned with a commit in flight")
                    #expect(Self.describe(actions) == "releaseDevices")
                }
                if case .committed = session.state, before.name != "committed" {
                    #expect(inFlight)
                    #expect(Self.describe(actions) == "releaseDevices")
                }
                if case .persisted = event { inFlight = false }
                if case .persistFailed = event { inFlight = false }
            }
        }
    }

    /// Drives a fresh session through `events`.
    static func session(_ events: [IntakeSession.Event]) -> IntakeSession {
        var session = newSession()
        for event in events { _ = session.handle(event) }
        return session
    }

    static let review: [IntakeSession.Event] = [
        .cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .startBiometrics,
        .fingerprintCaptured(capture(.rightIndex)), .fingerprintCaptured(capture(.leftIndex)),
        .portraitCaptured(portrait), .finishBiometrics, .validated(revision: 1, errors: []),
    ]

    @Test func aPulledCardPausesAndThePutBackCardResumesWithEverythingKept() throws {
        var session = Self.session(Self.review)
        #expect(Self.describe(session.handle(.cardRemoved)) == "tell:cardPulled")
        #expect(session.state.name == "paused")
        #expect(IntakeSession.Notice.cardPulled.message.text(.vietnamese).hasPrefix("Thẻ đã bị rút ra"))
        // Another citizen's card is not taken; the session stays paused.
        var other = Self.card
        other.identity.idNumber = CitizenID("001099054321")!
        #expect(
            Self.describe(session.handle(.cardRead(other, applicationID: ApplicationID(), at: Date())))
                == "tell:otherCard")
        #expect(session.state.name == "paused")
        // The same card: back in review with fingers and portrait, validated afresh (revision 2).
        let actions = session.handle(.cardRead(Self.card, applicationID: ApplicationID(), at: Date()))
        guard case .validate(let application, 2) = actions.first else {
            Issue.record("expected validate of revision 2: \(actions)")
            return
        }
        #expect(application.id == Self.id)
        #expect(application.fingerprints.count == 2)
        #expect(session.readBack?.revision == 2)
    }

    @Test func oneFingerRetakenFromTheReviewKeepsTheRest() {
        var session = Self.session(Self.review)
        let actions = session.handle(.fingerprintCaptured(capture(.leftIndex, quality: 95)))
        guard case .validate(let application, 2) = actions.first else {
            Issue.record("expected validate")
            return
        }
        #expect(application.fingerprints.map(\.quality).sorted { ($0 ?? 0) < ($1 ?? 0) } == [80, 95])
        #expect(application.livePortrait == Self.portrait)
    }

    @Test func aFingerExceptionNeedsASupervisorAndAReason() {
        var session = Self.session(Array(Self.review.prefix(3)))  // biometrics
        #expect(
            Self.describe(session.handle(.fingerException(.leftIndex, .injury, approval: nil)))
                == "tell:exceptionNeedsSupervisor")
        let blank = SupervisorOverride(supervisor: OperatorID("supervisor-1"), reason: "  ")
        #expect(
            Self.describe(session.handle(.fingerException(.leftIndex, .injury, approval: blank)))
                == "tell:exceptionNeedsSupervisor")
        // The exception outcome cannot be slipped in as a capture either.
        #expect(
            Self.describe(
                session.handle(
                    .fingerprintCaptured(FingerprintCapture(position: .leftIndex, outcome: .exception(.injury)))))
                == "tell:exceptionNeedsSupervisor")
        #expect(Self.describe(session.handle(.fingerException(.leftIndex, .injury, approval: Self.supervisor))) == "")
        guard case .biometrics(let draft) = session.state else {
            Issue.record("expected biometrics")
            return
        }
        #expect(draft.exceptionApprovals[.leftIndex] == Self.supervisor)
        #expect(draft.fingerprints.contains { $0.position == .leftIndex && $0.quality == nil })
    }

    @Test func theReadBackIsConfirmedOnlyForTheRevisionTheCitizenHeard() throws {
        var session = Self.session(Self.review)
        let phone = try PhoneNumber(parsing: "0987654321")
        let readBack = try #require(session.readBack)
        #expect(readBack.revision == 1 && readBack.validated)
        #expect(readBack.fullName == "LÊ THỊ HOA")
        #expect(readBack.maskedIDNumber == "*********345")
        #expect(readBack.fingers.map(\.position) == [.rightIndex, .leftIndex])
        #expect(readBack.portraitPresent && readBack.communeCode == "03127")
        // The phone is corrected after the read-back: the old read-back is stale.
        _ = session.handle(.detailsEntered(.init(phone: phone)))
        _ = session.handle(.validated(revision: 2, errors: []))
        #expect(Self.describe(session.handle(.confirmReadBack(revision: 1))) == "tell:readBackStale")
        #expect(session.readBack?.phone == "0987654321")
        #expect(Self.describe(session.handle(.confirmReadBack(revision: 2))) == "persist")
    }

    @Test func anEarlyRefusalEndsTheSessionBeforeAnyCapture() {
        var session = Self.session([.cardRead(Self.card, applicationID: Self.id, at: Date())])
        let underAge = IntakeError(.underAge, Message(.intakeUnderAge, ["age": "14", "date": "2027-02-10"]))
        #expect(Self.describe(session.handle(.screened([underAge]))) == "releaseDevices")
        guard case .turnedAway(let reasons, _) = session.state else {
            Issue.record("expected turnedAway")
            return
        }
        #expect(reasons.map(\.code) == [.underAge])
        #expect(Self.describe(session.handle(.startBiometrics)) == "refuse:notInThisState")
        _ = session.handle(.reset)
        #expect(session.state == .idle)
    }

    @Test func aRefusalIsRecordedForTheCardReadWithNothingElse() throws {
        // Turned away at screening: the card read stays in the machine for the officer's record.
        var turned = Self.session([.cardRead(Self.card, applicationID: Self.id, at: Date())])
        _ = turned.handle(.screened([Self.problem]))
        let night = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28 20:26 UTC: 29 May in Hà Nội
        let record = try #require(
            turned.refusal(.notYetEligible(.under14), note: " em nhỏ ", confirmed: false, at: night))
        #expect(record.idNumber == Self.card.identity.idNumber)
        #expect(record.eligibility == .notYetEligible(.under14))
        #expect(record.note == "em nhỏ")
        #expect(record.recordedBy == OperatorID("officer-7"))
        #expect(record.recordedOn == CalendarDate(iso: "2026-05-29"))
        #expect(record.fullName == Self.card.identity.fullName, "the door-to-door list names the citizen")
        #expect(record.isComplete)
        #expect(Self.describe(turned.handle(.refusalRecorded)) == "releaseDevices")
        #expect(turned.state == .abandoned(.refusalRecorded))
        #expect(turned.refusal(.notYetEligible(.noPhone), note: "", confirmed: false, at: night) == nil)

        // Mid-way (the citizen has no phone after all): an ineligible reason waits for the local authority.
        var midway = Self.session(Self.review)
        let ineligible = try #require(midway.refusal(.ineligible(.illness), note: "", confirmed: false, at: night))
        #expect(!ineligible.isComplete)
        #expect(midway.refusal(.eligibleLevel2, note: "", confirmed: false, at: night) == nil)
        _ = midway.handle(.refusalRecorded)
        #expect(midway.state == .abandoned(.refusalRecorded))
        #expect(Self.newSession().refusal(.notYetEligible(.noPhone), note: "", confirmed: false, at: night) == nil)
        #expect(EligibilityClass(refusalReason: "noCivilCapacity") == .ineligible(.noCivilCapacity))
        #expect(EligibilityClass(refusalReason: "under14") == .notYetEligible(.under14))
        #expect(EligibilityClass(refusalReason: "eligibleLevel2") == nil)
    }
}
