import CentralAPI
import Foundation
import Messages
import Queue
import Retry
import Testing
import Uplink

@Suite struct PolicyTests {
    @Test func batchPolicyCutsByCountBytesAndAge() {
        let policy = BatchPolicy(maxCount: 3, maxBytes: 1_000, maxAge: 60)
        let now = Date()
        #expect(policy.take(sizes: [], oldest: nil, now: now, force: true) == 0)
        // Too few, too young: wait; forced or old enough: send what there is.
        #expect(policy.take(sizes: [10, 10], oldest: now.addingTimeInterval(-59), now: now, force: false) == 0)
        #expect(policy.take(sizes: [10, 10], oldest: now.addingTimeInterval(-60), now: now, force: false) == 2)
        #expect(policy.take(sizes: [10, 10], oldest: now, now: now, force: true) == 2)
        // Count.
        #expect(policy.take(sizes: [10, 10, 10, 10], oldest: now, now: now, force: false) == 3)
        // Bytes: 600 + 600 > 1000, so one; an oversized item still goes alone.
        #expect(policy.take(sizes: [600, 600], oldest: now, now: now, force: false) == 1)
        #expect(policy.take(sizes: [5_000], oldest: now, now: now, force: false) == 1)
    }

    @Test func backoffIsCappedFullJitterAndHonoursRetryAfter() {
        let backoff = Backoff(base: 0.5, cap: 8)
        #expect(backoff.ceiling(attempt: 0) == 0.5)
        #expect(backoff.ceiling(attempt: 3) == 4)
        #expect(backoff.ceiling(attempt: 40) == 8)
        var random = SystemRandomNumberGenerator()
        var delays: [Double] = []
        for _ in 0..<2_000 { delays.append(backoff.delay(attempt: 10, using: &random)) }
        #expect(delays.allSatisfy { $0 >= 0 && $0 <= 8 })
        #expect(delays.min()! < 1 && delays.max()! > 7)  // full jitter spreads over the whole range
        for _ in 0..<200 {
            let delay = backoff.delay(attempt: 0, retryAfter: 3, using: &random)
            #expect(delay >= 3 && delay <= 8)
        }
        #expect(backoff.delay(attempt: 0, retryAfter: 100, using: &random) == 8)
    }

    @Test func freezeRulesTriggerAndLiftAtTheirBoundaries() {
        let rules = FreezeRules(maxDaysWithoutSync: 3, maxPendingApplications: 100, minFreeBytes: 1 << 30)
        let now = Date()
        func codes(days: Double, pending: Int, free: Int64) -> [String] {
            rules.evaluate(
                .init(
                    lastSync: now.addingTimeInterval(-days * 86_400), now: now, pendingApplications: pending,
                    freeBytes: free)
            ).map(\.code)
        }
        #expect(codes(days: 3, pending: 99, free: 1 << 30).isEmpty)
        #expect(codes(days: 3.0001, pending: 99, free: 1 << 30) == ["freeze.no_sync"])
        #expect(codes(days: 0, pending: 100, free: 1 << 30) == ["freeze.too_many_pending"])
        #expect(codes(days: 0, pending: 0, free: (1 << 30) - 1) == ["freeze.low_disk"])
        #expect(codes(days: 9, pending: 500, free: 0).count == 3)
        let message = rules.evaluate(
            .init(
                lastSync: now.addingTimeInterval(-4 * 86_400), now: now,
                pendingApplications: 0, freeBytes: 1 << 40))[0]
        #expect(message.message(.vietnamese).contains("ngày") && message.message(.english).contains("export"))
        #expect(!message.message(.vietnamese).contains("export"))
    }

    @Test func statusStepsWalkTheTableInOrder() {
        let uploaded = ApplicationStatus(local: .uploaded, central: .received)
        let exported = ApplicationStatus(local: .exported, central: .unknown)
        #expect(
            StatusSteps.steps(from: uploaded, to: StatusItem(applicationID: "x", state: .activated))
                == [.init(local: .uploaded, central: .accepted), .init(local: .uploaded, central: .activated)])
        #expect(
            StatusSteps.steps(from: exported, to: StatusItem(applicationID: "x", state: .accepted))
                == [.init(local: .uploaded, central: .received), .init(local: .uploaded, central: .accepted)])
        #expect(
            StatusSteps.steps(
                from: uploaded, to: StatusItem(applicationID: "x", state: .rejected, reason: "DOB_MISMATCH"))
                == [.init(local: .uploaded, central: .rejected(reason: "DOB_MISMATCH"))])
        #expect(StatusSteps.steps(from: uploaded, to: StatusItem(applicationID: "x", state: .received)).isEmpty)
        #expect(
            StatusSteps.steps(from: uploaded, to: StatusItem(applicationID: "x", state: .resend))
                == [.init(local: .ready, central: .resend)])
        // Every step is one the transition table allows.
        for state in [WireCentralState.received, .accepted, .activated, .rejected, .resend] {
            for start in [uploaded, exported] {
                var current = start
                for step in StatusSteps.steps(
                    from: start, to: StatusItem(applicationID: "x", state: state, reason: "R"))
                {
                    #expect(TransitionTable.refusal(from: current, to: step) == nil)
                    current = step
                }
            }
        }
    }
}
