import Intake
import Queue
import Testing

/// Every local and central pair, checked against the lists written out here (not derived from the table).
@Suite struct TransitionTableTests {
    static let allowedLocal: Set<String> = [
        "captured>ready", "captured>held", "captured>needsAttention", "captured>cancelled",
        "ready>batched", "ready>held", "ready>cancelled", "ready>exported",
        "batched>uploaded", "batched>ready", "batched>needsAttention",
        "held>captured", "held>ready", "held>cancelled",
        "needsAttention>ready", "needsAttention>held", "needsAttention>cancelled",
        "exported>uploaded", "exported>ready",
    ]

    @Test func everyLocalPairWithCentralUnknown() {
        var allowed = 0
        for from in LocalState.allCases {
            for to in LocalState.allCases where from != to {
                let refusal = TransitionTable.refusal(from: .s(from), to: .s(to))
                let expected = Self.allowedLocal.contains("\(from.rawValue)>\(to.rawValue)")
                #expect((refusal == nil) == expected, "\(from) → \(to): \(refusal ?? "allowed")")
                if refusal == nil { allowed += 1 }
            }
        }
        #expect(allowed == Self.allowedLocal.count)
        // uploaded → ready is in the table but only with a resend, so it is refused here.
        #expect(TransitionTable.refusal(from: .s(.uploaded), to: .s(.ready)) != nil)
    }

    static let allowedCentral: Set<String> = [
        "unknown>received", "unknown>accepted", "unknown>rejected", "unknown>resend",
        "received>accepted", "received>rejected", "received>resend",
        "resend>received", "resend>accepted", "resend>rejected",
        "accepted>activated",
    ]

    static func central(_ kind: CentralState.Kind) -> CentralState { CentralState(kind: kind, reason: "R1") }

    @Test func everyCentralPairWithLocalUploaded() {
        for from in CentralState.Kind.allCases {
            for to in CentralState.Kind.allCases where from != to {
                // A resend sends the application back to `ready`; everything else is said of an uploaded one.
                let newLocal: LocalState = to == .resend ? .ready : .uploaded
                let refusal = TransitionTable.refusal(
                    from: .s(.uploaded, Self.central(from)), to: .s(newLocal, Self.central(to)))
                let expected = Self.allowedCentral.contains("\(from.rawValue)>\(to.rawValue)")
                #expect((refusal == nil) == expected, "\(from) → \(to): \(refusal ?? "allowed")")
            }
        }
    }

    @Test func centralMovesNeedAnApplicationCentralHas() {
        for local in LocalState.allCases {
            let refusal = TransitionTable.refusal(from: .s(local), to: .s(local, .received))
            #expect((refusal == nil) == (local == .uploaded || local == .exported), "\(local)")
        }
        #expect(TransitionTable.refusal(from: .s(.uploaded, .received), to: .s(.uploaded, .resend)) != nil)
        #expect(TransitionTable.refusal(from: .s(.uploaded, .received), to: .s(.ready, .resend)) == nil)
        #expect(TransitionTable.refusal(from: .s(.exported, .unknown), to: .s(.ready, .resend)) == nil)
    }

    @Test func noChangeAndCancellationRules() {
        #expect(TransitionTable.refusal(from: .s(.ready), to: .s(.ready)) != nil)
        #expect(TransitionTable.refusal(from: .s(.ready, .resend), to: .s(.cancelled, .resend)) != nil)
        #expect(TransitionTable.refusal(from: .s(.ready), to: .s(.cancelled)) == nil)
        #expect(TransitionTable.refusal(from: .s(.cancelled), to: .s(.ready)) != nil)
        #expect(
            TransitionTable.refusal(from: .s(.uploaded, .rejected(reason: "X")), to: .s(.uploaded, .resend)) != nil)
        #expect(TransitionTable.refusal(from: .s(.uploaded, .activated), to: .s(.uploaded, .accepted)) != nil)
    }
}
