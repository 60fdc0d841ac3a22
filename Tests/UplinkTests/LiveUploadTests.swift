import CentralAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing
import Uplink

/// Against the real `central-receiver` process on loopback. Serialized: two cores shared with other work.
@Suite(.serialized) struct LiveUploadTests {
    /// A few hundred applications with 5xx, cut connections and partial acknowledgements on at random: each
    /// arrives exactly once and ends uploaded and accepted (or activated).
    @Test(.timeLimit(.minutes(2))) func exactlyOnceUnderRandomFaults() async throws {
        let citizens = SampleApplications.citizens(240)
        let receiver = try ReceiverProcess(
            citizens: citizens,
            flags: [
                "--error-rate", "0.15", "--drop-rate", "0.15", "--partial-ack-rate", "0.6", "--activation-rate", "0.5",
                "--latency-ms", "2",
            ])
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens, biometricBytes: 8_000)
        let log = EventLog()
        let uploader = try station.uploader(receiver, policy: BatchPolicy(maxCount: 20), events: log.append)
        let report = try await uploader.drain(until: Date().addingTimeInterval(90))

        let stats = try await receiver.stats()
        print(
            "exactly-once: \(ids.count) items, \(stats.injected503) 503s, \(stats.injectedDrops) cuts, "
                + "\(stats.injectedPartialAcks) partial acks, \(report.retries) retries, \(report.batches) batches")
        #expect(stats.injected503 > 0 && stats.injectedDrops > 0 && stats.injectedPartialAcks > 0)
        let stored = try await receiver.items()
        #expect(stored.count == ids.count)
        #expect(Set(stored) == Set(ids.map(\.text)))
        #expect(stats.itemsStored == ids.count)
        #expect(report.retries > 0)
        #expect(try station.statuses(ids).allSatisfy { $0 == .init(local: .uploaded, central: .received) })
        #expect(log.all.contains { if case .progress = $0 { true } else { false } })

        try await receiver.setFaults(.init())
        try await Task.sleep(for: .milliseconds(800))  // approval 0.3 s + activation 0.3 s
        let changed = try await uploader.syncStatus()
        #expect(changed == ids.count)
        let finals = try station.statuses(ids)
        #expect(finals.allSatisfy { $0.local == .uploaded && ($0.central == .accepted || $0.central == .activated) })
        #expect(finals.contains { $0.central == .activated } && finals.contains { $0.central == .accepted })
        #expect(try station.queue.verifyAudit().isIntact)
    }

    /// `kill -9` of the uploading process in the middle of a batch, then a restart: still exactly once.
    @Test(.timeLimit(.minutes(2))) func killNineMidBatchThenRestart() async throws {
        let citizens = SampleApplications.citizens(80, start: 10_000)
        let receiver = try ReceiverProcess(citizens: citizens, flags: ["--bytes-per-second", "1500000"])
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens, biometricBytes: 20_000)
        let log = station.directory + "/probe.log"
        let probe = try ManagedProcess(
            "uplink-crash-probe", executable: try Binaries.path("uplink-crash-probe"),
            arguments: [station.directory, receiver.baseURL, station.stationID, "30", "65536"],
            logFile: URL(fileURLWithPath: log))
        // Wait until the receiver holds part of a batch but not everything, then kill -9.
        let deadline = Date().addingTimeInterval(30)
        var killedAt: ReceiverProcess.Stats?
        while Date() < deadline {
            let stats = try await receiver.stats()
            if stats.payloadBytesKept > 100_000, stats.itemsStored > 0 {
                probe.stop(signal: SIGKILL)
                killedAt = stats
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let atKill = try #require(killedAt, "the probe never got mid-way: \(probe.output)")
        #expect(probe.exitStatus == 128 + SIGKILL)
        #expect(atKill.itemsStored < ids.count)
        let midway = try station.statuses(ids)
        #expect(midway.contains { $0.local == .batched })  // interrupted with rows in flight

        try await receiver.setFaults(.init())
        let restart = try ManagedProcess(
            "uplink-crash-probe", executable: try Binaries.path("uplink-crash-probe"),
            arguments: [station.directory, receiver.baseURL, station.stationID, "30", "65536"],
            logFile: URL(fileURLWithPath: log + ".2"))
        #expect(restart.wait(timeout: 60) == 0, "\(restart.output)")
        let stored = try await receiver.items()
        #expect(stored.count == ids.count && Set(stored) == Set(ids.map(\.text)))
        #expect(try station.statuses(ids).allSatisfy { $0 == .init(local: .uploaded, central: .received) })
        #expect(try await receiver.stats().itemsStored == ids.count)
    }

    /// Cuts in the middle of a large batch resume from the receiver's offset: the bytes read beyond the payload
    /// stay under one batch (and under one chunk per cut).
    @Test(.timeLimit(.minutes(2))) func cutsResumeInsteadOfRestarting() async throws {
        let citizens = SampleApplications.citizens(60, start: 20_000)
        let receiver = try ReceiverProcess(citizens: citizens, flags: ["--drop-rate", "0.3"])
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens, biometricBytes: 60_000)
        let log = EventLog()
        let chunk = 128 << 10
        let uploader = try station.uploader(
            receiver, policy: BatchPolicy(maxCount: 60, maxBytes: 64 << 20), chunkSize: chunk, events: log.append)
        _ = try await uploader.drain(until: Date().addingTimeInterval(60))
        let batchBytes = log.all.compactMap { event -> Int? in
            if case .batchOffered(_, _, let bytes) = event { bytes } else { nil }
        }
        #expect(batchBytes.count == 1)
        let payload = try #require(batchBytes.first)
        let stats = try await receiver.stats()
        #expect(stats.injectedDrops >= 1)
        #expect(stats.payloadBytesKept == payload)
        let resent = stats.payloadBytesRead - payload
        print("cut test: batch \(payload) B, \(stats.injectedDrops) cuts, resent \(resent) B")
        #expect(resent < payload, "resent \(resent) of a \(payload)-byte batch")
        #expect(resent <= stats.injectedDrops * chunk)
        #expect(Set(try await receiver.items()) == Set(ids.map(\.text)))
    }

    /// No link: the probe fails, nothing is batched, the rows stay ready, the operator sees "offline".
    @Test(.timeLimit(.minutes(1))) func offlineDrainLeavesRowsReady() async throws {
        let receiver = try ReceiverProcess()
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(SampleApplications.citizens(3, start: 70_000))
        receiver.process.stop()
        let log = EventLog()
        let uploader = try station.uploader(receiver, events: log.append)
        await #expect(throws: UplinkError.self) { try await uploader.drain(until: Date().addingTimeInterval(1.5)) }
        #expect(log.all.contains(.offline))
        #expect(try station.statuses(ids).allSatisfy { $0 == .init(local: .ready, central: .unknown) })
    }

    /// The central asks for two applications again: status sync puts them back to ready/resend, the next drain
    /// sends them, the central replaces its copy; still one row each at the central.
    @Test(.timeLimit(.minutes(1))) func resendRequestedByTheCentralIsSentAgain() async throws {
        let citizens = SampleApplications.citizens(4, start: 80_000)
        let receiver = try ReceiverProcess(citizens: citizens, flags: ["--approval-delay", "30"])
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens)
        let uploader = try station.uploader(receiver)
        try await uploader.drain(until: Date().addingTimeInterval(20))
        let asked = Array(ids.prefix(2))
        let body = try JSONEncoder().encode(asked.map(\.text))
        _ = try await receiver.client.send("POST", "/admin/resend", body: body, headers: [])
        #expect(try await uploader.syncStatus() == 2)
        #expect(try station.statuses(asked).allSatisfy { $0 == .init(local: .ready, central: .resend) })
        #expect(
            try station.statuses(Array(ids.suffix(2))).allSatisfy { $0 == .init(local: .uploaded, central: .received) })
        let report = try await uploader.drain(until: Date().addingTimeInterval(20))
        #expect(report.received == 2)
        #expect(try station.statuses(ids).allSatisfy { $0 == .init(local: .uploaded, central: .received) })
        #expect(try await receiver.items().count == ids.count)
        #expect(try await receiver.stats().itemsStored == ids.count + 2)  // 4 first copies + 2 replacements
        #expect(try await uploader.syncStatus() == 0)  // nothing left to ask about: received stays received
    }
}
