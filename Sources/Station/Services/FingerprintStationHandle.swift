import Biometrics
import ControlAPI
import Foundation

/// The fingerprint layer, or nothing when it could not be opened (the station still runs; capture refuses).
struct FingerprintStationHandle: Sendable {
    let station: FingerprintStation?

    func scanners() async -> [ScannerInfo] {
        guard let station, let found = try? await station.scanners() else { return [] }
        return found.map { ScannerInfo(id: $0.id, name: $0.name, driver: $0.driver) }
    }
}
