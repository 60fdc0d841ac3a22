import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who holds a scanner: a session id and, when the session belongs to a local client process, its pid (from
/// SO_PEERCRED) so a crashed client's claim is dropped at once.
public struct ClaimOwner: Sendable, Hashable, CustomStringConvertible {
    /// Session id.
    public var session: String
    /// Client process id, if known.
    public var pid: Int32?

    /// Builds an owner.
    public init(session: String, pid: Int32? = nil) {
        self.session = session
        self.pid = pid
    }

    public var description: String { pid.map { "\(session) (pid \($0))" } ?? session }
}

/// Pure claim bookkeeping: one owner per scanner; a claim lapses when its lease expires without renewal or when
/// its owner is known to be gone. Time and liveness are inputs, so it is tested without waiting.
public struct ClaimTable: Sendable {
    struct Claim: Sendable {
        var owner: ClaimOwner
        var expires: ContinuousClock.Instant
    }
    private var claims: [String: Claim] = [:]
    /// Lease length; owners renew by any claimed operation or `renew`.
    public var lease: Duration

    /// Builds an empty table.
    public init(lease: Duration = .seconds(30)) { self.lease = lease }

    /// Current owner of `scanner`, dropping a lapsed claim first.
    public mutating func owner(
        of scanner: String, now: ContinuousClock.Instant,
        isAlive: (ClaimOwner) -> Bool
    ) -> ClaimOwner? {
        guard let claim = claims[scanner] else { return nil }
        if claim.expires <= now || !isAlive(claim.owner) {
            claims[scanner] = nil
            return nil
        }
        return claim.owner
    }

    /// Claims `scanner` for `owner` (re-claiming by the same owner renews).
    public mutating func claim(
        _ scanner: String, for owner: ClaimOwner, now: ContinuousClock.Instant,
        isAlive: (ClaimOwner) -> Bool
    ) throws {
        if let current = self.owner(of: scanner, now: now, isAlive: isAlive), current.session != owner.session {
            throw BiometricError(.busy, "scanner \(scanner) is claimed by another session")
        }
        claims[scanner] = Claim(owner: owner, expires: now.advanced(by: lease))
    }

    /// Renews the lease; fails if `owner` does not hold it.
    public mutating func renew(
        _ scanner: String, for owner: ClaimOwner, now: ContinuousClock.Instant,
        isAlive: (ClaimOwner) -> Bool
    ) throws {
        guard self.owner(of: scanner, now: now, isAlive: isAlive)?.session == owner.session else {
            throw BiometricError(.notOwner, "session does not hold scanner \(scanner)")
        }
        claims[scanner]?.expires = now.advanced(by: lease)
    }

    /// Releases the claim if `owner` holds it.
    public mutating func release(_ scanner: String, by owner: ClaimOwner) {
        if claims[scanner]?.owner.session == owner.session { claims[scanner] = nil }
    }

    /// Releases every claim of a session (session ended).
    public mutating func releaseAll(of session: String) {
        claims = claims.filter { $0.value.owner.session != session }
    }
}

/// The station-wide claim registry.
public actor ScannerClaims {
    private var table: ClaimTable
    private let isAlive: @Sendable (ClaimOwner) -> Bool

    /// Builds a registry. By default an owner with a pid is alive while that process exists.
    public init(
        lease: Duration = .seconds(30),
        isAlive: @escaping @Sendable (ClaimOwner) -> Bool = ScannerClaims.processExists
    ) {
        table = ClaimTable(lease: lease)
        self.isAlive = isAlive
    }

    /// `kill(pid, 0)` liveness: true unless the process is gone (ESRCH).
    public static let processExists: @Sendable (ClaimOwner) -> Bool = { owner in
        guard let pid = owner.pid else { return true }
        return kill(pid, 0) == 0 || errno != ESRCH
    }

    /// Claims a scanner.
    public func claim(_ scanner: String, for owner: ClaimOwner) throws {
        try table.claim(scanner, for: owner, now: .now, isAlive: isAlive)
    }

    /// Renews a claim.
    public func renew(_ scanner: String, for owner: ClaimOwner) throws {
        try table.renew(scanner, for: owner, now: .now, isAlive: isAlive)
    }

    /// Current owner.
    public func owner(of scanner: String) -> ClaimOwner? { table.owner(of: scanner, now: .now, isAlive: isAlive) }

    /// Releases a claim.
    public func release(_ scanner: String, by owner: ClaimOwner) { table.release(scanner, by: owner) }

    /// Session ended: drop all its claims.
    public func sessionEnded(_ session: String) { table.releaseAll(of: session) }

    /// Runs `body` holding the claim; the claim is released when `body` returns, throws or is cancelled.
    public func withClaim<T: Sendable>(
        _ scanner: String, for owner: ClaimOwner,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try claim(scanner, for: owner)
        do {
            let value = try await body()
            release(scanner, by: owner)
            return value
        } catch {
            release(scanner, by: owner)
            throw error
        }
    }
}
