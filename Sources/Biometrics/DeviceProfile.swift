import Foundation

/// How a model of fingerprint module is driven and what its images look like. Loaded from JSON files in
/// `Devices/biometric/` (never compiled into the binary), so a new variant of a known family needs no rebuild.
public struct DeviceProfile: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Short stable id, e.g. `uru4000b`.
    public var id: String
    /// Marketing name.
    public var name: String
    /// USB vendor id as 4 hex digits (JSON keeps it readable: `"05ba"`).
    public var vendorID: String
    /// USB product id as 4 hex digits.
    public var productID: String
    /// Driver family that speaks its protocol: `uru4000`, `nb1010`.
    public var driver: String
    /// Image width in pixels as delivered by the driver.
    public var width: Int
    /// Image height in pixels.
    public var height: Int
    /// Resolution in pixels per inch (no driver reports it over USB; from the vendor or libfprint's 500 ppi).
    public var resolutionPPI: Int
    /// Turns the sensor's raw frame into a finger as seen from the fingertip, ridges dark.
    public var orientation: Orientation
    /// `press` or `swipe`.
    public var scanType: String
    /// Protocol variations: `encrypted-frames` (always fetch the frame key), `challenge-response` (MS v2 AES).
    public var quirks: [String]

    /// What to do with a raw frame: inversion first, then flips.
    public struct Orientation: Sendable, Hashable, Codable {
        /// Raw frames have light ridges.
        public var inverted: Bool
        /// Mirror left–right.
        public var flipHorizontal: Bool
        /// Mirror top–bottom.
        public var flipVertical: Bool

        /// Builds an orientation.
        public init(inverted: Bool, flipHorizontal: Bool, flipVertical: Bool) {
            self.inverted = inverted
            self.flipHorizontal = flipHorizontal
            self.flipVertical = flipVertical
        }

        /// Applies the orientation to a raw frame.
        public func apply(_ image: FingerprintImage) -> FingerprintImage {
            var out = inverted ? image.inverted() : image
            if flipHorizontal { out = out.flippedHorizontally() }
            if flipVertical { out = out.flippedVertically() }
            return out
        }
    }

    /// Whether the profile lists `quirk`.
    public func has(_ quirk: String) -> Bool { quirks.contains(quirk) }

    /// Numeric vendor id.
    public var vendor: UInt16 { UInt16(vendorID, radix: 16) ?? 0 }
    /// Numeric product id.
    public var product: UInt16 { UInt16(productID, radix: 16) ?? 0 }

    /// Builds a profile.
    public init(
        id: String, name: String, vendorID: String, productID: String, driver: String, width: Int,
        height: Int, resolutionPPI: Int, orientation: Orientation, scanType: String = "press",
        quirks: [String] = []
    ) {
        self.id = id
        self.name = name
        self.vendorID = vendorID
        self.productID = productID
        self.driver = driver
        self.width = width
        self.height = height
        self.resolutionPPI = resolutionPPI
        self.orientation = orientation
        self.scanType = scanType
        self.quirks = quirks
    }

    public var description: String { "\(id) (\(vendorID):\(productID), \(driver))" }
}

/// The set of known device profiles, read from a directory of `*.json` files (each an object
/// `{"profiles": [...]}`).
public struct DeviceProfileCatalog: Sendable {
    /// All profiles, in file then list order.
    public var profiles: [DeviceProfile]

    private struct File: Codable { var profiles: [DeviceProfile] }

    /// Builds a catalogue from profiles.
    public init(profiles: [DeviceProfile]) { self.profiles = profiles }

    /// Loads every `*.json` under `directory`. Duplicated USB ids or malformed files are configuration errors.
    public init(directory: URL) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw BiometricError(.configuration, "cannot list device profiles in \(directory.path)")
        }
        var all: [DeviceProfile] = []
        var seen: Set<String> = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            do {
                let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
                for profile in file.profiles {
                    let key = "\(profile.vendorID.lowercased()):\(profile.productID.lowercased())"
                    guard profile.vendorID.count == 4, profile.productID.count == 4,
                        UInt16(profile.vendorID, radix: 16) != nil, UInt16(profile.productID, radix: 16) != nil
                    else {
                        throw BiometricError(.configuration, "\(name): bad USB id \(key)")
                    }
                    guard seen.insert(key).inserted else {
                        throw BiometricError(.configuration, "\(name): USB id \(key) defined twice")
                    }
                    guard profile.width > 0, profile.height > 0, profile.resolutionPPI > 0 else {
                        throw BiometricError(.configuration, "\(name): \(profile.id) has no geometry")
                    }
                    all.append(profile)
                }
            } catch let error as BiometricError {
                throw error
            } catch {
                throw BiometricError(.configuration, "\(name): \(error)")
            }
        }
        profiles = all
    }

    /// The profile for a USB id, if any.
    public func profile(vendor: UInt16, product: UInt16) -> DeviceProfile? {
        profiles.first { $0.vendor == vendor && $0.product == product }
    }

    /// Default directory: `$STATION_BIOMETRIC_PROFILES`, else `Devices/biometric` next to the executable or in
    /// one of its parent directories (the package root during development), else `/usr/share/stationd/biometric`.
    public static func defaultDirectory(executable: String = CommandLine.arguments.first ?? ".") -> URL {
        if let configured = ProcessInfo.processInfo.environment["STATION_BIOMETRIC_PROFILES"], !configured.isEmpty {
            return URL(fileURLWithPath: configured)
        }
        var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("Devices/biometric")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "/usr/share/stationd/biometric")
    }
}
