import Foundation
import Intake
import Testing

@Suite struct IntakeSessionTests {
    static let id = ApplicationID(UUID(uuidString: "7D444840-9DC0-11D1-B245-5FFDCE74FAD2")!)
    static let card = IntakeSession.CardRead(
        identity: validApplication().identity, authenticity: .genuine,
        chipPortrait: syntheticJPEG(width: 240, height: 320))
    static let portrait = try! LivePortrait(jpeg: syntheticJPEG(width: 480, height: 640))
    static let problem = IntakeError(.phoneMissing, vi: "thiếu", en: "missing")

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
        ("abandoned", [.cardRead(card, applicationID: id, at: Date(timeIntervalSince1970: 0)), .cardRemoved]),
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
    ]

    static let abandoning = ["cardRemoved", "deviceFault", "clientGone", "cancel"]

    /// Every outcome that is not "refused, state unchanged", written out by hand: "state|event" → "next|actions".
    static let expected: [String: String] = {
        var table: [String: String] = ["idle|cardRead": "cardRead|"]
        for event in abandoning { table["idle|\(event)"] = "idle|" }
        table["cardRead|startBiometrics"] = "biometrics|armScanners"
        table["cardRead|detailsEntered"] = "cardRead|"
        for state in ["bio0", "bioP"] {
            table["\(state)|portraitCaptured"] = "biometrics|"
            table["\(state)|fingerprintCaptured"] = "biometrics|"
            table["\(state)|detailsEntered"] = "biometrics|"
        }
        table["bio0|finishBiometrics"] = "biometrics|refuse:portraitMissing"
        table["bioP|finishBiometrics"] = "review|validate"
        for state in ["reviewNew", "reviewOK", "reviewErr"] {
            table["\(state)|recapture"] = "biometrics|armScanners"
            table["\(state)|detailsEntered"] = "review|validate"
            table["\(state)|validated"] = "review|"
        }
        table["reviewNew|confirm"] = "review|refuse:notValidated"
        table["reviewOK|confirm"] = "review.persisting|persist"
        table["reviewErr|confirm"] = "review|refuse:validationFailed"
        for state in ["cardRead", "bio0", "bioP", "reviewNew", "reviewOK", "reviewErr"] {
            for event in abandoning { table["\(state)|\(event)"] = "abandoned|releaseDevices" }
        }
        table["persisting|persisted"] = "committed|releaseDevices"
        table["persisting|persistFailed"] = "review|reportPersistFailure"
        for event in ["cardRemoved", "deviceFault", "clientGone"] {
            table["persisting|\(event)"] = "review.persisting|"
            table["committed|\(event)"] = "committed|"
            table["abandoned|\(event)"] = "abandoned|"
        }
        table["committed|reset"] = "idle|"
        table["abandoned|reset"] = "idle|"
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
}
