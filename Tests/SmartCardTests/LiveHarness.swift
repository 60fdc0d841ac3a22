import Foundation
import Retry
import SmartCard
import StationTestKit

/// Collects a monitor's events for assertions.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ReaderEvent] = []
    private var task: Task<Void, Never>?
    let monitor: ReaderMonitor

    init(backoff: Backoff = Backoff(base: 0.05, cap: 0.5, jitter: .none)) {
        monitor = CardReaders().events(backoff: backoff)
        let monitor = monitor
        task = Task { [weak self] in
            for await event in monitor { self?.append(event) }
        }
    }

    private func append(_ event: ReaderEvent) { lock.withLock { events.append(event) } }

    var all: [ReaderEvent] { lock.withLock { events } }

    /// Waits until an event matching `predicate` has been seen (after `index`), or throws after `timeout`.
    @discardableResult
    func wait(
        timeout: Double = 10, after index: Int = 0, _ what: String,
        _ predicate: (ReaderEvent) -> Bool
    ) async throws -> Int {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            let snapshot = all
            if snapshot.count > index, let found = snapshot[index...].firstIndex(where: predicate) { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("timed out waiting for \(what); saw \(all)")
    }

    func stop() {
        monitor.stop()
        task?.cancel()
    }
}

/// Waits until `reader` has a card (the simulated card connects to vpcd asynchronously).
func waitForCard(in reader: String, timeout: Double = 10) async throws {
    let log = EventLog()
    defer { log.stop() }
    try await log.wait(timeout: timeout, "a card in \(reader)") {
        if case .cardInserted(let name, _) = $0 { name == reader } else { false }
    }
}

/// Opens a connection to the card in `reader`, retrying while pcscd has not yet seen the card.
func connect(_ reader: String, timeout: Double = 10, transmitTimeout: Double = 20) async throws -> CardConnection {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while true {
        do {
            return try await CardReaders().connect(reader: reader, transmitTimeout: transmitTimeout)
        } catch let error as SmartCardError
            where Date() < deadline
            && [.noCard, .noService, .cardUnresponsive, .readerUnavailable].contains(error.code)
        {
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

let demoSelect = CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: [0xF0] + Array("STATION".utf8))
