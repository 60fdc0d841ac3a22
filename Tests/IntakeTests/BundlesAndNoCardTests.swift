import Foundation
import Intake
import Testing

/// #19 item 6: every bundle (3-in-1 and 4-in-1 with a bank from the documented list and the citizen's consent),
/// every citizen (2-in-1 for a citizen without a chip card: the identity typed and checked), priority groups
/// suggested and never set.
@Suite struct BankListTests {
    @Test func theListHasUniqueSixDigitCodesAndNames() {
        let codes = BankDirectory.all.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { $0.count == 6 && $0.allSatisfy(\.isASCII) && Int($0) != nil })
        #expect(BankDirectory.all.allSatisfy { !$0.name.isEmpty && !$0.shortName.isEmpty })
        #expect(BankDirectory.bank(code: "970405")?.shortName == "Agribank")
        #expect(BankDirectory.bank(code: "999888")?.shortName == "VBSP")
        #expect(BankDirectory.bank(code: "970999") == nil)
    }

    @Test func aBankOutsideTheListOrWithoutConsentIsRefused() {
        var application = validApplication()
        application.bundle = .threeInOne(BankAccountRequest(bankBIN: "970999", accountConsent: true))
        let unknown = ValidationPolicy().rules.check(application, in: context())
        #expect(unknown.map(\.code) == [.bundleDetails])
        #expect(unknown.first?.vietnamese.contains("danh sách") == true)
        #expect(unknown.first?.english.contains("list") == true)
        application.bundle = .threeInOne(BankAccountRequest(bankBIN: "970405"))
        let noConsent = ValidationPolicy().rules.check(application, in: context())
        #expect(noConsent.map(\.code) == [.bundleDetails])
        #expect(noConsent.first?.vietnamese.contains("đồng ý") == true)
        application.bundle = .fourInOne(
            BankAccountRequest(bankBIN: "999888", accountConsent: true, preferentialLoan: true), benefits: [.pension])
        #expect(ValidationPolicy().rules.check(application, in: context()).isEmpty)
    }

    @Test func consentIsReadAsFalseFromApplicationsStoredBeforeIt() throws {
        let old = Data(#"{"bankBIN":"970405","preferentialLoan":false}"#.utf8)
        let request = try JSONDecoder().decode(BankAccountRequest.self, from: old)
        #expect(request.accountConsent == false && request.bankBIN == "970405")
    }
}

@Suite struct TypedIdentityTests {
    let today = date("2026-11-23")

    @Test func aConsistentTypedIdentityBecomesTheApplicationsIdentity() throws {
        let identity = try ChipIdentity.typed(
            idNumber: " 001307012345 ", fullName: "  Nguyễn   Thị Lan ", dateOfBirth: "2007-03-02", sex: "F",
            today: today)
        #expect(identity.idNumber.digits == "001307012345")
        #expect(identity.fullName == "NGUYỄN THỊ LAN")
        #expect(identity.dateOfBirth == date("2007-03-02") && identity.sex == .female)
        #expect(identity.expiry == nil && identity.consistency == .notCompared)
    }

    @Test func eachMistakeIsNamedInBothLanguages() {
        func code(_ id: String, _ name: String = "Lan", _ born: String = "2007-03-02", _ sex: String = "F")
            -> (IntakeError.Code?, String, String)
        {
            do {
                _ = try ChipIdentity.typed(idNumber: id, fullName: name, dateOfBirth: born, sex: sex, today: today)
                return (nil, "", "")
            } catch {
                return (error.code, error.vietnamese, error.english)
            }
        }
        #expect(code("00130701234").0 == .identityInvalid)
        #expect(code("00130701234").1.contains("12 chữ số"))
        #expect(code("001307012345", " ").0 == .identityInvalid)
        #expect(code("001307012345", "Lan", "2027-01-01").0 == .identityInvalid)
        #expect(code("001307012345", "Lan", "02/03/2007").0 == .identityInvalid)
        #expect(code("001307012345", "Lan", "2007-03-02", "X").0 == .identityInvalid)
        let province = code("003307012345")
        #expect(province.0 == .idNumberStructure)
        #expect(province.1.contains("mã tỉnh") && province.2.contains("province"))
        #expect(code("001107012345").0 == .idNumberStructure)
        #expect(code("001207012345").1.contains("giới tính"))
        #expect(code("001306012345").2.contains("year"))
        // Never the typed values in the messages.
        for text in [province.1, province.2] { #expect(!text.contains("003307012345") && !text.contains("Lan")) }
    }
}

@Suite struct NoCardApplicationTests {
    /// A 2-in-1 application for a citizen without a card: the identity typed, no chip, verdict `noCard`.
    /// LÊ THỊ HOA, female, born 1990 in Hà Nội: `001` `1` `90` ….
    func noCard(id: String = "001190012345", born: String = "1990-05-17", bundle: ServiceBundle = .twoInOne)
        -> Application
    {
        var application = validApplication(born: date(born), expiry: nil, authenticity: .noCard)
        application.identity.idNumber = CitizenID(id)!
        application.identity.consistency = .notCompared
        application.chipPortrait = Data()
        application.chipEvidence = nil
        application.bundle = bundle
        return application
    }

    @Test func aNoCardTwoInOnePassesWithoutChipPortraitOrDataGroups() {
        #expect(ValidationPolicy().rules.check(noCard(), in: context()).isEmpty)
        // Any operator commits it: the central matches it against the population database.
        #expect(AuthenticityPolicy.standard.decision(for: .noCard) == .operatorCommits)
        #expect(AuthenticityPolicy.verdicts("noCard") == nil)
    }

    @Test func aNoCardApplicationIsCheckedForTheBundleAndTheNumbersStructure() {
        #expect(ValidationPolicy().rules.check(noCard(bundle: .utility), in: context()).map(\.code) == [.noCardBundle])
        #expect(
            ValidationPolicy().rules.check(noCard(id: "001090012345"), in: context()).map(\.code)
                == [.idNumberStructure])
        // A chip application keeps its own rules.
        var chip = validApplication()
        chip.chipPortrait = Data()
        #expect(ValidationPolicy().rules.check(chip, in: context()).map(\.code) == [.chipPortraitMissing])
    }

    @Test func priorityGroupsAreSuggestedFromTheDateOfBirthAndTheMissingCard() {
        #expect(PriorityGroup.suggested(forDateOfBirth: date("1990-05-17"), withoutCard: true) == .withoutCCCD)
        #expect(PriorityGroup.suggested(forDateOfBirth: date("2007-05-17"), withoutCard: true) == .students)
        #expect(PriorityGroup.suggested(forDateOfBirth: date("1990-05-17"), withoutCard: false) == nil)
    }
}

@Suite struct NoCardSessionTests {
    let point = RegistrationPoint(communeCode: "26734", kind: .fixed, placeName: "UBND xã")

    @Test func aSessionWithoutACardGoesFromTheTypedIdentityToACommit() throws {
        var session = IntakeSession(operatorID: OperatorID("officer-1"), point: point)
        let identity = try ChipIdentity.typed(
            idNumber: "001307012345", fullName: "Nguyễn Thị Lan", dateOfBirth: "2007-03-02", sex: "F",
            today: date("2026-11-23"))
        let id = ApplicationID()
        let actions = session.handle(.identityTyped(identity, applicationID: id, at: Date()))
        guard case .screen(let input) = actions.first else {
            Issue.record("no screening: \(actions)")
            return
        }
        #expect(input.identity == identity)
        #expect(session.state.name == "cardRead")
        #expect(session.handle(.screened([])) == [])
        #expect(session.handle(.startBiometrics) == [.armScanners])
        // A no-card session is a CCCD application: 2-in-1 unless the officer says otherwise; the priority group is
        // suggested, never set.
        #expect(session.suggestedPriorityGroup == .students)
        _ = session.handle(.portraitCaptured(try LivePortrait(jpeg: syntheticJPEG(width: 480, height: 640))))
        _ = session.handle(.fingerprintCaptured(capture(.rightIndex)))
        _ = session.handle(.fingerprintCaptured(capture(.leftIndex)))
        let review = session.handle(.finishBiometrics)
        guard case .validate(let application, let revision) = review.first else {
            Issue.record("no validation: \(review)")
            return
        }
        #expect(application.authenticity == .noCard)
        #expect(application.bundle == .twoInOne)
        #expect(application.priorityGroup == nil)
        #expect(application.chipPortrait.isEmpty && application.chipEvidence == nil)
        #expect(session.readBack?.suggestedPriorityGroup == .students)
        #expect(session.readBack?.priorityGroup == nil)
        _ = session.handle(.validated(revision: revision, errors: []))
        guard case .persist(let stored) = session.handle(.confirm).first else {
            Issue.record("no persist")
            return
        }
        #expect(stored.identity.idNumber.digits == "001307012345")
        #expect(session.handle(.persisted(id)) == [.releaseDevices])
        #expect(session.state == .committed(id))
    }

    @Test func aMistypedIdentityIsRetypedFromTheFingersWithoutLosingThem() throws {
        var session = IntakeSession(operatorID: OperatorID("officer-1"), point: point)
        let first = try ChipIdentity.typed(
            idNumber: "001090012345", fullName: "Lê Văn Ba", dateOfBirth: "1990-01-01", sex: "M",
            today: date("2026-11-23"))
        _ = session.handle(.identityTyped(first, applicationID: ApplicationID(), at: Date()))
        _ = session.handle(.screened([]))
        _ = session.handle(.startBiometrics)
        _ = session.handle(.fingerprintCaptured(capture(.rightIndex)))
        var fixed = first
        fixed.fullName = "LÊ VĂN BA"
        #expect(session.handle(.identityTyped(fixed, applicationID: ApplicationID(), at: Date())) == [])
        #expect(session.state.name == "biometrics")
        guard case .biometrics(let draft) = session.state else { return }
        #expect(draft.card.identity.fullName == "LÊ VĂN BA" && draft.fingerprints.count == 1)
        // A chip card's identity is never replaced by typing.
        var chip = IntakeSession(operatorID: OperatorID("officer-1"), point: point)
        _ = chip.handle(
            .cardRead(
                IntakeSession.CardRead(identity: first, authenticity: .genuine, chipPortrait: Data([1])),
                applicationID: ApplicationID(), at: Date()))
        #expect(
            chip.handle(.identityTyped(fixed, applicationID: ApplicationID(), at: Date())) == [.refuse(.notInThisState)]
        )
    }
}
