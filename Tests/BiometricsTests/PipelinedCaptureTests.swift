import Foundation
import Testing

@testable import Biometrics

/// The record (JPEG 2000 + ISO/IEC 19794-4) is encoded off the capture's critical path: same bytes as the serial
/// path, failures typed where the record is awaited, the decision available while the encoder still runs.
@Suite struct PipelinedCaptureTests {
    static func station(
        script: [SyntheticCondition] = [.good, .good, .good],
        encoder: (any CaptureRecordEncoder)? = nil
    ) throws -> FingerprintStation {
        try FingerprintStation(
            configuration: BiometricsConfiguration(
                simulator: script, useUSB: false, policy: CapturePolicy(threshold: 50, maxAttempts: 1)),
            encoder: encoder)
    }

    @Test func pipelinedRecordEqualsTheSerialOne() async throws {
        let station = try Self.station()
        let owner = ClaimOwner(session: "pipelined")
        let pending = try await station.beginCapture(for: owner, finger: .rightThumb)
        let record = try await pending.record()
        // The serial path: the same image, quality and capture date through RecordBuilder on this task.
        let serial = try RecordBuilder.record(
            for: pending.outcome.image, finger: .rightThumb,
            quality: pending.outcome.quality.score,
            captureDate: pending.captureDate
        ).encoded()
        #expect(record.isoRecord == serial)
        let parsed = try FingerImageRecord(decoding: record.isoRecord)
        #expect(parsed.compression == .jpeg2000Lossless && parsed.views[0].position == .rightThumb)
        let pixels = try JPEG2000Codec.decode(parsed.views[0].imageData).pixels
        #expect(pixels == pending.outcome.image.pixels)
        #expect(record.quality == pending.outcome.quality.score && record.timestamp == pending.captureDate)
        #expect(CaptureChain.firstBrokenLink(await station.captures(of: "pipelined")) == nil)
        await station.endSession("pipelined")
    }

    /// More OpenJPEG threads change the speed, never the codestream; it stays lossless.
    @Test func threadedJPEG2000IsTheSameCodestream() throws {
        let image = SyntheticFingerprint().generate(.dry, seed: 4)
        let single = try JPEG2000Codec.encodeLossless(image, threads: 1)
        let threaded = try JPEG2000Codec.encodeLossless(image, threads: 4)
        #expect(single == threaded)
        #expect(try JPEG2000Codec.decode(threaded).pixels == image.pixels)
        // COD marker segment (ISO/IEC 15444-1 A.6.1): 5 decomposition levels or fewer, 64×64 code-blocks
        // (exponent − 2 = 4), the bypass code-block style, the reversible 5/3 wavelet.
        let cod = try #require((0..<(threaded.count - 14)).first { threaded[$0] == 0xFF && threaded[$0 + 1] == 0x52 })
        let spcod = Array(threaded[(cod + 9)..<(cod + 14)])
        #expect(spcod[0] <= 5 && spcod[1] == 4 && spcod[2] == 4)
        #expect(spcod[3] == UInt8(JPEG2000Codec.codeBlockStyle) && spcod[3] == 0x01)
        #expect(spcod[4] == 1)
    }

    @Test func encodingFailureSurfacesTypedWhereTheRecordIsAwaited() async throws {
        let failing = ScriptedEncoder(failures: [BiometricError(.format, "injected"), UntypedFailure()])
        let station = try Self.station(encoder: failing)
        let owner = ClaimOwner(session: "failing")
        // The capture itself succeeds: image and quality are there.
        let first = try await station.beginCapture(for: owner, finger: .leftIndex)
        #expect(first.outcome.meetsThreshold)
        await #expect { _ = try await first.record() } throws: {
            ($0 as? BiometricError)?.code == .format && ($0 as? BiometricError)?.reason == "injected"
        }
        // An untyped encoder error is still a BiometricError with a stable code.
        await #expect { _ = try await station.capture(for: owner, finger: .leftMiddle) } throws: {
            ($0 as? BiometricError)?.code == .format
        }
        // Failed records are not linked; the next good one links to the anchor.
        let (good, _) = try await station.capture(for: owner, finger: .leftRing)
        #expect(good.previousHash == CaptureChain.anchor)
        #expect(await station.captures(of: "failing").map(\.finger) == [.leftRing])
        await station.endSession("failing")
    }

    /// The encoder is held until the test opens it (or 600 s pass): the capture must come back, decided, with its
    /// record not yet encoded (a serial encoding could only return after the gate gave up, encoded); the record
    /// then arrives intact. No wall-clock bound: on a loaded 2-core machine the whole suite's tasks can wait
    /// 115 s for a thread, and the encoder's state, not the time, tells a pipelined capture from a serial one.
    @Test func decisionArrivesWhileTheEncoderStillRuns() async throws {
        let gate = Gate()
        let station = try Self.station(encoder: GatedEncoder(gate: gate))
        let owner = ClaimOwner(session: "gated")
        let decided = DecisionLog()
        let pending = try await station.beginCapture(
            for: owner, finger: .rightIndex,
            decided: { decided.add($0) })
        #expect(!gate.isOpen && !gate.passed && !pending.isEncoded)
        #expect(decided.all.map(\.accepted) == [true] && pending.outcome.meetsThreshold)
        #expect(decided.all.first?.image == pending.outcome.image)
        gate.open()
        let record = try await pending.record()
        #expect(pending.isEncoded)
        #expect(record.isoRecord == Array("record of \(pending.outcome.image.pixels.count)".utf8))
        await station.endSession("gated")
    }

    /// The encoding of the accepted image starts before the flow waits for the finger to be lifted.
    @Test func encodingOverlapsTheRemovalWait() async throws {
        let gate = Gate()
        let scanner = RemovalProbe(inner: SimulatedScanner(script: [.good]), gate: gate)
        try await scanner.open()
        let queue = RecordEncodingQueue()
        let result = try await CaptureFlow(policy: CapturePolicy(threshold: 50, maxAttempts: 1))
            .runPipelined(
                on: scanner, finger: .rightIndex, encoder: GatedEncoder(gate: gate, marksStart: true),
                queue: queue)
        #expect(scanner.encoderHadStartedAtRemoval)
        gate.open()
        #expect(!(try await result.encoding.value()).isEmpty)
    }

    /// Captures whose records are still encoding link into the session's chain in capture order.
    @Test func heldRecordsLinkInCaptureOrder() async throws {
        let gate = Gate()
        let station = try Self.station(encoder: GatedEncoder(gate: gate))
        let owner = ClaimOwner(session: "order")
        let first = try await station.beginCapture(for: owner, finger: .rightIndex)
        let second = try await station.beginCapture(for: owner, finger: .rightMiddle)
        #expect(!first.isEncoded && !second.isEncoded)
        gate.open()
        let secondRecord = try await second.record()
        let firstRecord = try await first.record()
        #expect(firstRecord.previousHash == CaptureChain.anchor && secondRecord.previousHash == firstRecord.hash)
        #expect(await station.captures(of: "order").map(\.finger) == [.rightIndex, .rightMiddle])
        await station.endSession("order")
        #expect(await station.captures(of: "order").isEmpty)
    }

    /// Ending a session waits for its records still encoding, so none is linked into a forgotten chain.
    @Test func endingASessionWaitsForItsRecords() async throws {
        let gate = Gate()
        let station = try Self.station(encoder: GatedEncoder(gate: gate))
        let owner = ClaimOwner(session: "ending")
        let pending = try await station.beginCapture(for: owner, finger: .leftThumb)
        let opener = Task {
            try await Task.sleep(for: .milliseconds(300))
            gate.open()
        }
        await station.endSession("ending")
        #expect(pending.isEncoded)
        #expect(await station.captures(of: "ending").isEmpty)
        _ = try await pending.record()
        #expect(await station.captures(of: "ending").isEmpty)
        _ = try await opener.value
    }
}

/// A gate the test opens; waiting on it gives up after `limit`.
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var opened = false
    var isOpen: Bool { condition.withLock { opened } }
    func open() {
        condition.withLock {
            opened = true
            condition.broadcast()
        }
    }
    func wait(limit: TimeInterval = 600) {
        let deadline = Date(timeIntervalSinceNow: limit)
        condition.withLock {
            while !opened && condition.wait(until: deadline) {}
            _passed = true
        }
    }
    private var _passed = false
    /// Whether a waiter has gone through the gate (opened, or given up at the limit).
    var passed: Bool { condition.withLock { _passed } }
    private var _started = false
    var started: Bool { condition.withLock { _started } }
    func markStarted() {
        condition.withLock {
            _started = true
            condition.broadcast()
        }
    }
}

/// Blocks on the gate (on the encoding thread), then returns a marker naming the image size.
struct GatedEncoder: CaptureRecordEncoder {
    let gate: Gate
    var marksStart = false
    func encode(_ image: FingerprintImage, finger: FingerPositionCode, quality: Int, captureDate: Date) throws
        -> [UInt8]
    {
        if marksStart { gate.markStarted() }
        gate.wait()
        return Array("record of \(image.pixels.count)".utf8)
    }
}

struct UntypedFailure: Error {}

/// Throws the scripted failures in order, then encodes for real.
final class ScriptedEncoder: CaptureRecordEncoder, @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [any Error]
    init(failures: [any Error]) { self.failures = failures }
    func encode(_ image: FingerprintImage, finger: FingerPositionCode, quality: Int, captureDate: Date) throws
        -> [UInt8]
    {
        if let failure = lock.withLock({ failures.isEmpty ? nil : failures.removeFirst() }) { throw failure }
        return try ISORecordEncoder().encode(image, finger: finger, quality: quality, captureDate: captureDate)
    }
}

final class DecisionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [CaptureDecision] = []
    func add(_ decision: CaptureDecision) { lock.withLock { items.append(decision) } }
    var all: [CaptureDecision] { lock.withLock { items } }
}

/// A simulated scanner whose removal wait notes whether the record encoder had already started (waiting for it
/// up to 10 s: it runs on its own thread).
final class RemovalProbe: FingerprintScanner, @unchecked Sendable {
    let inner: SimulatedScanner
    let gate: Gate
    private let lock = NSLock()
    private var sawEncoder = false
    init(inner: SimulatedScanner, gate: Gate) {
        self.inner = inner
        self.gate = gate
    }
    var encoderHadStartedAtRemoval: Bool { lock.withLock { sawEncoder } }
    var deviceID: String { inner.deviceID }
    var profile: DeviceProfile { inner.profile }
    var events: AsyncStream<ScannerEvent> { inner.events }
    func open() async throws { try await inner.open() }
    func waitForFinger(timeout: Duration) async throws { try await inner.waitForFinger(timeout: timeout) }
    func captureImage() async throws -> FingerprintImage { try await inner.captureImage() }
    func waitForRemoval(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !gate.started && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let started = gate.started
        lock.withLock { sawEncoder = started }
        try await inner.waitForRemoval(timeout: timeout)
    }
    func cancel() { inner.cancel() }
    func close() async { await inner.close() }
}
