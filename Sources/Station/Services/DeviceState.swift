import ControlAPI
import Foundation

/// What the monitors last saw: readers, cards, scanners, and whether pcscd is reachable.
final class DeviceState: Sendable {
    private struct Snapshot {
        var pcscAvailable = false
        var readers: [String: ReaderInfo] = [:]
        var scanners: [ScannerInfo] = []
    }

    private let state = Mutex(Snapshot())

    var readers: [ReaderInfo] { state.withLock { $0.readers.values.sorted { $0.name < $1.name } } }
    var scanners: [ScannerInfo] { state.withLock { $0.scanners } }
    var pcscAvailable: Bool { state.withLock { $0.pcscAvailable } }

    func setPCSC(_ available: Bool) {
        state.withLock {
            $0.pcscAvailable = available
            if !available { $0.readers = [:] }
        }
    }
    func addReader(_ name: String) {
        state.withLock {
            $0.readers[name] = $0.readers[name] ?? ReaderInfo(name: name, cardPresent: false, atr: nil)
        }
    }
    func removeReader(_ name: String) { _ = state.withLock { $0.readers.removeValue(forKey: name) } }
    func card(in reader: String, atr: String?) {
        state.withLock {
            $0.readers[reader] = ReaderInfo(name: reader, cardPresent: atr != nil, atr: atr)
        }
    }
    func setScanners(_ scanners: [ScannerInfo]) { state.withLock { $0.scanners = scanners } }

    /// The first reader holding a card.
    var firstReaderWithCard: String? { readers.first { $0.cardPresent }?.name }

    func status() -> DevicesStatus {
        DevicesStatus(pcscAvailable: pcscAvailable, readers: readers, fingerprintScanners: scanners)
    }
}
