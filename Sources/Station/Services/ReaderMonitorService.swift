import ControlAPI
import Foundation
import Logging
import Queue
import ServiceLifecycle
import SmartCard

/// Follows PC/SC reader and card events: updates `DeviceState`, publishes events, tells the intake session
/// when its card leaves the reader.
struct ReaderMonitorService: Service {
    let devices: DeviceState
    let hub: EventHub
    let intake: IntakeCoordinator
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        let monitor = CardReaders().events()
        try await withGracefulShutdownHandler {
            for await event in monitor {
                await handle(event)
            }
        } onGracefulShutdown: {
            monitor.stop()
        }
    }

    private func handle(_ event: ReaderEvent) async {
        let now = Date()
        switch event {
        case .readerAdded(let name):
            devices.setPCSC(true)
            devices.addReader(name)
            hub.publish(StationEvent(type: "reader.added", reader: name, at: now))
        case .readerRemoved(let name):
            devices.removeReader(name)
            hub.publish(StationEvent(type: "reader.removed", reader: name, at: now))
            await intake.cardRemoved(from: name)
        case .cardInserted(let reader, let atr):
            devices.card(in: reader, atr: atr.bytes.map { String(format: "%02X", $0) }.joined())
            hub.publish(StationEvent(type: "card.inserted", reader: reader, at: now))
        case .cardRemoved(let reader):
            devices.card(in: reader, atr: nil)
            hub.publish(StationEvent(type: "card.removed", reader: reader, at: now))
            await intake.cardRemoved(from: reader)
        case .serviceUnavailable(let error):
            devices.setPCSC(false)
            logger.warning("PC/SC unavailable", metadata: ["code": "\(error.code)"])
            hub.publish(StationEvent(type: "pcsc.lost", at: now))
            notifier.status("degraded: PC/SC unavailable (\(error.code.rawValue))")
        case .serviceRestored:
            devices.setPCSC(true)
            logger.notice("PC/SC restored")
            hub.publish(StationEvent(type: "pcsc.restored", at: now))
            notifier.status("ready: PC/SC restored")
        }
    }
}

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

/// Runs the retention purge periodically.
struct PurgeService: Service {
    let store: StoreGateway
    let period: Double
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await store.purge()
                    if purged > 0 { logger.info("retention purge", metadata: ["purged": "\(purged)"]) }
                } catch {
                    logger.error(
                        "retention purge failed", metadata: ["code": "\(StoreGateway.code(of: error))"])
                }
                try await Task.sleep(for: .seconds(period))
            }
        }
    }
}

/// Abandons an open intake session when the daemon stops (nothing half-taken is stored).
/// Also ends the event streams, so open `/v1/events` connections do not hold the shutdown up.
struct IntakeSessionsService: Service {
    let intake: IntakeCoordinator
    let hub: EventHub

    func run() async throws {
        try? await gracefulShutdown()
        await intake.shutdown()
        hub.finishAll()
    }
}
