import Foundation
import Testing

@testable import Biometrics

@Suite struct ClaimTests {
    let alice = ClaimOwner(session: "alice")
    let bob = ClaimOwner(session: "bob")
    let alive: (ClaimOwner) -> Bool = { _ in true }

    @Test func oneOwnerAtATimeAndLeaseExpiry() throws {
        var table = ClaimTable(lease: .seconds(10))
        let t0 = ContinuousClock.now
        try table.claim("s1", for: alice, now: t0, isAlive: alive)
        #expect(throws: BiometricError.self) { try table.claim("s1", for: bob, now: t0, isAlive: alive) }
        try table.claim("s2", for: bob, now: t0, isAlive: alive)  // other scanner is free
        try table.renew("s1", for: alice, now: t0.advanced(by: .seconds(8)), isAlive: alive)
        #expect(throws: BiometricError.self) {
            try table.claim("s1", for: bob, now: t0.advanced(by: .seconds(15)), isAlive: alive)
        }
        // Alice stops renewing: after the lease Bob gets it.
        try table.claim("s1", for: bob, now: t0.advanced(by: .seconds(19)), isAlive: alive)
        #expect(throws: BiometricError.self) {
            try table.renew("s1", for: alice, now: t0.advanced(by: .seconds(19)), isAlive: alive)
        }
    }

    @Test func ownerProcessGoneReleasesAtOnce() throws {
        var table = ClaimTable(lease: .seconds(60))
        let t0 = ContinuousClock.now
        let client = ClaimOwner(session: "kiosk", pid: 4242)
        try table.claim("s1", for: client, now: t0, isAlive: { _ in true })
        #expect(table.owner(of: "s1", now: t0, isAlive: { _ in true }) == client)
        #expect(table.owner(of: "s1", now: t0, isAlive: { $0.pid != 4242 }) == nil)
        try table.claim("s1", for: bob, now: t0, isAlive: { _ in true })
    }

    @Test func sessionEndReleasesAndWithClaimAlwaysReleases() async throws {
        let claims = ScannerClaims(lease: .seconds(30))
        try await claims.claim("a", for: alice)
        try await claims.claim("b", for: alice)
        await claims.sessionEnded("alice")
        let ownerA = await claims.owner(of: "a")
        let ownerB = await claims.owner(of: "b")
        #expect(ownerA == nil && ownerB == nil)
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            let bob = ClaimOwner(session: "bob")
            try await claims.withClaim("a", for: bob) {
                let holder = await claims.owner(of: "a")
                #expect(holder == bob)
                throw Boom()
            }
        }
        let after = await claims.owner(of: "a")
        #expect(after == nil)
        // A dead pid never holds a claim: this process's pid is alive, an impossible pid is not.
        #expect(ScannerClaims.processExists(ClaimOwner(session: "x", pid: getpid())))
        #expect(!ScannerClaims.processExists(ClaimOwner(session: "x", pid: 0x3FFF_FFF0)))
    }
}
