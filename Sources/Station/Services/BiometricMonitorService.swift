import ControlAPI
import Foundation
import ServiceLifecycle

/// Lists fingerprint scanners periodically (USB hot-plug without a libusb hotplug thread).
struct BiometricMonitorService: Service {
    let station: FingerprintStationHandle
    let devices: DeviceState
    let hub: EventHub
    let period: Double

    func run() async throws {
        // Sleeps are cut short by the graceful shutdown (cancelWhenGracefulShutdown cancels the loop).
        try? await cancelWhenGracefulShutdown {
            var last: [ScannerInfo] = devices.scanners
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(period))
                let now = await station.scanners()
                if now != last {
                    devices.setScanners(now)
                    hub.publish(StationEvent(type: "scanners.changed", state: "\(now.count)", at: Date()))
                    last = now
                }
            }
        }
    }
}
