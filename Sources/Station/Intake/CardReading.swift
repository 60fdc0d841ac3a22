import ChipID
import ControlAPI
import Foundation
import Intake
import Logging
import SmartCard

/// The daemon's chip read (intake and the health check-in `/v1/verify`) through the `ChipReading` seam: Chip
/// (else Active) and Passive Authentication under the card deadline, the result mapped for Intake, logged and
/// counted. Errors pass through as `ChipIDError` / `SmartCardError`; the control API maps them
/// (`APIError(chip:)`, `APIError(card:)`) with the file and reason in `detail`.
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
        /// DG13 as read (the desk shows residence and issue date), nil when the chip has none.
        var citizen: CitizenInfo?
        /// How long each phase of the read took.
        var timings: ReadTimings
    }

    private static let logger = Logger(label: "station.card")

    /// Reads the chip as `request` says through `chips` and maps the result for Intake.
    static func read(_ request: ChipReadRequest, with chips: any ChipReading) async throws -> Outcome {
        let started = Date()
        let reader = request.reader
        var outcome = "error"  // the metric's label: the verdict, or the error code
        defer { StationMetric.cardRead(outcome: outcome, seconds: Date().timeIntervalSince(started)) }
        do {
            let result = try await chips.read(request)
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
            return Outcome(
                card: card, portrait: result.portrait, chainReason: passive?.chainReasonCode,
                validityModel: passive?.validityModel, citizen: result.dg13, timings: result.timings)
        } catch let error as ChipIDError {
            outcome = error.code.rawValue
            logger.warning("chip read failed", metadata: ["reader": "\(reader)", "error": "\(error)"])
            throw error
        } catch let error as SmartCardError {
            outcome = error.code.rawValue
            logger.warning("chip read failed", metadata: ["reader": "\(reader)", "error": "\(error)"])
            throw error
        }
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
