import CentralAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing
import Uplink

/// Against the real `central-receiver` process on loopback. Serialized: two cores shared with other work.
@Suite(.serialized) struct LiveUploadTests {
    /// A few hundred applications with 5xx, cut connections, partial acknowledgements and answers signed with a
    /// wrong key on at random: a wrongly signed answer stops the drain without moving a row (reported as
    /// `uplink.central_unauthenticated`), the next drain resumes; each application arrives exactly once and ends
    /// uploaded and accepted (or activated).
    @Test(.timeLimit(.minutes(3))) func exactlyOnceUnderRandomFaults() async throws {
        let citizens = SampleApplications.citizens(240)
        let receiver = try ReceiverProcess(citizens: citizens, flags: ["--activation-rate", "0.5"])
        // Enrolled first: a wrongly signed enrollment answer is refused (tested with the rogue central), and would
        // end this test before its first drain.
        let station = try await StationFixture(receiver: receiver)
        try await receiver.setFaults(
            .init(
                errorRate: 0.15, latencyMilliseconds: 2, dropRate: 0.15, partialAckRate: 0.6, badSignatureRate: 0.03))
        let ids = try station.addReady(citizens, biometricBytes: 8_000)
        let log = EventLog()
        let uploader = try station.uploader(receiver, policy: BatchPolicy(maxCount: 20), events: log.append)
        var report = (batches: 0, retries: 0)
        var unauthenticated = 0
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            do {
                let run = try await uploader.drain(until: deadline)
                report.batches += run.batches
                report.retries += run.retries
                break
            } catch let error as CentralClient.CallError where error.error.code == .centralUnauthenticated {
                // The drain stops at the wrongly signed answer without acting on it; the next one resumes the
                // spooled batch (the rogue-central tests show such an answer moves no row).
                unauthenticated += 1
            } catch let error as UplinkError where error.code == .centralUnauthenticated {
                // The same, when the wrongly signed answer was the probe's (the uploader reports it as its own error).
                unauthenticated += 1
            }
        }

        let stats = try await receiver.stats()
        print(
            "exactly-once: \(ids.count) items, \(stats.injected503) 503s, \(stats.injectedDrops) cuts, "
                + "\(stats.injectedPartialAcks) partial acks, \(stats.injectedBadSignatures) wrongly signed answers "
                + "(\(unauthenticated) drains stopped), \(report.retries) retries, \(report.batches) batches")
        #expect(stats.injected503 > 0 && stats.injectedDrops > 0 && stats.injectedPartialAcks > 0)
        #expect(stats.injectedBadSignatures > 0 && unauthenticated > 0)
        let stored = try await receiver.items()
        #expect(stored.count == ids.count)
        #expect(Set(stored) == Set(ids.map(\.text)))
        #expect(stats.itemsStored == ids.count)
        // Retries are counted from the events of every drain: a drain stopped by a wrongly signed answer reports
        // nothing, and the last drain may have met no fault at all.
        #expect(log.all.contains { if case .retrying = $0 { true } else { false } }, "\(report)")
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

    /// Starts `uplink-crash-probe` for `station` and kills it (-9) while the receiver holds part of a batch after
    /// at least one finished batch: the receiver holds the chunk at 128 KiB of the second batch unread until the
    /// kill (a fixed point, whatever the load), then lets it go. Returns the receiver's figures at the kill.
    func killMidBatch(_ station: StationFixture, _ receiver: ReceiverProcess, ids: [ApplicationID]) async throws
        -> ReceiverProcess.Stats
    {
        let link = ReceiverProcess.Faults(bytesPerSecond: 1_500_000)
        var hold = link
        hold.holdAtOffset = 128 << 10
        hold.holdAfterItems = 1
        try await receiver.setFaults(hold)
        let log = station.directory + "/probe.log"
        let probe = try ManagedProcess(
            "uplink-crash-probe", executable: try Binaries.path("uplink-crash-probe"),
            arguments: [station.directory, receiver.baseURL, station.stationID, "30", "65536"],
            logFile: URL(fileURLWithPath: log))
        let deadline = Date().addingTimeInterval(30)
        var killedAt: ReceiverProcess.Stats?
        while Date() < deadline {
            let stats = try await receiver.stats()
            if stats.chunksHeld > 0 {
                probe.stop(signal: SIGKILL)
                killedAt = try await receiver.stats()
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let atKill = try #require(killedAt, "the probe never got mid-way: \(probe.output)")
        #expect(probe.exitStatus == 128 + SIGKILL)
        #expect(atKill.itemsStored > 0 && atKill.itemsStored < ids.count)
        #expect(atKill.payloadBytesKept - atKill.itemBytesStored == 128 << 10)  // two chunks of the second batch
        #expect(try station.statuses(ids).contains { $0.local == .batched })  // interrupted with rows in flight
        #expect(try receiver.partFiles().count == 1)  // the interrupted batch's partial payload
        try await receiver.setFaults(link)  // the held chunk goes on: read from a dead connection, or cut
        return atKill
    }

    /// Restarts the probe and waits for it to drain everything.
    func restart(_ station: StationFixture, _ receiver: ReceiverProcess) throws {
        let restart = try ManagedProcess(
            "uplink-crash-probe", executable: try Binaries.path("uplink-crash-probe"),
            arguments: [station.directory, receiver.baseURL, station.stationID, "30", "65536"],
            logFile: URL(fileURLWithPath: station.directory + "/probe.log.2"))
        #expect(restart.wait(timeout: 60) == 0, "\(restart.output)")
    }

    /// `kill -9` of the uploading process in the middle of a batch, then a restart: the station offers its
    /// spooled batch again (same id, same bytes) and resumes at the receiver's offset. Exactly once, no payload
    /// byte appended twice, at most one chunk read again, and no partial file left at the receiver.
    @Test(.timeLimit(.minutes(2))) func killNineMidBatchThenRestartResumes() async throws {
        let citizens = SampleApplications.citizens(80, start: 10_000)
        let receiver = try ReceiverProcess(citizens: citizens, flags: ["--bytes-per-second", "1500000"])
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens, biometricBytes: 20_000)
        let atKill = try await killMidBatch(station, receiver, ids: ids)
        #expect(FileManager.default.fileExists(atPath: station.directory + "/outbox/batch.json"))

        try restart(station, receiver)
        let stored = try await receiver.items()
        #expect(stored.count == ids.count && Set(stored) == Set(ids.map(\.text)))
        #expect(try station.statuses(ids).allSatisfy { $0 == .init(local: .uploaded, central: .received) })
        let stats = try await receiver.stats()
        print(
            "kill -9 mid-batch: \(atKill.payloadBytesKept - atKill.itemBytesStored) B of the batch held at the kill, "
                + "resumed; read \(stats.payloadBytesRead) B for \(stats.itemBytesStored) B stored")
        #expect(stats.itemsStored == ids.count)
        #expect(stats.batchesResumed >= 1 && stats.partsAbandoned == 0)
        #expect(stats.payloadBytesKept == stats.itemBytesStored)  // no byte appended twice
        #expect(stats.payloadBytesRead - stats.itemBytesStored <= 65_536)  // at most one chunk read again
        #expect(try receiver.partFiles().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: station.directory + "/outbox/batch.json"))
    }

    /// A station that lost its spooled batch (or an older station) offers the interrupted items in a NEW batch:
    /// the receiver abandons the old unfinished batch and removes its partial file. Still exactly once.
    @Test(.timeLimit(.minutes(2))) func newBatchForInterruptedItemsCleansTheAbandonedPart() async throws {
        let citizens = SampleApplications.citizens(80, start: 30_000)
        let receiver = try ReceiverProcess(citizens: citizens, flags: ["--bytes-per-second", "1500000"])
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens, biometricBytes: 20_000)
        let atKill = try await killMidBatch(station, receiver, ids: ids)
        try FileManager.default.removeItem(atPath: station.directory + "/outbox")

        try restart(station, receiver)
        let stats = try await receiver.stats()
        #expect(Set(try await receiver.items()) == Set(ids.map(\.text)) && stats.itemsStored == ids.count)
        #expect(stats.partsAbandoned == 1 && stats.batchesResumed == 0)
        #expect(try receiver.partFiles().isEmpty)
        // What the abandoned batch held was sent again, and no more: under one batch.
        let abandoned = stats.payloadBytesKept - stats.itemBytesStored
        #expect(abandoned > 0 && abandoned <= atKill.payloadBytesKept - atKill.itemBytesStored + 65_536)
        #expect(try station.statuses(ids).allSatisfy { $0 == .init(local: .uploaded, central: .received) })
    }

    /// Unfinished batches older than `--part-max-age` are abandoned at the next offer (any station); a station
    /// that comes back later with the spooled batch starts it afresh under the same id. Exactly once.
    @Test(.timeLimit(.minutes(2))) func agedPartIsRemovedAndALateStationStartsAfresh() async throws {
        let citizens = SampleApplications.citizens(80, start: 40_000)
        let other = SampleApplications.citizens(1, start: 49_000)
        let receiver = try ReceiverProcess(
            citizens: citizens + other, flags: ["--bytes-per-second", "1500000", "--part-max-age", "1"])
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens, biometricBytes: 20_000)
        _ = try await killMidBatch(station, receiver, ids: ids)
        try await Task.sleep(for: .milliseconds(1_200))

        let neighbour = try await StationFixture(receiver: receiver, token: receiver.token + "-1")
        try neighbour.addReady(other)
        try await neighbour.uploader(receiver).drain(until: Date().addingTimeInterval(20))
        #expect(try await receiver.stats().partsAbandoned == 1)
        #expect(try receiver.partFiles().isEmpty)

        try restart(station, receiver)
        let stats = try await receiver.stats()
        #expect(stats.abandonedReoffered == 1)
        let stored = Set(try await receiver.items())
        #expect(Set(ids.map(\.text)).isSubset(of: stored) && stored.count == ids.count + 1)
        #expect(stats.itemsStored == ids.count + 1)
        #expect(try receiver.partFiles().isEmpty)
        #expect(try station.statuses(ids).allSatisfy { $0 == .init(local: .uploaded, central: .received) })
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
        print(
            "cut test: batch \(payload) B, \(stats.injectedDrops) cuts, resent \(resent) B, "
                + "\(stats.batchesResumed) resumed, \(stats.partsAbandoned) abandoned, refusals \(stats.refusals)")
        #expect(resent < payload, "resent \(resent) of a \(payload)-byte batch")
        #expect(resent <= stats.injectedDrops * chunk)
        #expect(Set(try await receiver.items()) == Set(ids.map(\.text)))
    }

    /// No link: the probe fails, nothing is batched, the rows stay ready, the operator sees "offline".
    @Test(.timeLimit(.minutes(3))) func offlineDrainLeavesRowsReady() async throws {
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
    @Test(.timeLimit(.minutes(3))) func resendRequestedByTheCentralIsSentAgain() async throws {
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
