import Foundation
import SmartCard
import StationTestKit
import Testing

/// Tests against a real pcscd with the vpcd driver and our simulated card as a separate process. Serialized: they
/// share one pcscd and restart it.
@Suite("Live PC/SC: pcscd + vpcd + simulated card", .serialized)
struct LivePCSCTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test("readers are listed")
    func readersListed() async throws {
        let readers = try await CardReaders().list()
        #expect(readers == [harness.readerName(slot: 0), harness.readerName(slot: 1)])
        #expect(readers == ["Virtual PCD 00 00", "Virtual PCD 00 01"])
    }

    @Test("vpcd's card ports take packets from loopback only (an nftables input rule while the harness runs)")
    func cardPortsLoopbackOnly() throws {
        let table = PCSCHarness.firewallTable
        let listed = try runTool("/usr/sbin/nft", ["list", "table", "inet", table])
        #expect(listed.status == 0, "\(listed.output)")
        #expect(listed.output.contains("hook input"))
        #expect(listed.output.contains(#"iifname != "lo""#), "\(listed.output)")
        for slot in 0..<harness.slotCount { #expect(listed.output.contains(String(harness.port(slot: slot)))) }
        #expect(listed.output.contains("drop"))
    }

    @Test("insert and remove events, with the card's ATR")
    func insertRemove() async throws {
        let log = EventLog()
        defer { log.stop() }
        try await log.wait("readers at start") { $0 == .readerAdded(harness.readerName(slot: 1)) }
        let card = try harness.startCard(slot: 1)
        let inserted = try await log.wait("card inserted") {
            if case .cardInserted(let reader, let atr) = $0 {
                reader == harness.readerName(slot: 1) && atr.supportsExtendedLength
                    && atr.protocols.contains(1)
            } else {
                false
            }
        }
        card.stop()
        try await log.wait(after: inserted, "card removed") { $0 == .cardRemoved(reader: harness.readerName(slot: 1)) }
    }

    @Test("a response longer than 256 bytes comes in one extended-length APDU")
    func extendedLength() async throws {
        let card = try harness.startCard()
        defer { card.stop() }
        let connection = try await connect(harness.readerName())
        // vpcd reports no size through PC/SC; its profile in Devices/readers/ says 65,536.
        #expect(connection.profile?.namePrefix == "Virtual PCD")
        #expect(
            connection.limits
                == TransportLimits(
                    extendedLength: true, maxCommandData: 65_535,
                    maxResponseData: 65_536))
        #expect(try await connection.transmit(demoSelect).status == .success)
        let read = try await connection.transmit(CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0, le: 65_536))
        #expect(read.status == .success)
        #expect(read.data == (0..<4096).map { UInt8($0 & 0xFF) })
        // Odd-INS READ BINARY with an offset above 32767 is not possible on this 4 KiB file; offset 3000 checks DO 54.
        let odd = try await connection.transmit(
            CommandAPDU(
                ins: 0xB1, p1: 0, p2: 0, data: [0x54, 0x02, 0x0B, 0xB8],
                le: 65_536))
        #expect(odd.status == .success)
        #expect(Array(odd.data.prefix(4)) == [0x53, 0x82, 0x04, 0x48])
        #expect(Array(odd.data.dropFirst(4)) == (3000..<4096).map { UInt8($0 & 0xFF) })
        try await connection.disconnect()
    }

    @Test("queued commands: sent before earlier answers are collected, answered in order, collected in any order")
    func queuedSends() async throws {
        let card = try harness.startCard()
        defer { card.stop() }
        let connection = try await connect(harness.readerName())
        #expect(try await connection.transmit(demoSelect).status == .success)
        // Four READ BINARYs, all queued on the connection's thread before any answer is read. Only the first names
        // the file (short EF identifier 2): the others answer 6986 unless they reach the card after it.
        let offsets = [0, 1000, 2000, 3000]
        var pending: [PendingResponse] = []
        for offset in offsets {
            let p1 = offset == 0 ? 0x82 : UInt8(offset >> 8)
            pending.append(try await connection.send(CommandAPDU(ins: 0xB0, p1: p1, p2: UInt8(offset & 0xFF), le: 16)))
        }
        for (offset, answer) in zip(offsets, pending).reversed() {
            let response = try await answer.response()
            #expect(response.status == .success)
            #expect(response.data == (offset..<(offset + 16)).map { UInt8($0 & 0xFF) }, "offset \(offset)")
        }
        try await connection.disconnect()
    }

    @Test("61xx chaining: GET RESPONSE until the data is complete")
    func chaining() async throws {
        let card = try harness.startCard(slot: 1, arguments: ["--get-response-chunk", "100"])
        defer { card.stop() }
        let connection = try await connect(harness.readerName(slot: 1))
        _ = try await connection.transmit(demoSelect)
        let read = try await connection.transmit(CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0, le: 1000))
        #expect(read.status == .success)
        #expect(read.data == (0..<1000).map { UInt8($0 & 0xFF) })
        // The raw exchange shows the card really chained.
        let raw = try await connection.transmitRaw(CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0, le: 1000).bytes)
        #expect(raw.count == 102)
        #expect(raw.suffix(2) == [0x61, 0x00])
        try await connection.disconnect()
    }

    @Test("6Cxx: the command is resent with the Le the card names")
    func wrongLe() async throws {
        let card = try harness.startCard(slot: 1, arguments: ["--strict-le"])
        defer { card.stop() }
        let connection = try await connect(harness.readerName(slot: 1))
        let raw = try await connection.transmitRaw([0x00, 0x84, 0x00, 0x00, 0x04])
        #expect(raw == [0x6C, 0x08])
        let challenge = try await connection.transmit(CommandAPDU(ins: 0x84, p1: 0, p2: 0, le: 4))
        #expect(challenge.status == .success)
        #expect(challenge.data.count == 8)
        try await connection.disconnect()
    }

    @Test("a card pulled in the middle of a transaction gives a typed error")
    func cardPulled() async throws {
        let card = try harness.startCard(slot: 0)
        let connection = try await connect(harness.readerName(slot: 0))
        let outcome: Result<Void, Error> = await Result {
            try await connection.withTransaction {
                #expect(try await connection.transmit(demoSelect).status == .success)
                card.stop(signal: SIGKILL)
                try await Task.sleep(for: .milliseconds(600))  // pcscd polls vpcd presence every ~400 ms
                _ = try await connection.transmit(CommandAPDU(ins: 0xB0, p1: 0x81, p2: 0, le: 256))
            }
        }
        guard case .failure(let error) = outcome else {
            Issue.record("the transmit after the card left succeeded")
            return
        }
        let typed = try #require(error as? SmartCardError)
        #expect([.cardRemoved, .noCard, .cardUnresponsive].contains(typed.code), "got \(typed)")
        await #expect(throws: SmartCardError.self) { try await connection.transmit(demoSelect) }
    }

    @Test(
        "a card answering garbage or a frame cut short gives typed errors, no crash",
        arguments: ["garbage", "truncated"])
    func garbageCard(fault: String) async throws {
        let card = try harness.startCard(slot: 1, arguments: ["--fault", fault])
        defer { card.stop() }
        do {
            let connection = try await connect(harness.readerName(slot: 1))
            for _ in 0..<3 {
                do {
                    _ = try await connection.transmit(demoSelect)
                    Issue.record("a \(fault) card gave a valid response")
                } catch let error as SmartCardError {
                    // Garbage is a malformed response; a frame cut short arrives as a malformed fragment, or as the
                    // card's removal, depending on when pcscd notices the connection drop.
                    let expected: [SmartCardError.Code] =
                        fault == "garbage"
                        ? [.malformedResponse]
                        : [.malformedResponse, .communication, .cardRemoved, .noCard, .cardUnresponsive]
                    #expect(expected.contains(error.code), "\(error)")
                }
            }
            try? await connection.disconnect()
        } catch let error as SmartCardError {
            // A card cut off mid-answer may be gone before we connect: also a typed error.
            #expect(
                fault == "truncated" && [.noCard, .cardRemoved, .cardUnresponsive].contains(error.code),
                "\(error)")
        }
        if fault == "garbage" { #expect(card.isRunning, "the simulated card process survived its own faults") }
    }

    @Test("a mute card costs the caller the transmit timeout, never a hang")
    func muteCard() async throws {
        let card = try harness.startCard(slot: 1, arguments: ["--fault", "mute"])
        let connection = try await connect(harness.readerName(slot: 1), transmitTimeout: 1.5)
        let started = Date()
        await #expect(throws: SmartCardError.self) { try await connection.transmit(demoSelect) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 1.4 && elapsed < 4, "gave up after \(elapsed) s")
        do {
            _ = try await connection.transmit(demoSelect)
            Issue.record("a stuck connection accepted another command")
        } catch let error as SmartCardError {
            #expect(error.code == .cardUnresponsive)
        }
        card.stop()  // the card leaves: pcscd's blocked exchange returns and the slot is usable again
        let next = try harness.startCard(slot: 1)
        defer { next.stop() }
        let fresh = try await connect(harness.readerName(slot: 1))
        #expect(try await fresh.transmit(demoSelect).status == .success)
        try await fresh.disconnect()
    }

    @Test("mute card in a transaction: no call outlasts the deadline; abandoned, and the reader serves the next card")
    func muteCardInTransaction() async throws {
        let card = try harness.startCard(slot: 1, arguments: ["--fault", "mute"])
        let connection = try await connect(harness.readerName(slot: 1), transmitTimeout: 1)
        let started = Date()
        let outcome = await bounded(8) {
            try await connection.withTransaction { _ = try await connection.transmit(demoSelect) }
        }
        let elapsed = Date().timeIntervalSince(started)
        guard case .some(.failure(let error)) = outcome else {
            Issue.record(outcome == nil ? "withTransaction hung past 8 s" : "a mute card answered")
            card.stop()
            return
        }
        #expect((error as? SmartCardError)?.code == .cardUnresponsive, "\(error)")
        #expect(elapsed < 1 + 0.5, "the transaction's end waited for the stuck exchange: \(elapsed) s")
        #expect(connection.abandoned)
        // Every later call fails (or returns) at once instead of queueing behind the stuck exchange.
        let calls: [(String, @Sendable () async throws -> Void)] = [
            ("reconnect", { @Sendable in try await connection.reconnect() }),
            ("status", { @Sendable in try await connection.refreshStatus() }),
            ("transmit", { @Sendable in _ = try await connection.transmit(demoSelect) }),
            ("transaction", { @Sendable in try await connection.withTransaction {} }),
            ("disconnect", { @Sendable in try await connection.disconnect(.reset) }),
        ]
        for (name, call) in calls {
            let callStarted = Date()
            let result = await bounded(5) { try await call() }
            #expect(result != nil, "\(name) hung")
            #expect(Date().timeIntervalSince(callStarted) < 0.2, "\(name) waited")
            if name != "disconnect", case .some(.failure(let failure)) = result {
                #expect((failure as? SmartCardError)?.code == .cardUnresponsive, "\(name): \(failure)")
            }
        }
        card.stop()  // the card leaves: the stuck exchange returns, the abandoned thread resets and releases
        let next = try harness.startCard(slot: 1)
        defer { next.stop() }
        let fresh = try await connect(harness.readerName(slot: 1))
        let answer = await bounded(5) {
            try await fresh.withTransaction { try await fresh.transmit(demoSelect) }
        }
        guard case .some(.success(let response)) = answer else {
            Issue.record("the next card did not answer: \(String(describing: answer))")
            return
        }
        #expect(response.status == .success)
        try await fresh.disconnect()
    }

    @Test("SCardCancel wakes a waiting monitor at once")
    func cancelWakesWaiter() async throws {
        let log = EventLog()
        try await log.wait("first pass") { if case .readerAdded = $0 { true } else { false } }
        try await Task.sleep(for: .milliseconds(300))  // now blocked in SCardGetStatusChange
        let started = Date()
        let finished = Task {
            for await _ in log.monitor {}
            return Date().timeIntervalSince(started)
        }
        log.monitor.stop()
        let elapsed = await finished.value
        #expect(elapsed < 0.5, "stop took \(elapsed) s; the wait's own timeout is 2 s")
    }

    @Test(
        "pcscd killed and restarted: the monitor recovers, events resume, old handles fail typed",
        arguments: [SIGTERM, SIGKILL])
    func pcscdRestart(signal: Int32) async throws {
        let card = try harness.startCard(slot: 0)
        defer { card.stop() }
        let log = EventLog()
        defer { log.stop() }
        let reader = harness.readerName()
        try await log.wait("card before restart") { $0.isInsert(reader) }
        let connection = try await connect(reader)
        #expect(try await connection.transmit(demoSelect).status == .success)

        harness.stopPCSCD(signal: signal)
        let lost = try await log.wait("service lost") { if case .serviceUnavailable = $0 { true } else { false } }
        try await log.wait(after: lost, "readers removed") { $0 == .readerRemoved(reader) }
        do {
            _ = try await connection.transmit(demoSelect)
            Issue.record("transmit on a dead pcscd succeeded")
        } catch let error as SmartCardError {
            #expect(error.meansServiceLost || error.code == .cardRemoved, "\(error)")
        }
        try await Task.sleep(for: .milliseconds(300))
        try harness.startPCSCD()
        let restored = try await log.wait(after: lost, "service restored") { $0 == .serviceRestored }
        try await log.wait(after: restored, "reader back") { $0 == .readerAdded(reader) }
        try await log.wait(after: restored, "card back (it reconnects to vpcd by itself)") { $0.isInsert(reader) }
        let fresh = try await connect(reader)
        #expect(try await fresh.transmit(demoSelect).status == .success)
        try await fresh.disconnect()
    }

    @Test("a reset by another client is a typed card_reset; reconnect recovers; the reset reached the card")
    func resetAndReconnect() async throws {
        let card = try harness.startCard(slot: 0)
        defer { card.stop() }
        let first = try await connect(harness.readerName())
        let second = try await connect(harness.readerName())
        #expect(try await first.transmit(demoSelect).status == .success)
        try await second.reconnect(initialization: .reset)
        do {
            _ = try await first.transmit(demoSelect)
            Issue.record("a transmit after another client's reset succeeded")
        } catch let error as SmartCardError {
            #expect(error.code == .cardReset, "\(error)")
        }
        try await first.reconnect()
        // The card was really power-cycled: its selection is gone, so reading the current EF fails.
        let afterReset = try await first.transmit(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 4))
        #expect(afterReset.status == .noCurrentEF)
        #expect(try await first.transmit(demoSelect).status == .success)
        try await first.disconnect()
        try await second.disconnect()
        await #expect(throws: SmartCardError.self) { try await first.transmit(demoSelect) }
    }

    @Test("an exclusive connection keeps others out with a typed sharing violation")
    func exclusive() async throws {
        let card = try harness.startCard(slot: 1)
        defer { card.stop() }
        let probe = try await connect(harness.readerName(slot: 1))  // waits until pcscd has seen the card
        try await probe.disconnect()
        let owner = try await CardReaders().connect(reader: harness.readerName(slot: 1), share: .exclusive)
        do {
            _ = try await CardReaders().connect(reader: harness.readerName(slot: 1))
            Issue.record("a second connection got in while the card was held exclusively")
        } catch let error as SmartCardError {
            #expect(error.code == .sharingViolation, "\(error)")
            #expect(error.operatorMessage(language: "en").contains("Another program"))
        }
        try await owner.disconnect()
        let after = try await connect(harness.readerName(slot: 1))
        #expect(try await after.transmit(demoSelect).status == .success)
        try await after.disconnect()
    }

    @Test("SELECT MF can be refused as the real CCCD does (6D00)")
    func selectMFQuirk() async throws {
        let card = try harness.startCard(slot: 1, arguments: ["--select-mf-status", "6D00"])
        defer { card.stop() }
        let connection = try await connect(harness.readerName(slot: 1))
        let answer = try await connection.transmit(CommandAPDU(ins: 0xA4, p1: 0, p2: 0x0C, data: [0x3F, 0x00]))
        #expect(answer.status == .insNotSupported)
        try await connection.disconnect()
    }
}

extension ReaderEvent {
    func isInsert(_ reader: String) -> Bool {
        if case .cardInserted(let name, _) = self { name == reader } else { false }
    }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// Runs `body` and gives up waiting after `seconds` (nil): a hang is a test failure, not a stuck run (the hung
/// task is left behind, unstructured).
func bounded<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async
    -> Result<T, any Error>?
{
    await withCheckedContinuation { continuation in
        let once = FirstAnswer(continuation)
        Task.detached { once.answer(await Result { try await body() }) }
        Task.detached {
            try? await Task.sleep(for: .seconds(seconds))
            once.answer(nil)
        }
    }
}

/// Resumes a continuation with the first answer only.
final class FirstAnswer<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?
    init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = continuation }
    func answer(_ value: T) {
        let waiting = lock.withLock { () -> CheckedContinuation<T, Never>? in
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: value)
    }
}
