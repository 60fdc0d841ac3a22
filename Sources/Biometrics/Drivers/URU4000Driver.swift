import Foundation

/// DigitalPersona U.are.U 4000/4000B/4500 and the Microsoft readers built on it.
///
/// Protocol: registers over vendor control transfers (`C0 04 reg 0 n` read, `40 04 reg 0 n` write), events on the
/// interrupt endpoint 0x81 (first two bytes big-endian: 56AA scan power on, 0101 finger on, 0200 finger off,
/// 0800 trouble ahead), the frame on bulk endpoint 0x82. Modes (register 0x4E): 10 await finger, 12 await removal,
/// 20 capture, 70 off. Frames may be obfuscated: see `URU4000Frame`.
public final class URU4000Driver: FingerprintScanner, @unchecked Sendable {
    enum Register {
        static let hardwareStatus: UInt16 = 0x07
        static let scrambleIndex: UInt16 = 0x33
        static let scrambleKey: UInt16 = 0x34
        static let mode: UInt16 = 0x4E
        static let deviceInfo: UInt16 = 0xF0
        static let response: UInt16 = 0x2000
        static let challenge: UInt16 = 0x2010
    }
    enum Mode {
        static let awaitFingerOn: UInt8 = 0x10
        static let awaitFingerOff: UInt8 = 0x12
        static let capture: UInt8 = 0x20
        static let off: UInt8 = 0x70
    }
    enum Interrupt {
        static let scanPowerOn: UInt16 = 0x56AA
        static let fingerOn: UInt16 = 0x0101
        static let fingerOff: UInt16 = 0x0200
        static let death: UInt16 = 0x0800
    }
    /// AES-128 key of the Microsoft v2 challenge–response (libfprint `crkey`).
    static let challengeKey: [UInt8] = [
        0x79, 0xAC, 0x91, 0x79, 0x5C, 0xA1, 0x47, 0x8E,
        0x98, 0xE0, 0x0F, 0x3C, 0x59, 0x8F, 0x5F, 0x4B,
    ]
    static let controlTimeout: Duration = .seconds(5)
    static let interruptEndpoint: UInt8 = 0x81
    static let dataEndpoint: UInt8 = 0x82

    public let profile: DeviceProfile
    public var deviceID: String { device.id }
    public var events: AsyncStream<ScannerEvent> { hub.stream }

    private let context: USBContext
    private let device: USBDeviceInfo
    private let seeds: SeedSource
    private let hub = ScannerEventHub()
    private let operations = OperationCanceller()
    private let lock = NSLock()
    private var handle: USBDeviceHandle?
    private var pipe: USBInterruptPipe?
    private var interfaceNumber: UInt8 = 0
    /// Firmware/hardware version bytes from register 0xF0 (not personal data).
    public private(set) var deviceInfo: [UInt8] = []

    /// Builds a driver for an enumerated device; `seeds` supplies the frame-key seeds.
    public init(context: USBContext, device: USBDeviceInfo, profile: DeviceProfile, seeds: SeedSource = SeedSource()) {
        self.context = context
        self.device = device
        self.profile = profile
        self.seeds = seeds
    }

    private func io() throws -> (USBDeviceHandle, USBInterruptPipe) {
        lock.lock()
        defer { lock.unlock() }
        guard let handle, let pipe else { throw BiometricError(.noDevice, "U.are.U \(device.id) is not open") }
        return (handle, pipe)
    }

    // MARK: Registers

    func readRegisters(_ register: UInt16, count: Int) async throws -> [UInt8] {
        let (handle, _) = try io()
        let data = try await handle.controlIn(
            requestType: 0x40, request: 0x04, value: register, index: 0,
            length: count, timeout: Self.controlTimeout)
        guard data.count == count else {
            throw BiometricError(
                .protocolError, "register 0x\(String(register, radix: 16)): \(data.count) of \(count) bytes")
        }
        return data
    }

    func writeRegisters(_ register: UInt16, _ values: [UInt8]) async throws {
        let (handle, _) = try io()
        try await handle.controlOut(
            requestType: 0x40, request: 0x04, value: register, index: 0, data: values,
            timeout: Self.controlTimeout)
    }

    func nextInterrupt(timeout: Duration) async throws -> UInt16 {
        let (handle, pipe) = try io()
        do {
            let report = try await handle.next(pipe, timeout: timeout)
            guard report.count >= 2 else { throw BiometricError(.protocolError, "short interrupt report") }
            return UInt16(report[0]) << 8 | UInt16(report[1])
        } catch let error as BiometricError where error.code == .deviceLost {
            hub.emit(.deviceLost)
            throw error
        }
    }

    /// Waits for interrupt `type`, ignoring others (a 0800 is noted: the next frame may come back empty).
    func awaitInterrupt(_ type: UInt16, timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw BiometricError(.timeout, "interrupt \(String(type, radix: 16)) not seen")
            }
            if try await nextInterrupt(timeout: remaining) == type { return }
        }
    }

    // MARK: FingerprintScanner

    public func open() async throws {
        let handle = try await context.open(device)
        do {
            let interface = device.interfaces.first {
                $0.interfaceClass == 0xFF && $0.subclass == 0xFF && $0.interfaceProtocol == 0xFF
            }
            guard let interface else { throw BiometricError(.protocolError, "no vendor interface (FF/FF/FF)") }
            try await handle.claimInterface(interface.number)
            let pipe = try await handle.startInterruptPipe(endpoint: Self.interruptEndpoint, length: 64)
            lock.withLock {
                self.handle = handle
                self.pipe = pipe
                interfaceNumber = interface.number
            }
            try await initialise()
        } catch {
            await close()
            await handle.close()
            throw error
        }
    }

    /// Power sequence: fix a confused power state, power down, power up until bit 7 clears, wait for 56AA.
    private func initialise() async throws {
        for attempt in 1...3 {
            var status = try await readRegisters(Register.hardwareStatus, count: 1)[0]
            if status & 0x84 == 0x84 {
                try await writeRegisters(Register.hardwareStatus, [status & 0x0F])
                var rebooted = false
                for _ in 0..<100 {
                    status = try await readRegisters(Register.hardwareStatus, count: 1)[0]
                    if status & 0x01 != 0 {
                        rebooted = true
                        break
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
                guard rebooted else { throw BiometricError(.protocolError, "could not reboot scanner power") }
            }
            if status & 0x80 == 0 {
                try await writeRegisters(Register.hardwareStatus, [status | 0x80])
            }
            let powerUp = status & 0x0F
            var poweredUp = false
            for _ in 0..<100 {
                try await writeRegisters(Register.hardwareStatus, [powerUp])
                status = try await readRegisters(Register.hardwareStatus, count: 1)[0]
                if status & 0x80 == 0 {
                    poweredUp = true
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
                if profile.has("challenge-response") { try await challengeResponse() }
            }
            guard poweredUp else { throw BiometricError(.protocolError, "could not power the scanner up") }
            do {
                try await awaitInterrupt(Interrupt.scanPowerOn, timeout: .milliseconds(300))
                deviceInfo = try await readRegisters(Register.deviceInfo, count: 16)
                return
            } catch let error as BiometricError where error.code == .timeout && attempt < 3 {
                continue
            }
        }
    }

    /// Microsoft v2: read the 16-byte challenge, answer AES-128-ECB(challenge) under the fixed key.
    func challengeResponse() async throws {
        let challenge = try await readRegisters(Register.challenge, count: 16)
        let response = try CryptoPrimitives.aes128EncryptBlock(key: Self.challengeKey, block: challenge)
        try await writeRegisters(Register.response, response)
    }

    public func waitForFinger(timeout: Duration) async throws {
        try await operations.run { try await self.fingerOn(timeout: timeout) }
    }

    private func fingerOn(timeout: Duration) async throws {
        try await writeRegisters(Register.mode, [Mode.awaitFingerOn])
        try await awaitInterrupt(Interrupt.fingerOn, timeout: timeout)
        hub.emit(.fingerOn)
    }

    public func captureImage() async throws -> FingerprintImage {
        try await operations.run { try await self.capture() }
    }

    private func capture() async throws -> FingerprintImage {
        let (handle, _) = try io()
        for _ in 0..<3 {
            // The bulk IN is posted before the mode change that makes the sensor send.
            let pending = try await handle.submit(
                .bulk(endpoint: Self.dataEndpoint),
                inLength: URU4000Frame.transferLength, timeout: .zero)
            do {
                try await writeRegisters(Register.mode, [Mode.capture])
            } catch {
                await handle.abandon(pending)
                throw error
            }
            let bytes = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                group.addTask { try await handle.wait(pending) }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    throw BiometricError(.timeout, "no frame from the U.are.U within 5 s")
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            var frame: URU4000Frame
            do {
                frame = try URU4000Frame(bytes)
            } catch {
                hub.emit(.retry(.tooShort))
                continue
            }
            let seeds = self.seeds
            let raw = try await frame.decode(alwaysEncrypted: profile.has("encrypted-frames")) { keyNumber in
                let seed = seeds.next()
                try await self.writeRegisters(
                    Register.scrambleIndex,
                    [
                        keyNumber, UInt8(seed & 0xFF),
                        UInt8(seed >> 8 & 0xFF),
                        UInt8(seed >> 16 & 0xFF), UInt8(seed >> 24),
                    ])
                let key = try await self.readRegisters(Register.scrambleKey, count: 4)
                let deviceKey = UInt32(key[0]) | UInt32(key[1]) << 8 | UInt32(key[2]) << 16 | UInt32(key[3]) << 24
                return deviceKey ^ seed
            }
            var image = profile.orientation.apply(raw)
            image.resolutionPPI = profile.resolutionPPI
            hub.emit(.imageReady(width: image.width, height: image.height))
            return image
        }
        throw BiometricError(.protocolError, "U.are.U sent three malformed frames")
    }

    public func waitForRemoval(timeout: Duration) async throws {
        try await operations.run { try await self.fingerOff(timeout: timeout) }
    }

    private func fingerOff(timeout: Duration) async throws {
        try await writeRegisters(Register.mode, [Mode.awaitFingerOff])
        try await awaitInterrupt(Interrupt.fingerOff, timeout: timeout)
        hub.emit(.fingerOff)
    }

    public func cancel() { operations.cancelAll() }

    public func close() async {
        let (handle, pipe): (USBDeviceHandle?, USBInterruptPipe?) = lock.withLock {
            defer {
                self.handle = nil
                self.pipe = nil
            }
            return (self.handle, self.pipe)
        }
        guard let handle else { return }
        if let pipe {
            // Switch the sensor off while the interrupt endpoint is still pending (the order the device expects).
            _ = try? await handle.controlOut(
                requestType: 0x40, request: 0x04, value: Register.mode, index: 0,
                data: [Mode.off], timeout: .seconds(1))
            await handle.stop(pipe)
        }
        await handle.close()
        hub.finish()
    }
}
