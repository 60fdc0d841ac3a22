import Foundation

/// A change in the set of supported scanners.
public enum ScannerChange: Sendable, Hashable {
    /// A supported scanner was plugged in.
    case attached(DiscoveredScanner)
    /// A supported scanner went away.
    case detached(DiscoveredScanner)
}

/// Pure bookkeeping of attached scanners: feeds on USB hot-plug events or on full re-scans and reports only
/// changes that concern supported (profiled) devices.
public struct ScannerSet: Sendable {
    /// Known profiles.
    public let catalog: DeviceProfileCatalog
    /// Scanners currently attached, by id.
    public private(set) var attached: [String: DiscoveredScanner] = [:]

    /// Builds an empty set.
    public init(catalog: DeviceProfileCatalog) { self.catalog = catalog }

    private func discovered(_ device: USBDeviceInfo) -> DiscoveredScanner? {
        catalog.profile(vendor: device.vendorID, product: device.productID)
            .map { DiscoveredScanner(device: device, profile: $0) }
    }

    /// Applies one hot-plug event.
    public mutating func apply(_ event: USBHotplugEvent) -> ScannerChange? {
        switch event {
        case .arrived(let device):
            guard let scanner = discovered(device), attached[scanner.id] == nil else { return nil }
            attached[scanner.id] = scanner
            return .attached(scanner)
        case .left(let device):
            guard let scanner = attached.removeValue(forKey: device.id) else { return nil }
            return .detached(scanner)
        }
    }

    /// Replaces the state with a full scan and returns the differences (detached first, then attached).
    public mutating func rescan(_ devices: [USBDeviceInfo]) -> [ScannerChange] {
        let now = Dictionary(
            devices.compactMap(discovered).map { ($0.id, $0) },
            uniquingKeysWith: { first, _ in first })
        var changes: [ScannerChange] = []
        for (id, scanner) in attached.sorted(by: { $0.key < $1.key }) where now[id] == nil {
            changes.append(.detached(scanner))
        }
        for (id, scanner) in now.sorted(by: { $0.key < $1.key }) where attached[id] == nil {
            changes.append(.attached(scanner))
        }
        attached = now
        return changes
    }
}

/// Watches the bus: an initial scan, then libusb hot-plug events (or half-second re-scans where libusb has no
/// hot-plug support), reduced to supported-scanner changes.
public struct ScannerMonitor: Sendable {
    /// The USB context.
    public let context: USBContext
    /// Known profiles.
    public let catalog: DeviceProfileCatalog

    /// Builds a monitor.
    public init(context: USBContext, catalog: DeviceProfileCatalog) {
        self.context = context
        self.catalog = catalog
    }

    /// Changes, starting with one `.attached` per scanner already present. Ends when the consuming task is
    /// cancelled.
    public func changes() async throws -> AsyncStream<ScannerChange> {
        var set = ScannerSet(catalog: catalog)
        let initial = set.rescan(try await context.devices())
        let events = await context.hotplugEvents()
        let start = set
        return AsyncStream { continuation in
            for change in initial { continuation.yield(change) }
            let task = Task {
                var state = start
                for await event in events {
                    if let change = state.apply(event) { continuation.yield(change) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
