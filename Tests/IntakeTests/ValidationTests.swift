import Foundation
import Intake
import Testing

@Suite struct ValidationTests {
    let rules = ValidationPolicy().rules

    func codes(_ application: Application, _ context: ValidationContext = context()) -> [IntakeError.Code] {
        rules.check(application, in: context).map(\.code)
    }

    @Test func aCompleteApplicationPasses() {
        #expect(codes(validApplication()) == [])
    }

    @Test func the14thBirthdayExactlyIsOldEnough() {
        let born = date("2012-11-23")
        #expect(codes(validApplication(born: born), context(today: "2026-11-22")) == [.underAge])
        #expect(codes(validApplication(born: born), context(today: "2026-11-23")) == [])
        // Born on 29 February: 14 on 1 March in a common year.
        let leap = date("2012-02-29")
        #expect(codes(validApplication(born: leap), context(today: "2026-02-28")) == [.underAge])
        #expect(codes(validApplication(born: leap), context(today: "2026-03-01")) == [])
    }

    @Test func aCardExpiringTodayIsStillValid() {
        #expect(codes(validApplication(expiry: date("2026-11-23"))) == [])
        #expect(codes(validApplication(expiry: date("2026-11-22"))) == [.cardExpired])
        #expect(codes(validApplication(expiry: nil)) == [])  // no validity limit (over 60)
    }

    @Test func authenticityVerdictsAndOverridesUnderTheStandardPolicy() {
        let reason = SupervisorOverride(supervisor: OperatorID("sup-1"), reason: "CSCA list not yet updated")
        for verdict in AuthenticityVerdict.allCases {
            var application = validApplication(authenticity: verdict)
            let plain = codes(application)
            application.authenticityOverride = reason
            let overridden = codes(application)
            switch verdict {
            case .genuine, .verifiedOffline:
                #expect(plain == [] && overridden == [], "\(verdict)")
            case .unconfirmed, .untrustedSigner:
                #expect(plain == [.authenticityNeedsOverride], "\(verdict)")
                #expect(overridden == [], "\(verdict)")
            case .hashMismatch, .clone, .chainInvalid, .notChecked:
                #expect(plain == [.authenticityRefused], "\(verdict)")
                #expect(overridden == [.authenticityRefused], "\(verdict)")
            case .noCard:
                // No chip to prove: the typed identity's own rule judges it (here a chip card's number and bundle).
                #expect(plain == [.idNumberStructure, .noCardBundle] && overridden == plain, "\(plain)")
            }
        }
        var blank = validApplication(authenticity: .unconfirmed)
        blank.authenticityOverride = SupervisorOverride(supervisor: OperatorID("sup-1"), reason: "  ")
        #expect(codes(blank) == [.overrideWithoutReason])
    }

    @Test func aConfiguredPolicyDecidesWhoAccepts() throws {
        let strict = try AuthenticityPolicy(
            operatorCommits: [.genuine], supervisorOverrides: [.verifiedOffline, .notChecked],
            healthAccepts: [.genuine])
        let rules = ValidationPolicy(authenticity: strict).rules
        #expect(
            rules.check(validApplication(authenticity: .verifiedOffline), in: context()).map(\.code)
                == [.authenticityNeedsOverride])
        var notChecked = validApplication(authenticity: .notChecked)
        notChecked.authenticityOverride = SupervisorOverride(supervisor: OperatorID("s"), reason: "reader fault")
        #expect(rules.check(notChecked, in: context()).isEmpty)
        var unconfirmed = validApplication(authenticity: .unconfirmed)
        unconfirmed.authenticityOverride = SupervisorOverride(supervisor: OperatorID("s"), reason: "r")
        #expect(rules.check(unconfirmed, in: context()).map(\.code) == [.authenticityRefused])
    }

    @Test func phoneIsRequired() {
        var application = validApplication()
        application.phone = nil
        #expect(codes(application) == [.phoneMissing])
        // A number valid when entered but whose prefix a newer plan withdrew.
        var plan = MobilePrefixPlan.current
        plan.prefixes.remove("098")
        #expect(PhoneRule(plan: plan).check(validApplication(), in: context()).map(\.code) == [.phoneUnknownPrefix])
    }

    @Test func fingerprintsRequiredWithQualityOrException() {
        var application = validApplication()
        application.fingerprints = [capture(.rightIndex)]
        #expect(codes(application) == [.fingerprintMissing])
        application.fingerprints = [capture(.rightIndex), capture(.leftIndex, quality: 39)]
        #expect(codes(application) == [.fingerprintLowQuality])
        application.fingerprints = [capture(.rightIndex), capture(.leftIndex, quality: 40)]
        #expect(codes(application) == [])
        // A retake with better quality counts.
        application.fingerprints = [capture(.rightIndex), capture(.leftIndex, quality: 20), capture(.leftIndex)]
        #expect(codes(application) == [])
        for reason in FingerException.allCases {
            application.fingerprints = [
                capture(.rightIndex), FingerprintCapture(position: .leftIndex, outcome: .exception(reason)),
            ]
            #expect(codes(application) == [], "\(reason)")
        }
        application.fingerprints = [capture(.rightIndex), capture(.leftIndex, bytes: 0)]
        #expect(codes(application) == [.fingerprintEmptyRecord])
        // Other fingers do not stand in for a required one.
        application.fingerprints = [capture(.rightIndex), capture(.leftThumb)]
        #expect(codes(application) == [.fingerprintMissing])
        application.fingerprints = []
        #expect(codes(application) == [.fingerprintMissing, .fingerprintMissing])
    }

    @Test func duplicatesAndWhatLiftsThem() {
        let application = validApplication()
        #expect(codes(application, context(priors: [.pending])) == [.duplicate])
        #expect(codes(application, context(priors: [.accepted])) == [.duplicate])
        #expect(codes(application, context(priors: [.rejected])) == [])
        #expect(codes(application, context(priors: [.cancelled])) == [])
        #expect(codes(application, context(priors: [.rejected, .cancelled, .rejected])) == [])
        #expect(codes(application, context(priors: [.rejected, .pending])) == [.duplicate])
        let failing = ValidationContext(
            today: date("2026-11-23"), priorApplications: FakePriors(statuses: [], fails: true))
        #expect(codes(application, failing) == [.duplicate])
        let offline = ValidationContext(today: date("2026-11-23"), priorApplications: nil)
        #expect(codes(application, offline) == [])
    }

    /// The refusal names the application already taken, by the reference on its receipt, and what became of it, so
    /// the officer can tell the citizen and look it up (`stationctl queue show REF`).
    @Test func aDuplicateNamesTheExistingApplicationsReferenceAndState() throws {
        let reference = try ShortReference.parse("K7M2-QX4G")
        let pending = ValidationContext(
            today: date("2026-11-23"),
            priorApplications: FakePriors(records: [PriorApplication(.rejected), PriorApplication(.pending, reference)])
        )
        let refusal = try #require(rules.check(validApplication(), in: pending).first { $0.code == .duplicate })
        #expect(refusal.message.text(.vietnamese).contains("K7M2-QX4G"))
        #expect(refusal.message.text(.vietnamese).contains("đang chờ trung tâm xét duyệt"))
        #expect(refusal.message.text(.english).contains("K7M2-QX4G"))
        #expect(refusal.message.text(.english).contains("waiting for the central's decision"))
        let accepted = ValidationContext(
            today: date("2026-11-23"), priorApplications: FakePriors(records: [PriorApplication(.accepted, reference)]))
        let approved = try #require(rules.check(validApplication(), in: accepted).first { $0.code == .duplicate })
        #expect(approved.message.text(.vietnamese).contains("K7M2-QX4G"))
        #expect(approved.message.text(.vietnamese).contains("đã được trung tâm duyệt"))
    }

    @Test func dataGroupConsistency() {
        var application = validApplication()
        application.identity.consistency = .mismatch
        #expect(codes(application) == [.dataGroupMismatch])
        application.identity.consistency = .notCompared
        #expect(codes(application) == [.dataGroupsNotCompared])
        #expect(ValidationPolicy(allowUncomparedDataGroups: true).rules.check(application, in: context()).isEmpty)
    }

    @Test func chipPortraitAndBundleDetails() {
        var application = validApplication()
        application.chipPortrait = Data()
        #expect(codes(application) == [.chipPortraitMissing])
        application = validApplication()
        application.bundle = .threeInOne(BankAccountRequest(bankBIN: "970436", accountConsent: true))
        #expect(codes(application) == [])
        application.bundle = .threeInOne(BankAccountRequest(bankBIN: "97043"))
        #expect(codes(application) == [.bundleDetails])
        application.bundle = .threeInOne(BankAccountRequest(bankBIN: "970436", existingAccountNumber: "12a456"))
        #expect(codes(application) == [.bundleDetails])
        application.bundle = .fourInOne(BankAccountRequest(bankBIN: "970436"), benefits: [])
        #expect(codes(application) == [.bundleDetails])
        application.bundle = .fourInOne(
            BankAccountRequest(
                bankBIN: "970436", existingAccountNumber: "0123456789", accountConsent: true, preferentialLoan: true),
            benefits: [.socialAllowance])
        #expect(codes(application) == [])
    }

    @Test func allProblemsAreReportedTogether() {
        var application = validApplication(born: date("2015-01-01"), expiry: date("2020-01-01"), authenticity: .clone)
        application.phone = nil
        application.fingerprints = []
        #expect(
            codes(application, context(priors: [.pending])) == [
                .underAge, .cardExpired, .authenticityRefused, .phoneMissing, .fingerprintMissing,
                .fingerprintMissing, .duplicate,
            ])
    }

    @Test func messagesAreBilingualAndFreeOfPersonalData() {
        var application = validApplication(born: date("2015-01-01"), expiry: date("2020-01-01"), authenticity: .clone)
        application.phone = nil
        application.fingerprints = [capture(.leftIndex, quality: 1)]
        application.identity.consistency = .mismatch
        application.chipPortrait = Data()
        application.bundle = .fourInOne(BankAccountRequest(bankBIN: "1"), benefits: [])
        let errors = rules.check(application, in: context(priors: [.pending]))
        #expect(errors.count >= 9)
        for error in errors {
            #expect(!error.vietnamese.isEmpty && !error.english.isEmpty)
            #expect(error.vietnamese != error.english)
            for text in [error.vietnamese, error.english, error.description] {
                #expect(!text.contains(goodCitizen.digits) && !text.contains("HOA") && !text.contains("2015"))
            }
        }
    }

    @Test func descriptionsNeverShowPersonalData() {
        let application = validApplication()
        for text in [
            "\(application)", String(reflecting: application), "\(application.identity)",
            String(reflecting: application.identity), "\(goodCitizen)",
        ] {
            #expect(!text.contains(goodCitizen.digits), "\(text)")
            #expect(!text.contains("HOA"))
            #expect(!text.contains("0987654321"))
        }
        var dumped = ""
        dump(application, to: &dumped)
        #expect(!dumped.contains(goodCitizen.digits) && !dumped.contains("HOA"))
    }

    @Test func eligibilityRecords() {
        let pending = EligibilityRecord(
            idNumber: goodCitizen, eligibility: .ineligible(.noCivilCapacity), note: "", recordedBy: OperatorID("o"),
            recordedOn: date("2026-11-23"), confirmedByLocalAuthority: false)
        #expect(!pending.isComplete)
        var confirmed = pending
        confirmed.confirmedByLocalAuthority = true
        #expect(confirmed.isComplete)
        let notYet = EligibilityRecord(
            idNumber: goodCitizen, eligibility: .notYetEligible(.minorWithoutPhonePermission), note: "",
            recordedBy: OperatorID("o"), recordedOn: date("2026-11-23"), confirmedByLocalAuthority: false)
        #expect(notYet.isComplete)
        #expect(!notYet.eligibility.canRegisterLevel2)
        #expect(EligibilityClass.eligibleLevel2.canRegisterLevel2)
        #expect(!"\(notYet)".contains(goodCitizen.digits))
    }

    @Test func studentCohort() {
        #expect(PriorityGroup.isStudentCohort(date("2005-01-01")))
        #expect(PriorityGroup.isStudentCohort(date("2009-12-31")))
        #expect(!PriorityGroup.isStudentCohort(date("2004-12-31")))
        #expect(!PriorityGroup.isStudentCohort(date("2010-01-01")))
    }
}
