import ChipID
import ControlAPI
import Foundation
import Intake
import Logging
import Messages
import Queue
import SmartCard

/// The health check-in desk's check (`POST /v1/verify`): open the card without typing when its CAN is known from
/// the QR code, read the minimum (EF.CardAccess, PACE, DG13, DG14, DG15, EF.SOD; DG2 only when asked or short of
/// `genuine`), decide `accept`/`refer` with the reason, join insurance, publish `patient.verified`.
///
/// DG1 only if the chip has no DG13 (`ChipReadRequest.dg1OnlyWithoutDG13`): DG13 carries the identity, and Passive
/// Authentication covers it. So the desk does not compare DG1 with DG13 (`details.dataGroups` is `notCompared`);
/// intake still reads both and compares them.
struct DeskVerification: Sendable {
    let core: StationCore
    let insurance: any InsuranceLookup
    let scanner: QRScannerFeed?
    /// Who asked (`StationRequestContext.callerName`: `client:NAME` for a token caller), for the audit line.
    var client = "unknown"

    /// The files of a desk check (EF.CardAccess is always read for PACE); DG1 only when DG13 is absent. DG13 first:
    /// it is read before Chip Authentication, the rest under its keys.
    static let files: [LDSFile] = [.dg(1), .dg(13), .dg(14), .dg(15), .sod]
    /// The same with the portrait.
    static let filesWithPortrait: [LDSFile] = [.dg(1), .dg(13), .dg(2), .dg(14), .dg(15), .sod]

    private static let logger = Logger(label: "station.desk")

    /// How the card was opened.
    enum Method: String, Sendable {
        case qr, qrScanner, can, mrz
    }

    /// Runs one check and records it: the day's tally by method and one audit line (a keyed hash of the ID number,
    /// time, verdict, client). A check whose card read failed after a QR code was given counts as `qrOnly`; other
    /// failures (no key, no card) are not check-ins.
    func verify(_ request: DeskVerifyRequest) async throws -> PatientVerification {
        do {
            let result = try await check(request)
            let typed = result.method == "can" || result.method == "mrz"
            let method: DeskCheckMethod = result.verdict != "accept" ? .refused : typed ? .typed : .chipVerified
            await record(idNumber: CitizenID(result.idNumber), method: method, verdict: result.verdict)
            return result
        } catch {
            if let qr = request.qr.flatMap({ try? CardQRCode(parsing: $0) }),
                !((error as? APIError)?.code.hasPrefix("qr.") ?? false)
            {
                await record(idNumber: qr.idNumber, method: .qrOnly, verdict: "qrOnly")
            }
            throw error
        }
    }

    private func record(idNumber: CitizenID?, method: DeskCheckMethod, verdict: String) async {
        let client = client
        do {
            try await core.store.run {
                try $0.recordDeskCheck(idNumber: idNumber, method: method, verdict: verdict, client: client)
            }
        } catch {
            Self.logger.error("desk check not recorded", metadata: ["code": "\(StoreGateway.code(of: error))"])
        }
    }

    private func check(_ request: DeskVerifyRequest) async throws -> PatientVerification {
        let started = ContinuousClock.now
        let (key, method, qr) = try Self.accessKey(request, scanner: scanner)
        if let named = request.reader, !core.devices.readers.contains(where: { $0.name == named }) {
            throw APIError(.notFound, code: ControlErrorCode.unknownReader, Message(.controlUnknownReader))
        }
        let reader = try await waitForCard(named: request.reader, seconds: min(max(request.waitSeconds ?? 0, 0), 60))
        let waited = Self.ms(since: started)
        let wantsPortrait = request.portrait ?? false
        let configuration = core.configuration
        let authentication = AuthenticationOptions(trustList: configuration.trustList)
        var read = try await CardReading.read(
            ChipReadRequest(
                reader: reader, key: key, files: wantsPortrait ? Self.filesWithPortrait : Self.files,
                authentication: authentication, timeout: configuration.cardTimeout, dg1OnlyWithoutDG13: true),
            with: core.chips)
        var portrait = read.card.chipPortrait
        if !wantsPortrait, read.card.authenticity != .genuine {
            // Short of genuine: the clerk compares the face, so read the portrait too (a second session).
            if let second = try? await CardReading.read(
                ChipReadRequest(
                    reader: reader, key: key, files: Self.filesWithPortrait, authentication: authentication,
                    timeout: configuration.cardTimeout, dg1OnlyWithoutDG13: true),
                with: core.chips)
            {
                portrait = second.card.chipPortrait
                read.portrait = second.portrait
            }
        }
        let cardDone = ContinuousClock.now
        let cardMs = Self.ms(since: started) - waited
        let identity = read.card.identity
        let today = CalendarDate(vietnamDayOf: Date())
        let expired = identity.expiry.map { $0 < today } ?? false
        let chip = read.desk
        let qrCheck = qr.map {
            QRCrossCheck(qr: $0, chip: identity, residence: chip.residence, issueDate: chip.issueDate)
        }
        let decision = DeskDecision(
            authenticity: read.card.authenticity, policy: configuration.policy.authenticity,
            consistency: identity.consistency, expired: expired,
            qrMismatch: qrCheck.map { !$0.consistent } ?? false)
        let insuranceStarted = ContinuousClock.now
        let cover = await insurance.lookup(
            InsuranceQuery(
                idNumber: identity.idNumber, fullName: identity.fullName, dateOfBirth: identity.dateOfBirth,
                sex: identity.sex))
        let insuranceMs = Self.ms(since: insuranceStarted)
        await recordCleansing(cover, identity: identity, today: today)
        let result = PatientVerification(
            idNumber: identity.idNumber.digits, maskedIDNumber: identity.idNumber.masked,
            fullName: identity.fullName,
            initials: identity.fullName.split(separator: " ").compactMap { $0.first.map { "\($0)." } }
                .joined(separator: " "),
            dateOfBirth: identity.dateOfBirth.iso, yearOfBirth: identity.dateOfBirth.year, sex: identity.sex.rawValue,
            residence: chip.residence, issueDate: chip.issueDate?.iso, expiryDate: identity.expiry?.iso,
            expired: expired, authenticity: read.card.authenticity.rawValue,
            authenticityDetails: .init(
                chainReason: read.chainReason?.rawValue, validityModel: read.validityModel?.rawValue,
                dataGroups: identity.consistency.rawValue, portrait: read.portrait.name),
            verdict: decision.accept ? "accept" : "refer", reason: decision.reason, method: method.rawValue,
            qrCheck: qr.flatMap { code in
                qrCheck.map {
                    QRCheckWire(
                        layout: code.layout.rawValue, consistent: $0.consistent, compared: $0.compared.map(\.rawValue),
                        mismatches: $0.mismatches.map(\.rawValue))
                }
            },
            insurance: cover.wire,
            portraitJPEG: portrait.isEmpty ? nil : portrait.base64EncodedString(),
            timings: DeskTimings(
                waitMs: waited, cardMs: cardMs, insuranceMs: insuranceMs, totalMs: Self.ms(since: started)),
            validityModel: read.validityModel?.rawValue, chainReason: read.chainReason?.rawValue)
        _ = cardDone
        // No personal data in the log: the decision, its code, the method and the times only.
        Self.logger.info(
            "desk check",
            metadata: [
                "reader": "\(reader)", "verdict": "\(result.verdict)", "reason": "\(decision.reason.code)",
                "method": "\(method.rawValue)", "insurance": "\(cover.wire.status)",
                "cardMs": "\(Int(cardMs))", "totalMs": "\(Int(result.timings.totalMs))",
            ])
        return result
    }

    /// Records each insurance/chip disagreement once as a cleansing entry (sealed in the store). A store that
    /// refuses is logged with its code and never fails the check.
    private func recordCleansing(_ cover: InsuranceOutcome, identity: ChipIdentity, today: CalendarDate) async {
        guard !cover.disagreements.isEmpty else { return }
        let entries = cover.disagreements.map {
            CleansingEntry(
                idNumber: identity.idNumber.digits, field: $0.field, insuranceValue: $0.insurance, chipValue: $0.chip,
                day: today, cardCode: cover.wire.cardCode, dateOfBirth: identity.dateOfBirth)
        }
        do {
            let added = try await core.store.run { try $0.recordCleansing(entries) }
            Self.logger.info("cleansing entries", metadata: ["fields": "\(entries.count)", "new": "\(added)"])
        } catch {
            Self.logger.error("cleansing entries not recorded", metadata: ["code": "\(StoreGateway.code(of: error))"])
        }
    }

    /// The access key: from the QR (its CAN), the CAN, the MRZ, else the serial scanner's last code.
    static func accessKey(_ request: DeskVerifyRequest, scanner: QRScannerFeed?) throws
        -> (AccessKey, Method, CardQRCode?)
    {
        let given = [request.qr, request.can, request.mrz].compactMap { $0 }.count
        guard given <= 1 else {
            throw APIError(.badRequest, Message(.deskOneKey))
        }
        if let text = request.qr {
            let qr = try parse(text)
            return (.can(qr.can), .qr, qr)
        }
        if let can = request.can {
            do {
                return (try AccessKey.can(digits: can), .can, nil)
            } catch {
                throw APIError(.badRequest, code: DeskErrorCode.canInvalid, Message(.deskCanInvalid))
            }
        }
        if let mrz = request.mrz {
            do {
                return (.mrz(try MRZ(mrz.trimmingCharacters(in: .whitespacesAndNewlines)).keySeed), .mrz, nil)
            } catch {
                throw APIError(.badRequest, code: DeskErrorCode.mrzInvalid, Message(.deskMrzInvalid))
            }
        }
        if let text = scanner?.take() {
            let qr = try parse(text)
            return (.can(qr.can), .qrScanner, qr)
        }
        throw APIError(.badRequest, code: DeskErrorCode.noKey, Message(.deskNoKey))
    }

    static func parse(_ text: String) throws -> CardQRCode {
        do {
            return try CardQRCode(parsing: text)
        } catch {
            throw APIError(
                .badRequest, moduleCode: error.code.rawValue,
                text: { $0 == .english ? error.english : error.vietnamese }, detail: error.description)
        }
    }

    /// The named reader, or the first with a card; waits up to `seconds` for a card.
    private func waitForCard(named: String?, seconds: Double) async throws -> String {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            if let named {
                if core.devices.readers.contains(where: { $0.name == named && $0.cardPresent }) { return named }
            } else if let first = core.devices.firstReaderWithCard {
                return first
            }
            if ContinuousClock.now >= deadline {
                throw APIError(.conflict, moduleCode: SmartCardError.Code.noCard.rawValue, Message(.controlNoCard))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func ms(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 1000
    }
}

/// What the desk needs from a read beyond Intake's identity (DG13's residence and issue date).
struct DeskChipFacts: Sendable {
    var residence: String?
    var issueDate: CalendarDate?
}

extension CardReading.Outcome {
    /// DG13's residence and issue date (nil when the chip has no DG13).
    var desk: DeskChipFacts {
        DeskChipFacts(residence: citizen?.placeOfResidence, issueDate: ChipMapping.date(citizen?.dateOfIssue))
    }
}
