import Foundation

/// A fingerprint module that exists only in software, behind the same `FingerprintScanner` protocol, for demos and
/// tests. Each attempt takes the next condition from a script (or a fixed one), emits finger on/off events with
/// short delays, and can be told to fail: unplug (device lost) or time out.
public final class SimulatedScanner: FingerprintScanner, @unchecked Sendable {
    /// A fault to inject on the next operation.
    public enum Fault: Sendable, Hashable {
        /// The device disappears (during capture).
        case unplug
        /// The finger never arrives / the device stops answering.
        case timeout
        /// The finger stays on the sensor: the next wait for removal times out (the image already taken is fine).
        case fingerStays
    }

    /// The simulator's profile (no USB id).
    public static let profile = DeviceProfile(
        id: "simulated", name: "Simulated fingerprint module", vendorID: "0000", productID: "0000",
        driver: "simulated", width: 384, height: 290, resolutionPPI: 500,
        orientation: .init(inverted: false, flipHorizontal: false, flipVertical: false))

    public let deviceID: String
    public var profile: DeviceProfile { Self.profile }
    public var events: AsyncStream<ScannerEvent> { hub.stream }

    private let hub = ScannerEventHub()
    private let operations = OperationCanceller()
    private let generator: SyntheticFingerprint
    private let lock = NSLock()
    private var script: [SyntheticCondition]
    private let fallback: SyntheticCondition
    private var attempt: UInt64 = 0
    private var pendingFault: Fault?
    private var isOpen = false
    private var unplugged = false
    private let delay: Duration

    /// Builds a simulator producing `script` in order, then `fallback` forever.
    public init(
        id: String = "sim:0", script: [SyntheticCondition] = [], fallback: SyntheticCondition = .good,
        delay: Duration = .milliseconds(5), generator: SyntheticFingerprint = SyntheticFingerprint()
    ) {
        deviceID = id
        self.script = script
        self.fallback = fallback
        self.delay = delay
        self.generator = generator
    }

    /// Injects a fault into the next operation.
    public func inject(_ fault: Fault) { lock.withLock { pendingFault = fault } }

    private func takeFault(if wanted: Fault) -> Fault? {
        lock.withLock {
            guard pendingFault == wanted else { return nil }
            pendingFault = nil
            return wanted
        }
    }

    private func checkAttached() throws {
        try lock.withLock {
            if unplugged { throw BiometricError(.deviceLost, "simulated scanner unplugged") }
            if !isOpen { throw BiometricError(.noDevice, "simulated scanner is not open") }
        }
    }

    public func open() async throws {
        try lock.withLock {
            if unplugged { throw BiometricError(.noDevice, "simulated scanner unplugged") }
            isOpen = true
        }
    }

    public func waitForFinger(timeout: Duration) async throws {
        try await operations.run { try await self.fingerOn(timeout: timeout) }
    }

    private func fingerOn(timeout: Duration) async throws {
        try checkAttached()
        // Only a timeout belongs to the finger wait; an unplug stays pending for the capture itself.
        if takeFault(if: .timeout) != nil {
            try await Task.sleep(for: min(timeout, .milliseconds(50)))
            throw BiometricError(.timeout, "no finger on the simulated scanner")
        }
        try await Task.sleep(for: delay)
        hub.emit(.fingerOn)
    }

    public func captureImage() async throws -> FingerprintImage {
        try await operations.run { try await self.capture() }
    }

    private func capture() async throws -> FingerprintImage {
        try checkAttached()
        if let fault = takeFault(if: .unplug) ?? takeFault(if: .timeout) {
            switch fault {
            case .unplug:
                lock.withLock { unplugged = true }
                hub.emit(.deviceLost)
                throw BiometricError(.deviceLost, "simulated scanner unplugged mid-capture")
            case .timeout, .fingerStays:
                throw BiometricError(.timeout, "simulated scanner sent no frame")
            }
        }
        let (condition, seed): (SyntheticCondition, UInt64) = lock.withLock {
            attempt += 1
            let next = script.isEmpty ? fallback : script.removeFirst()
            return (next, attempt)
        }
        try Task.checkCancellation()
        let image = generator.generate(condition, seed: seed)
        hub.emit(.imageReady(width: image.width, height: image.height))
        return image
    }

    public func waitForRemoval(timeout: Duration) async throws {
        try await operations.run { try await self.fingerOff(timeout: timeout) }
    }

    private func fingerOff(timeout: Duration) async throws {
        try checkAttached()
        if takeFault(if: .fingerStays) != nil {
            try await Task.sleep(for: min(timeout, .milliseconds(50)))
            throw BiometricError(.timeout, "finger not lifted from the simulated scanner")
        }
        try await Task.sleep(for: delay)
        hub.emit(.fingerOff)
    }

    public func cancel() { operations.cancelAll() }

    public func close() async {
        lock.withLock { isOpen = false }
    }
}
