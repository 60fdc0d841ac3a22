import ControlAPI
import Foundation
import Queue
import StationTestKit
import Testing

@testable import Station

#if canImport(Glibc)
    import Glibc
#endif

/// `stationd run` against a store that is gone, damaged or already in use: it refuses to start with a stable
/// code, names the files and says what to do; `stationd store reinitialize` is the documented, audited way out.
@Suite(.serialized)
struct StoreRefusalTests {
    var database: (DaemonUnderTest) -> String { { $0.directory.path + "/state/queue.sqlite" } }
    var keyFile: (DaemonUnderTest) -> String { { $0.directory.path + "/state/queue.key" } }

    /// Starts the daemon once (so the store and key exist), then stops it.
    func daemonWithAStore(_ name: String) throws -> DaemonUnderTest {
        let daemon = try DaemonUnderTest(name: name)
        try daemon.start()
        #expect(daemon.stop() == 0)
        return daemon
    }

    /// Runs `stationd run` expecting it to refuse; returns its exit status and output.
    func refusedStart(_ daemon: DaemonUnderTest) throws -> (Int32?, String) {
        try daemon.configuration.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let process = try ManagedProcess(
            "stationd-refused", executable: try Binaries.path("stationd"),
            arguments: ["run", "--config", daemon.configPath],
            logFile: daemon.directory.appendingPathComponent("refused.log"), environment: daemon.environment)
        let status = process.wait(timeout: 20)
        if status == nil { process.stop(signal: SIGKILL) }
        return (status, process.output)
    }

    @Test func deletedStoreRefusesToStartThenReinitializeIsAudited() throws {
        let daemon = try daemonWithAStore("store-missing")
        for suffix in ["", "-wal", "-shm"] { unlink(database(daemon) + suffix) }
        let (status, output) = try refusedStart(daemon)
        #expect(status == 1, "\(output)")
        #expect(output.contains("queue.store_missing"))
        #expect(output.contains(database(daemon)) && output.contains(keyFile(daemon)))
        #expect(output.contains("stationd store reinitialize --i-understand-data-loss"))
        #expect(output.contains("Khôi phục kho"))  // Vietnamese first
        // Nothing was created in the store's place.
        #expect(access(database(daemon), F_OK) != 0)

        // Without the confirmation: refused, nothing moved.
        let stationd = try Binaries.path("stationd")
        let unconfirmed = try runTool(stationd, ["store", "reinitialize", "--config", daemon.configPath])
        #expect(unconfirmed.status == 64)
        #expect(access(keyFile(daemon), F_OK) == 0)
        // With it: the old key kept aside, a new store, and the daemon starts.
        let done = try runTool(
            stationd, ["store", "reinitialize", "--i-understand-data-loss", "--config", daemon.configPath])
        #expect(done.status == 0, "\(done.output)")
        let retired = try FileManager.default.contentsOfDirectory(atPath: daemon.directory.path + "/state")
            .filter { $0.hasPrefix("queue.key.retired-") }
        #expect(retired.count == 1)
        try daemon.start()
        #expect(try daemon.curl("GET", "/v1/status").0 == 200)
        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(databasePath: database(daemon), keyFilePath: keyFile(daemon)))
        let trail = try queue.auditTrail(for: nil)
        #expect(trail.first?.action == "store_reinitialized")
        #expect(trail.first?.reasonCode == "queue.store_missing")
    }

    @Test func truncatedStoreRefusesToStart() throws {
        let daemon = try daemonWithAStore("store-truncated")
        for suffix in ["-wal", "-shm"] { unlink(database(daemon) + suffix) }
        #expect(truncate(database(daemon), 0) == 0)
        let (status, output) = try refusedStart(daemon)
        #expect(status == 1)
        #expect(output.contains("queue.store_missing"), "\(output)")
    }

    @Test func damagedStoreRefusesToStart() throws {
        let daemon = try daemonWithAStore("store-damaged")
        for suffix in ["-wal", "-shm"] { unlink(database(daemon) + suffix) }
        let fd = open(database(daemon), O_WRONLY)
        let garbage = [UInt8](repeating: 0x5A, count: 2048)
        #expect(pwrite(fd, garbage, garbage.count, off_t(2 * 4096 + 16)) == garbage.count)
        close(fd)
        let (status, output) = try refusedStart(daemon)
        #expect(status == 1)
        #expect(output.contains("queue.store_damaged"), "\(output)")
    }

    @Test func secondDaemonOnTheSameStateDirectoryRefusesNamingThePID() throws {
        let daemon = try DaemonUnderTest(name: "store-locked")
        try daemon.start()
        defer { _ = daemon.stop() }
        let pid = try #require(daemon.pid)
        let (status, output) = try refusedStart(daemon)
        #expect(status == 1)
        #expect(output.contains("queue.store_locked"), "\(output)")
        #expect(output.contains("PID \(pid)"))
        // The first one still serves its socket.
        #expect(try daemon.curl("GET", "/v1/status").0 == 200)
    }

    /// A module error that escapes a route keeps its code and status instead of a bare 500 `control.internal`.
    @Test func routeErrorsKeepTheirCode() {
        let damaged = QueueError(.storeDamaged, "page 3")
        let mapped = ControlMiddleware.map(damaged as any Error)
        #expect(mapped.code == "queue.store_damaged")
        #expect(mapped.status.code == 503)
        let full = QueueError(
            .diskFull, "x", shortfall: .init(directory: "/var/lib/stationd", neededBytes: 80 << 20, freeBytes: 10 << 20)
        )
        let message = ControlMiddleware.map(full as any Error)
        #expect(message.code == "queue.disk_full")
        #expect(message.vietnamese.contains("/var/lib/stationd") && message.vietnamese.contains("70 MiB"))
    }
}
