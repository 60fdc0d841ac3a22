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
    public init(profilesDirectory: URL = DeviceProfileCatalog.defaultDirectory(),
                simulator: [SyntheticCondition]? = nil, useUSB: Bool = true, seeds: [UInt32] = [],
                policy: CapturePolicy = CapturePolicy(), edition: FingerImageRecord.Edition = .iso2011,
                compression: FingerImageCompression = .jpeg2000Lossless) {
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
        -> BiometricsConfiguration {
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
/// claim (one session at a time), builds the ISO record and chains it to the session's previous captures.
public actor FingerprintStation {
    /// The configuration in use.
    public let configuration: BiometricsConfiguration
    /// Scanner claims.
    public let claims: ScannerClaims
    private let catalog: DeviceProfileCatalog
    private let context: USBContext?
    private let simulator: SimulatedScanner?
    private var chains: [String: CaptureChain] = [:]

    /// Loads profiles and opens libusb (when USB is enabled).
    public init(configuration: BiometricsConfiguration, claims: ScannerClaims = ScannerClaims()) throws {
        self.configuration = configuration
        self.claims = claims
        catalog = configuration.useUSB ? try DeviceProfileCatalog(directory: configuration.profilesDirectory)
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

    /// Captures one finger for `owner`: claims the scanner for the duration, runs the capture flow, builds the
    /// record and appends it to the session's hash chain.
    public func capture(for owner: ClaimOwner, deviceID: String? = nil, finger: FingerPosition,
                        advise: @escaping @Sendable ([CaptureAdvice]) -> Void = { _ in }) async throws
        -> (CaptureRecord, CaptureOutcome) {
        let scanner = try await scanner(deviceID)
        let configuration = self.configuration
        let outcome = try await claims.withClaim(scanner.deviceID, for: owner) {
            try await scanner.open()
            do {
                let outcome = try await CaptureFlow(policy: configuration.policy).run(on: scanner, advise: advise)
                await scanner.close()
                return outcome
            } catch {
                await scanner.close()
                throw error
            }
        }
        let record = try RecordBuilder.record(for: outcome.image, finger: finger, quality: outcome.quality.score,
                                              edition: configuration.edition, compression: configuration.compression)
        var chain = chains[owner.session] ?? CaptureChain()
        let capture = chain.append(isoRecord: try record.encoded(), deviceID: scanner.deviceID, finger: finger,
                                   quality: outcome.quality.score)
        chains[owner.session] = chain
        return (capture, outcome)
    }

    /// The session's captures, oldest first.
    public func captures(of session: String) -> [CaptureRecord] { chains[session]?.records ?? [] }

    /// The session ended: its claims are released and its chain forgotten.
    public func endSession(_ session: String) async {
        await claims.sessionEnded(session)
        chains[session] = nil
    }
}
