import Foundation

/// A supported scanner found on the bus, with the profile that matched it.
public struct DiscoveredScanner: Sendable, Hashable, CustomStringConvertible {
    /// The USB device.
    public var device: USBDeviceInfo
    /// Its profile.
    public var profile: DeviceProfile
    /// Station-wide id.
    public var id: String { device.id }
    public var description: String { "\(device.id) \(profile.name)" }
}

/// Matches USB devices against the profile catalogue and builds the driver for each.
public struct ScannerDirectory: Sendable {
    /// The libusb context drivers use.
    public let context: USBContext
    /// Known profiles.
    public let catalog: DeviceProfileCatalog
    /// Seeds for drivers that need them.
    public let seeds: SeedSource

    /// Builds a directory.
    public init(context: USBContext, catalog: DeviceProfileCatalog, seeds: SeedSource = SeedSource()) {
        self.context = context
        self.catalog = catalog
        self.seeds = seeds
    }

    /// Supported scanners attached now.
    public func scanners() async throws -> [DiscoveredScanner] {
        try await context.devices().compactMap { device in
            catalog.profile(vendor: device.vendorID, product: device.productID)
                .map { DiscoveredScanner(device: device, profile: $0) }
        }
    }

    /// The driver for a discovered scanner.
    public func driver(for scanner: DiscoveredScanner) throws -> any FingerprintScanner {
        switch scanner.profile.driver {
        case "uru4000":
            return URU4000Driver(context: context, device: scanner.device, profile: scanner.profile, seeds: seeds)
        case "nb1010":
            return NB1010Driver(context: context, device: scanner.device, profile: scanner.profile)
        default:
            throw BiometricError(
                .configuration, "profile \(scanner.profile.id) names unknown driver \(scanner.profile.driver)")
        }
    }
}
