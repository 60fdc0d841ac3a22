import CentralAPI
@preconcurrency import Crypto
import Foundation
import GRDB
import Intake
import Retry
import StationTestKit
import Testing
import Uplink

@testable import Queue

/// The station believes only the central whose keys it pinned: a rogue central (unsigned answers, answers signed
/// by another key, or by another key claiming the pinned key's id) cannot move a row, cause a purge or get keys
/// pinned; a later key change needs a supervisor; the central anchors the audit head and sees a rewritten history.
@Suite(.serialized) struct CentralTrustTests {
    static func code(_ error: any Error) -> String {
        if let error = error as? CentralClient.CallError { return error.error.code.rawValue }
        if let error = error as? UplinkError { return error.central?.code.rawValue ?? error.code.rawValue }
        return "other: \(error)"
    }

    @Test(.timeLimit(.minutes(2)), arguments: [0, 1, 2])
    func aRogueCentralCannotMoveTheQueueNorCauseAPurge(signing: Int) async throws {
        let citizens = SampleApplications.citizens(4, start: 90_000 + signing * 10)
        let receiver = try ReceiverProcess(citizens: citizens, flags: ["--approval-delay", "30"])
        let station = try await StationFixture(receiver: receiver)
        // One application uploaded to the genuine central (received, approval pending), three ready.
        let received = try station.addReady([citizens[0]])
        try await station.uploader(receiver).drain(until: Date().addingTimeInterval(20))
        let ready = try station.addReady(Array(citizens.dropFirst()))
        let ids = received + ready
        let before = try station.statuses(ids)
        #expect(
            before == [.init(local: .uploaded, central: .received)]
                + ready.map { _ in .init(local: .ready, central: .unknown) })
        let auditBefore = try station.queue.auditTrail(for: nil).count

        let pinnedID = try #require(station.credentials.pinnedCentral).signingKeyID
        let rogue = try RogueCentral(
            signing: [RogueCentral.Signing.unsigned, .ownKey, .claimingKeyID(pinnedID)][signing])
        defer { rogue.stop() }
        let uploader = try Uploader(
            queue: station.queue, credentials: station.credentials,
            configuration: .init(
                client: CentralClient(baseURL: rogue.baseURL, timeout: 5), backoff: Backoff(base: 0.02, cap: 0.1),
                stateDirectory: station.directory))
        do {
            try await uploader.drain(until: Date().addingTimeInterval(5))
            Issue.record("the drain believed the rogue")
        } catch {
            #expect(Self.code(error) == "uplink.central_unauthenticated", "\(error)")
        }
        do {
            try await uploader.syncStatus()
            Issue.record("the status sync believed the rogue")
        } catch {
            #expect(Self.code(error) == "uplink.central_unauthenticated", "\(error)")
        }
        #expect(rogue.requests.contains("POST /v1/status"))  // it was asked, and its "accepted" was not believed

        // Nothing moved, nothing was audited, and a purge with zero retention finds nothing accepted.
        #expect(try station.statuses(ids) == before)
        #expect(try station.queue.auditTrail(for: nil).count == auditBefore)
        let purging = try ApplicationQueue(
            configuration: .init(
                databasePath: station.directory + "/queue.sqlite", keyFilePath: station.directory + "/queue.key",
                minimumFreeBytes: 16 << 20, retention: 0))
        #expect(try purging.purgeExpiredPayloads() == 0)
        for id in ids { #expect(try purging.keyID(of: id) != nil) }  // payloads still there
    }

    /// Enrollment pins the central's keys only when their fingerprint is the one the technician confirmed;
    /// a later change of keys is refused until a supervisor confirms it.
    @Test(.timeLimit(.minutes(3))) func enrollmentPinsOnlyConfirmedKeys() async throws {
        let receiver = try ReceiverProcess()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("enroll-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fresh = try StationCredentials.load(directory: directory, stationID: "station-enroll")
        #expect(receiver.fingerprint.count == 64)

        // A rogue that answers the enrollment with keys of its own: refused, nothing pinned.
        let rogue = try RogueCentral(signing: .ownKey)
        defer { rogue.stop() }
        do {
            _ = try await Uploader.enroll(
                client: CentralClient(baseURL: rogue.baseURL, timeout: 5), credentials: fresh, token: "t",
                centralFingerprint: receiver.fingerprint)
            Issue.record("pinned a rogue's keys")
        } catch {
            #expect(Self.code(error) == "uplink.central_fingerprint_mismatch", "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/enrollment.json"))

        // The genuine central with a mistyped fingerprint: refused too.
        var typo = Array(receiver.fingerprint)
        typo[10] = typo[10] == "0" ? "1" : "0"
        do {
            _ = try await Uploader.enroll(
                client: receiver.client, credentials: fresh, token: receiver.token, centralFingerprint: String(typo))
            Issue.record("pinned keys whose fingerprint was not confirmed")
        } catch {
            #expect(Self.code(error) == "uplink.central_fingerprint_mismatch", "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/enrollment.json"))

        // The confirmed fingerprint, typed in groups of four: pinned.
        let grouped = stride(from: 0, to: 64, by: 4).map { start -> String in
            let from = receiver.fingerprint.index(receiver.fingerprint.startIndex, offsetBy: start)
            return String(receiver.fingerprint[from..<receiver.fingerprint.index(from, offsetBy: 4)])
        }.joined(separator: " ")
        let enrolled = try await Uploader.enroll(
            client: receiver.client, credentials: fresh, token: receiver.token, centralFingerprint: grouped)
        #expect(enrolled.pinnedCentral?.fingerprint == receiver.fingerprint)
        #expect(
            try StationCredentials.load(directory: directory, stationID: "station-enroll").pinnedCentral?.fingerprint
                == receiver.fingerprint)

        // Another central (new keys), even with its own right fingerprint: refused until a supervisor confirms.
        let other = try ReceiverProcess()
        do {
            _ = try await Uploader.enroll(
                client: other.client, credentials: enrolled, token: other.token, centralFingerprint: other.fingerprint)
            Issue.record("the central's keys changed silently")
        } catch {
            #expect(Self.code(error) == "uplink.central_key_changed", "\(error)")
        }
        #expect(
            try StationCredentials.load(directory: directory, stationID: "station-enroll").pinnedCentral?.fingerprint
                == receiver.fingerprint)
        let changed = try await Uploader.enroll(
            client: other.client, credentials: enrolled, token: other.token, centralFingerprint: other.fingerprint,
            changeConfirmedBy: "supervisor-tran")
        #expect(changed.pinnedCentral?.fingerprint == other.fingerprint)
    }

    /// The central anchors the station's audit head with every batch and status sync; a history rewritten even
    /// by someone holding the audit key (so the local chain verifies) is refused with
    /// `central.audit_history_changed`.
    @Test(.timeLimit(.minutes(3))) func theCentralDetectsARewrittenAuditHistory() async throws {
        let citizens = SampleApplications.citizens(3, start: 95_000)
        // No activations: one that came before the first sync (a loaded machine) hid the acceptance itself, the
        // word this test reads.
        let receiver = try ReceiverProcess(citizens: citizens, flags: ["--activation-rate", "0"])
        let station = try await StationFixture(receiver: receiver)
        let first = try station.addReady(Array(citizens.prefix(2)))
        let uploader = try station.uploader(receiver)
        try await uploader.drain(until: Date().addingTimeInterval(20))
        // The receiver approves 0.3 s after receipt; on a loaded machine later: sync until it has (at most 20 s).
        let approved = Date(timeIntervalSinceNow: 20)
        repeat {
            try await Task.sleep(for: .milliseconds(500))
            try await uploader.syncStatus()
        } while try station.queue.centralReceipts(for: first[0])["accepted"] == nil && Date() < approved
        // The acceptance came signed: the answer is kept as evidence, checkable with the central's public key,
        // and only then may the payload be purged.
        let pinned = try #require(station.credentials.pinnedCentral)
        let evidence = try #require(try station.queue.centralReceipts(for: first[0])["accepted"])
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: pinned.signingKey)
        #expect(key.isValidSignature(evidence.signature, for: evidence.signedMessage))
        #expect(String(decoding: evidence.signedMessage, as: UTF8.self).hasSuffix(ItemEnvelope.hash(evidence.body)))
        let purging = try ApplicationQueue(
            configuration: .init(
                databasePath: station.directory + "/queue.sqlite", keyFilePath: station.directory + "/queue.key",
                minimumFreeBytes: 16 << 20, retention: 0))
        #expect(try purging.purgeExpiredPayloads() == 2)
        let anchor = try #require(SyncRecord(directory: station.directory).read()?.auditAnchor)
        #expect(anchor.point.sequence > 1)
        #expect(abs(anchor.at.timeIntervalSinceNow) < 60)

        // An insider with the audit key renames the actor of every entry and recomputes the chain: locally intact.
        try Self.rewriteWithTheAuditKey(station.directory)
        #expect(try station.queue.verifyAudit().isIntact)

        let statusesBefore = try station.statuses(try station.queue.uplinkOpenApplications(limit: 100))
        do {
            try await uploader.syncStatus()
            Issue.record("the central did not notice the rewritten history")
        } catch {
            #expect(Self.code(error) == "central.audit_history_changed", "\(error)")
        }
        try station.addReady([citizens[2]])
        do {
            try await uploader.drain(until: Date().addingTimeInterval(10))
            Issue.record("the central took a batch from a station whose history changed")
        } catch {
            #expect(Self.code(error) == "central.audit_history_changed", "\(error)")
        }
        #expect(try station.statuses(try station.queue.uplinkOpenApplications(limit: 100)) == statusesBefore)
        #expect(try await receiver.items().count == 2)
    }

    /// Renames the actor `system` in every audit entry and recomputes the chain with the store's audit key.
    static func rewriteWithTheAuditKey(_ directory: String) throws {
        let keyFile = try #require(FileManager.default.contents(atPath: directory + "/queue-audit.key"))
        let object = try #require(try JSONSerialization.jsonObject(with: keyFile) as? [String: Any])
        let keyBytes = try #require(Data(base64Encoded: object["key"] as? String ?? ""))
        let keyedFrom = Int64(object["keyedFrom"] as? Int ?? 1)
        let db = try DatabaseQueue(path: directory + "/queue.sqlite")
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER audit_append_only_update")
            try db.execute(sql: "UPDATE audit SET actor = 'supervisor-tran' WHERE actor = 'system'")
            var previous = AuditEntry.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq") {
                let entry = AuditLog.entry(row)
                let message = AuditEntry.chainMessage(
                    previous: previous, sequence: entry.sequence, at: entry.atMilliseconds, actor: entry.actor,
                    action: entry.action, applicationID: entry.applicationID, from: entry.from, to: entry.to,
                    reasonCode: entry.reasonCode, sealedNote: entry.sealedNote, noteKeyID: entry.noteKeyID)
                let key = SymmetricKey(data: keyBytes)
                let hash =
                    entry.sequence >= keyedFrom
                    ? Data(HMAC<SHA256>.authenticationCode(for: message, using: key)) : Data(SHA256.hash(data: message))
                try db.execute(
                    sql: "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?",
                    arguments: [previous, hash, entry.sequence])
                previous = hash
            }
        }
        try db.close()
    }

    /// The stand-in's admin routes answer loopback peers only, whatever address it listens on.
    @Test(.timeLimit(.minutes(3))) func adminRoutesAnswerLoopbackOnly() async throws {
        guard let address = Self.nonLoopbackAddress() else {
            print("skipping: no non-loopback IPv4 address on this machine")
            return
        }
        let receiver = try ReceiverProcess(flags: ["--host", "0.0.0.0"])
        let local = CentralClient(baseURL: "http://127.0.0.1:\(receiver.port)", timeout: 5)
        let remote = CentralClient(baseURL: "http://\(address):\(receiver.port)", timeout: 5)
        #expect(await remote.probe())  // the protocol answers on every address
        _ = try await local.send("GET", "/admin/stats", body: Data(), headers: [])
        for (method, path) in [("GET", "/admin/stats"), ("GET", "/admin/items"), ("POST", "/admin/faults")] {
            do {
                _ = try await remote.send(method, path, body: Data("{}".utf8), headers: [])
                Issue.record("\(method) \(path) answered a non-loopback peer")
            } catch {
                #expect(error.status == 404, "\(method) \(path): \(error)")
            }
        }
    }

    static func nonLoopbackAddress() -> String? {
        guard let result = try? runTool("/usr/bin/hostname", ["-I"], timeout: 5) else { return nil }
        return result.output.split(separator: " ").map(String.init)
            .first { $0.contains(".") && !$0.hasPrefix("127.") }
    }
}
