import Foundation

/// How the station's fingerprint layer is set up.
public struct BiometricsConfiguration: Sendable {
    /// Directory of device profiles (`Devices/biometric`).
    public var profilesDirectory: URL
    /// When set, a simulated scanner `sim:0` is offered (alone, or next to real ones) producing this script of
    /// conditions, then `.good`.
    public var simulator: [SyntheticCondition]?
    /// Whether real USB scanners are used.
    public var useUSB: Bool
    /// Frame-key seeds for drivers that need them (tests pin them; production leaves it empty = random).
    public var seeds: [UInt32]
    /// Capture policy (threshold, attempts, timeouts).
    public var policy: CapturePolicy
    /// Record edition and image compression.
    public var edition: FingerImageRecord.Edition
    /// See `edition`.
    public var compression: FingerImageCompression

    /// Builds a configuration.
    public init(
        profilesDirectory: URL = DeviceProfileCatalog.defaultDirectory(),
        simulator: [SyntheticCondition]? = nil, useUSB: Bool = true, seeds: [UInt32] = [],
        policy: CapturePolicy = CapturePolicy(), edition: FingerImageRecord.Edition = .iso2011,
        compression: FingerImageCompression = .jpeg2000Lossless
    ) {
        self.profilesDirectory = profilesDirectory
        self.simulator = simulator
        self.useUSB = useUSB
        self.seeds = seeds
        self.policy = policy
        self.edition = edition
        self.compression = compression
    }

    /// From the environment: `STATION_FINGERPRINT_SIMULATOR=good,dry,…` (or `1`) adds the simulator,
    /// `STATION_FINGERPRINT_USB=0` disables USB, `STATION_BIOMETRIC_PROFILES=DIR` sets the profiles directory.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> BiometricsConfiguration
    {
        var configuration = BiometricsConfiguration()
        if let value = environment["STATION_FINGERPRINT_SIMULATOR"], !value.isEmpty, value != "0" {
            configuration.simulator = value.split(separator: ",")
                .compactMap { SyntheticCondition(rawValue: String($0)) }
        }
        if environment["STATION_FINGERPRINT_USB"] == "0" { configuration.useUSB = false }
        return configuration
    }
}

/// A scanner the station can offer.
public struct ScannerDescriptor: Sendable, Hashable {
    /// Station-wide id (`usb:…` or `sim:0`).
    public var id: String
    /// Model name.
    public var name: String
    /// Driver family.
    public var driver: String
}

/// The fingerprint layer as the daemon uses it: lists scanners, captures for a session holding the scanner's
/// claim (one session at a time), builds the ISO record on its record-encoding thread (off the capture's critical
/// path) and chains it to the session's previous captures.
public actor FingerprintStation {
    /// The configuration in use.
    public let configuration: BiometricsConfiguration
    /// Scanner claims.
    public let claims: ScannerClaims
    private let catalog: DeviceProfileCatalog
    private let context: USBContext?
    private let simulator: SimulatedScanner?
    private var chains: [String: CaptureChain] = [:]
    /// Per session, the task that appends the latest capture to the chain (records link in capture order).
    private var tails: [String: Task<CaptureRecord, Error>] = [:]
    private let encoder: any CaptureRecordEncoder
    private let encodingQueue = RecordEncodingQueue()
    private let attempts: @Sendable (CaptureAttempt) -> Void

    /// Loads profiles and opens libusb (when USB is enabled). `encoder` builds the records (default: ISO/IEC
    /// 19794-4 in the configured edition and compression); it runs on the station's record-encoding thread.
    /// `attempts` sees every attempt of every capture as soon as it is decided (its quality known, before the
    /// finger-removal wait and before the capture returns), whoever started the capture: the daemon publishes it
    /// as the `capture.attempt` event. It runs inside the capture flow: it must return at once.
    public init(
        configuration: BiometricsConfiguration, claims: ScannerClaims = ScannerClaims(),
        encoder: (any CaptureRecordEncoder)? = nil,
        attempts: @escaping @Sendable (CaptureAttempt) -> Void = { _ in }
    ) throws {
        self.configuration = configuration
        self.claims = claims
        self.attempts = attempts
        self.encoder =
            encoder
            ?? ISORecordEncoder(
                edition: configuration.edition,
                compression: configuration.compression)
        catalog =
            configuration.useUSB
            ? try DeviceProfileCatalog(directory: configuration.profilesDirectory)
            : DeviceProfileCatalog(profiles: [])
        context = configuration.useUSB ? try USBContext() : nil
        simulator = configuration.simulator.map { SimulatedScanner(script: $0) }
    }

    private var directory: ScannerDirectory? {
        context.map { ScannerDirectory(context: $0, catalog: catalog, seeds: SeedSource(configuration.seeds)) }
    }

    /// Scanners available now.
    public func scanners() async throws -> [ScannerDescriptor] {
        var out: [ScannerDescriptor] = []
        if let directory {
            out += try await directory.scanners().map {
                ScannerDescriptor(id: $0.id, name: $0.profile.name, driver: $0.profile.driver)
            }
        }
        if let simulator {
            out.append(ScannerDescriptor(id: simulator.deviceID, name: simulator.profile.name, driver: "simulated"))
        }
        return out
    }

    private func scanner(_ id: String?) async throws -> any FingerprintScanner {
        if let simulator, id == simulator.deviceID || (id == nil && directory == nil) { return simulator }
        guard let directory else { throw BiometricError(.noDevice, "no scanner \(id ?? "configured")") }
        let found = try await directory.scanners()
        if let id {
            guard let match = found.first(where: { $0.id == id }) else {
                throw BiometricError(.noDevice, "no scanner \(id)")
            }
            return try directory.driver(for: match)
        }
        if let first = found.first { return try directory.driver(for: first) }
        if let simulator { return simulator }
        throw BiometricError(.noDevice, "no supported scanner attached")
    }

    /// Captures one finger for `owner` and waits for its record: `beginCapture` then `PendingCapture.record()`.
    public func capture(
        for owner: ClaimOwner, deviceID: String? = nil, finger: FingerPositionCode,
        advise: @escaping @Sendable ([CaptureAdvice]) -> Void = { _ in }
    ) async throws
        -> (CaptureRecord, CaptureOutcome)
    {
        let pending = try await beginCapture(for: owner, deviceID: deviceID, finger: finger, advise: advise)
        return (try await pending.record(), pending.outcome)
    }

    /// Captures one finger for `owner`: claims the scanner for the duration and runs the capture flow. Returns as
    /// soon as the flow ends, with the image and its quality; the record (JPEG 2000 + ISO/IEC 19794-4) is encoded
    /// on the record-encoding thread from the moment the image was accepted, and is appended to the session's hash
    /// chain in capture order when done, whether or not anyone awaits it. `decided` sees every attempt's image
    /// and accept/retry decision as soon as its quality is known.
    public func beginCapture(
        for owner: ClaimOwner, deviceID: String? = nil, finger: FingerPositionCode,
        advise: @escaping @Sendable ([CaptureAdvice]) -> Void = { _ in },
        decided: @escaping @Sendable (CaptureDecision) -> Void = { _ in }
    ) async throws
        -> PendingCapture
    {
        let scanner = try await scanner(deviceID)
        let (policy, encoder, queue) = (configuration.policy, self.encoder, encodingQueue)
        let (observer, session) = (attempts, owner.session)
        let decidedAndReported: @Sendable (CaptureDecision) -> Void = { decision in
            observer(CaptureAttempt(decision, session: session, finger: finger))
            decided(decision)
        }
        let pipelined = try await claims.withClaim(scanner.deviceID, for: owner) {
            try await scanner.open()
            do {
                let pipelined = try await CaptureFlow(policy: policy)
                    .runPipelined(
                        on: scanner, finger: finger, encoder: encoder, queue: queue, advise: advise,
                        decided: decidedAndReported)
                await scanner.close()
                return pipelined
            } catch {
                await scanner.close()
                throw error
            }
        }
        let previous = tails[session]
        let (device, quality, date, encoding) = (
            scanner.deviceID, pipelined.outcome.quality.score,
            pipelined.captureDate, pipelined.encoding
        )
        let task = Task { () async throws -> CaptureRecord in
            _ = await previous?.result  // link after the session's earlier capture (a failed one is not linked)
            let bytes = try await encoding.value()
            return self.link(
                session: session, isoRecord: bytes, deviceID: device, finger: finger,
                quality: quality, timestamp: date)
        }
        tails[session] = task
        return PendingCapture(
            outcome: pipelined.outcome, deviceID: device, finger: finger, captureDate: date,
            encoding: encoding, linked: task)
    }

    private func link(
        session: String, isoRecord: [UInt8], deviceID: String, finger: FingerPositionCode, quality: Int,
        timestamp: Date
    ) -> CaptureRecord {
        var chain = chains[session] ?? CaptureChain()
        let capture = chain.append(
            isoRecord: isoRecord, deviceID: deviceID, finger: finger, quality: quality,
            timestamp: timestamp)
        chains[session] = chain
        return capture
    }

    /// The session's captures, oldest first.
    public func captures(of session: String) -> [CaptureRecord] { chains[session]?.records ?? [] }

    /// The session ended: its claims are released and its chain forgotten.
    /// Records still being encoded are waited for first, so none is linked into a forgotten chain.
    public func endSession(_ session: String) async {
        await claims.sessionEnded(session)
        while let tail = tails[session] {
            _ = await tail.result
            if tails[session] == tail { break }  // no capture of the session began meanwhile
        }
        tails[session] = nil
        chains[session] = nil
    }
}
