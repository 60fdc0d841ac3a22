import Foundation

/// NEXT Biometrics NB-1010-U: bulk only. Commands go to endpoint 0x02, 16-byte replies come from 0x83:
/// check finger (`80 38`, reply byte 12 > 0x30 means a finger), pre-capture (`80 0D`), capture (`80 12`), then
/// 90 reads of 540 bytes, each a 25-byte header and two 256-pixel rows. No obfuscation, no inversion.
public final class NB1010Driver: FingerprintScanner, @unchecked Sendable {
    static let checkFinger: [UInt8] = [0x80, 0x38, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00]
    static let preCapture: [UInt8] = [0x80, 0x0D, 0x03, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00]
    static let capture: [UInt8] =
        [0x80, 0x12, 0x04, 0x00, 0x20, 0x00, 0x00, 0x00, 0x02]
        + [UInt8](repeating: 0, count: 19) + [0x20, 0x00, 0x00, 0x00]
    static let outEndpoint: UInt8 = 0x02
    static let inEndpoint: UInt8 = 0x83
    static let replyLength = 16
    static let chunkLength = 540
    static let chunkHeader = 25
    static let chunks = 90
    static let width = 256
    static let height = 180
    static let timeout: Duration = .milliseconds(500)
    static let pollInterval: Duration = .milliseconds(50)
    /// Reply byte 12 above this means a finger is on the sensor.
    static let fingerThreshold: UInt8 = 0x30

    public let profile: DeviceProfile
    public var deviceID: String { device.id }
    public var events: AsyncStream<ScannerEvent> { hub.stream }

    private let context: USBContext
    private let device: USBDeviceInfo
    private let hub = ScannerEventHub()
    private let operations = OperationCanceller()
    private let lock = NSLock()
    private var handle: USBDeviceHandle?
    private var interfaceNumber: UInt8 = 0

    /// Builds a driver for an enumerated device.
    public init(context: USBContext, device: USBDeviceInfo, profile: DeviceProfile) {
        self.context = context
        self.device = device
        self.profile = profile
    }

    private func io() throws -> USBDeviceHandle {
        lock.lock()
        defer { lock.unlock() }
        guard let handle else { throw BiometricError(.noDevice, "NB-1010 \(device.id) is not open") }
        return handle
    }

    private func command(_ bytes: [UInt8], expect reply: UInt8) async throws -> [UInt8] {
        let handle = try io()
        do {
            try await handle.bulkOut(endpoint: Self.outEndpoint, data: bytes, timeout: Self.timeout)
            let answer = try await handle.bulkIn(
                endpoint: Self.inEndpoint, length: Self.replyLength,
                timeout: Self.timeout)
            guard answer.count >= 13, answer[0] == 0x80, answer[1] == reply else {
                throw BiometricError(.protocolError, "NB-1010 answered an unexpected reply to command \(bytes[1])")
            }
            return answer
        } catch let error as BiometricError where error.code == .deviceLost {
            hub.emit(.deviceLost)
            throw error
        }
    }

    public func open() async throws {
        let handle = try await context.open(device)
        do {
            try await handle.claimInterface(0)
        } catch {
            await handle.close()
            throw error
        }
        lock.withLock { self.handle = handle }
    }

    /// Polls "check finger" every 50 ms.
    public func waitForFinger(timeout: Duration) async throws {
        try await operations.run { try await self.fingerOn(timeout: timeout) }
    }

    private func fingerOn(timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let reply = try await command(Self.checkFinger, expect: 0x37)
            if reply[12] > Self.fingerThreshold {
                hub.emit(.fingerOn)
                return
            }
            guard ContinuousClock.now < deadline else { throw BiometricError(.timeout, "no finger on the NB-1010") }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    public func captureImage() async throws -> FingerprintImage {
        try await operations.run { try await self.capture() }
    }

    private func capture() async throws -> FingerprintImage {
        _ = try await command(Self.preCapture, expect: 0x20)
        _ = try await command(Self.capture, expect: 0x20)
        let handle = try io()
        var pixels: [UInt8] = []
        pixels.reserveCapacity(Self.width * Self.height)
        let rowBytes = (Self.width * Self.height) / Self.chunks
        do {
            for _ in 0..<Self.chunks {
                let chunk = try await handle.bulkIn(
                    endpoint: Self.inEndpoint, length: Self.chunkLength,
                    timeout: Self.timeout)
                guard chunk.count >= Self.chunkHeader + rowBytes else {
                    hub.emit(.retry(.tooShort))
                    throw BiometricError(.protocolError, "NB-1010 image chunk of \(chunk.count) bytes")
                }
                pixels.append(contentsOf: chunk[Self.chunkHeader..<(Self.chunkHeader + rowBytes)])
            }
        } catch let error as BiometricError where error.code == .deviceLost {
            hub.emit(.deviceLost)
            throw error
        }
        var image = profile.orientation.apply(FingerprintImage(width: Self.width, height: Self.height, pixels: pixels))
        image.resolutionPPI = profile.resolutionPPI
        hub.emit(.imageReady(width: image.width, height: image.height))
        return image
    }

    /// Polls until the finger-presence byte drops.
    public func waitForRemoval(timeout: Duration) async throws {
        try await operations.run { try await self.fingerOff(timeout: timeout) }
    }

    private func fingerOff(timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let reply = try await command(Self.checkFinger, expect: 0x37)
            if reply[12] <= Self.fingerThreshold {
                hub.emit(.fingerOff)
                return
            }
            guard ContinuousClock.now < deadline else { throw BiometricError(.timeout, "finger not lifted") }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    public func cancel() { operations.cancelAll() }

    public func close() async {
        let handle: USBDeviceHandle? = lock.withLock {
            defer { self.handle = nil }
            return self.handle
        }
        await handle?.close()
        hub.finish()
    }
}
