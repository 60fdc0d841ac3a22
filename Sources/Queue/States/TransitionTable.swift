/// The only state changes an application may make: a pure table, consulted by the store's single transition
/// function and tested pair by pair.
public enum TransitionTable {
    /// Allowed local moves.
    public static let local: [LocalState: Set<LocalState>] = [
        .captured: [.ready, .held, .needsAttention, .cancelled],
        .ready: [.batched, .held, .cancelled, .exported],
        .batched: [.uploaded, .ready, .needsAttention],
        .uploaded: [.ready],  // only together with central `resend`
        .held: [.captured, .ready, .cancelled],
        .needsAttention: [.ready, .held, .cancelled],
        .cancelled: [],
        .exported: [.uploaded, .ready],
    ]

    /// Allowed central moves.
    public static let central: [CentralState.Kind: Set<CentralState.Kind>] = [
        .unknown: [.received, .accepted, .rejected, .resend],
        .received: [.accepted, .rejected, .resend],
        .resend: [.received, .accepted, .rejected],
        .accepted: [.activated],
        .rejected: [],
        .activated: [],
    ]

    /// Why a change is refused, or nil when it is allowed.
    ///
    /// Besides the two tables: C06 can only speak about an application it has (local `uploaded` or
    /// `exported` after the change, or `ready` when it asks for a resend); an application C06 knows about can
    /// no longer be cancelled; `uploaded → ready` happens only with a `resend`.
    public static func refusal(from old: ApplicationStatus, to new: ApplicationStatus) -> String? {
        if old == new { return "no change" }
        let localChanges = old.local != new.local
        let centralChanges = old.central != new.central
        if localChanges, !(local[old.local]?.contains(new.local) ?? false) {
            return "local \(old.local.rawValue) → \(new.local.rawValue) not allowed"
        }
        if centralChanges, !(central[old.central.kind]?.contains(new.central.kind) ?? false) {
            return "central \(old.central.kind.rawValue) → \(new.central.kind.rawValue) not allowed"
        }
        if centralChanges {
            let speaksOf: Set<LocalState> = new.central == .resend ? [.ready] : [.uploaded, .exported]
            if !speaksOf.contains(new.local) {
                return "central \(new.central.kind.rawValue) needs local \(speaksOf.map(\.rawValue).sorted()), "
                    + "not \(new.local.rawValue)"
            }
        }
        if new.local == .cancelled, new.central != .unknown {
            return "an application C06 knows about cannot be cancelled"
        }
        if old.local == .uploaded, new.local == .ready, new.central != .resend {
            return "uploaded → ready only when C06 asks for a resend"
        }
        return nil
    }
}
