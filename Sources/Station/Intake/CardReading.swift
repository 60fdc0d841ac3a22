import ChipID
import ControlAPI
import Foundation
import Intake
import Logging
import SmartCard

/// The daemon's chip read (intake and the health check-in `/v1/verify`): one PC/SC transaction under the card
/// deadline, Chip (else Active) and Passive Authentication, the result mapped for Intake, errors mapped for the
/// control API with the file and reason in `detail`.
///
/// No path here outlasts the deadline: every PC/SC call of `CardConnection` is bounded by `timeout` and a stuck
/// call abandons its connection (see `CardConnection`), so a mute card costs a caller `timeout`, not a hang.
enum CardReading {
    /// A read as the daemon uses it.
    struct Outcome: Sendable {
        /// What Intake needs (identity, verdict, the portrait bytes; empty when DG2 was not read or is unreadable).
        var card: IntakeSession.CardRead
        /// What became of the portrait (DG2).
        var portrait: PortraitStatus
        /// Why the chain is what it is, and under which validity model (for the log; no personal data).
        var chainReason: ChainReason?
        /// The validity model Passive Authentication applied.
        var validityModel: SignerValidityModel?
    }

    private static let logger = Logger(label: "station.card")

    /// Reads the chip on `reader` and proves it genuine against `trustList` (its `validityModel` included).
    /// `files` nil reads the whole LDS (DG2 for the portrait).
    static func read(
        reader: String, key: AccessKey, timeout: Double, trustList: CSCATrustList, files: [LDSFile]? = nil
    ) async throws -> Outcome {
        let started = Date()
        var outcome = "error"  // the metric's label: the verdict, or the error code
        defer { StationMetric.cardRead(outcome: outcome, seconds: Date().timeIntervalSince(started)) }
        do {
            let connection = try await CardReaders().connect(reader: reader, transmitTimeout: timeout)
            let result: ChipRead
            do {
                result = try await connection.withTransaction {
                    var chip = ChipReader(transport: connection)
                    if let files { chip.files = files }
                    chip.authentication = AuthenticationOptions(trustList: trustList)
                    return try await chip.read(key: key)
                }
            } catch {
                try? await connection.disconnect(.reset)
                throw error
            }
            try? await connection.disconnect(.reset)
            let card = try ChipMapping.cardRead(result)
            outcome = card.authenticity.rawValue
            let passive = result.authenticity?.passive
            var metadata: Logger.Metadata = [
                "reader": "\(reader)", "verdict": "\(card.authenticity.rawValue)",
                "portrait": "\(result.portrait.name)",
            ]
            if let passive {
                metadata["chainReason"] = "\(passive.chainReasonCode.rawValue)"
                metadata["validityModel"] = "\(passive.validityModel.rawValue)"
            }
            if case .unreadable(let problem) = result.portrait { metadata["portraitProblem"] = "\(problem.detail)" }
            logger.info("chip read", metadata: metadata)
            return Outcome(card: card, portrait: result.portrait, chainReason: passive?.chainReasonCode,
                           validityModel: passive?.validityModel)
        } catch let error as ChipIDError {
            outcome = error.code.rawValue
            logger.warning("chip read failed", metadata: ["reader": "\(reader)", "error": "\(error)"])
            throw apiError(error)
        } catch let error as SmartCardError {
            outcome = error.code.rawValue
            logger.warning("chip read failed", metadata: ["reader": "\(reader)", "error": "\(error)"])
            throw apiError(error)
        }
    }

    /// A chip error for the control API: 403 for a refused access key, else 502; the file and reason in `detail`.
    static func apiError(_ error: ChipIDError) -> APIError {
        let denied = [ChipIDError.Code.accessDenied, .accessBlocked].contains(error.code)
        if let card = error.smartCardError, error.code == .transport {
            // The reader's own code (e.g. `smartcard.card_unresponsive`) says more than `chip.transport`.
            var mapped = apiError(card)
            mapped.detail = error.detail
            return mapped
        }
        return APIError(
            denied ? .forbidden : .badGateway, code: error.code.rawValue, vi: error.operatorMessage,
            en: error.detail, detail: error.detail)
    }

    /// A reader error for the control API (502), its reason in `detail`.
    static func apiError(_ error: SmartCardError) -> APIError {
        APIError(
            .badGateway, code: error.code.rawValue, vi: error.operatorMessage(language: "vi"),
            en: error.operatorMessage(language: "en"), detail: error.reason)
    }

    /// Fills the chip-portrait fields of an intake session's wire: `present`, or `unreadable` with `problem`.
    static func describePortrait(_ wire: inout IntakeSessionWire, card: IntakeSession.CardRead, problem: String?) {
        if !card.chipPortrait.isEmpty {
            wire.chipPortrait = PortraitStatus.present.name
        } else if let problem {
            wire.chipPortrait = "unreadable"
            wire.chipPortraitProblem = problem
        } else {
            wire.chipPortrait = PortraitStatus.notRead.name
        }
    }
}

extension PortraitStatus {
    /// The technician's detail of an unreadable portrait (`DG2: …`), nil otherwise.
    var problem: String? {
        if case .unreadable(let error) = self { return error.detail }
        return nil
    }
}
