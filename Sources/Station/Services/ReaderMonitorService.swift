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
        await withGracefulShutdownHandler {
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
