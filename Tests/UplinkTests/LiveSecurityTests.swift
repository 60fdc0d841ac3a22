import CentralAPI
import Crypto
import Foundation
import Intake
import Queue
import StationTestKit
import Testing
import Uplink

@Suite(.serialized) struct LiveSecurityTests {
    func code(_ body: () async throws -> Any) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch let error as CentralClient.CallError {
            return error.error.code.rawValue
        } catch let error as UplinkError {
            return error.central?.code.rawValue ?? error.code.rawValue
        } catch {
            return "other: \(error)"
        }
    }

    @Test(.timeLimit(.minutes(3))) func forgedReplayedTamperedAndUnknownRequestsAreRefused() async throws {
        let receiver = try ReceiverProcess()
        let station = try await StationFixture(receiver: receiver)
        let client = receiver.client
        let body = try CanonicalEncoding.encode(StatusQuery(applicationIDs: [UUID().uuidString]))
        let headers = try RequestSigning.headers(
            method: "POST", path: CentralPath.status, body: body, station: station.stationID,
            key: station.credentials.signingKey)
        // The genuine request works once; the same bytes again are a replay.
        #expect(await code { try await client.send("POST", CentralPath.status, body: body, headers: headers) } == nil)
        #expect(
            await code { try await client.send("POST", CentralPath.status, body: body, headers: headers) }
                == "central.replayed_request")
        // Body changed after signing.
        let fresh = try RequestSigning.headers(
            method: "POST", path: CentralPath.status, body: body, station: station.stationID,
            key: station.credentials.signingKey)
        let other = try CanonicalEncoding.encode(StatusQuery(applicationIDs: [UUID().uuidString]))
        #expect(
            await code { try await client.send("POST", CentralPath.status, body: other, headers: fresh) }
                == "central.bad_signature")
        // The enrolled station's id with another key.
        let impostor = try RequestSigning.headers(
            method: "POST", path: CentralPath.status, body: body, station: station.stationID,
            key: Curve25519.Signing.PrivateKey())
        #expect(
            await code { try await client.send("POST", CentralPath.status, body: body, headers: impostor) }
                == "central.bad_signature")
        // A station never enrolled.
        let stranger = try RequestSigning.headers(
            method: "POST", path: CentralPath.status, body: body, station: "station-unknown",
            key: Curve25519.Signing.PrivateKey())
        #expect(
            await code { try await client.send("POST", CentralPath.status, body: body, headers: stranger) }
                == "central.unknown_station")
        // No signature at all.
        #expect(
            await code { try await client.send("POST", CentralPath.status, body: body, headers: []) }
                == "central.unauthenticated")
        // The one-time token cannot enroll a second station.
        let thief = try StationCredentials.load(
            directory: station.directory + "/thief", stationID: "station-thief")
        #expect(
            await code {
                try await Uploader.enroll(
                    client: client, credentials: thief, token: receiver.token, centralFingerprint: receiver.fingerprint)
            }
                == "central.bad_enrollment_token")
        let stats = try await receiver.stats()
        #expect(stats.refusals["central.bad_signature"] == 2 && stats.refusals["central.replayed_request"] == 1)
    }

    /// A payload tampered with after the manifest was signed is refused per item, and the station keeps the
    /// application in needsAttention with the reason, never dropping it.
    @Test(.timeLimit(.minutes(3))) func tamperedPayloadsAreRefusedAndKeptInNeedsAttention() async throws {
        let citizens = SampleApplications.citizens(6, start: 30_000)
        let receiver = try ReceiverProcess(citizens: citizens)
        let station = try await StationFixture(receiver: receiver)

        // 1. Raw protocol: manifest for an envelope, then different bytes of the same length.
        let application = SampleApplications.application(for: citizens[0])
        let item = try Packager.package(application, credentials: station.credentials)
        let batchID = UUID().uuidString
        let manifest = BatchManifest(
            batchID: batchID, stationID: station.stationID, createdAt: Date(), items: [item.item])
        let answer = try await receiver.client.call(
            "POST", CentralPath.batches, json: manifest, credentials: station.credentials, as: ManifestResponse.self)
        #expect(answer.decisions.map(\.decision) == [.send])
        var tampered = item.envelope
        tampered[tampered.count / 2] ^= 0xFF
        let data = try await receiver.client.call(
            "PUT", CentralPath.payload(batchID, offset: 0), body: tampered, credentials: station.credentials)
        let progress = try receiver.client.decode(UploadProgress.self, data)
        #expect(
            progress.results == [
                ItemResult(
                    applicationID: application.id.text, outcome: .refused,
                    reason: "central.hash_mismatch")
            ])
        #expect(try await receiver.items().isEmpty)

        // 2. Through the uploader: the station seals to a wrong central key (a corrupted enrollment), so every
        // envelope fails to open at the central → refused → needsAttention with the reason, nothing stored.
        let wrong = station.credentials.replacingCentralKey(Curve25519.KeyAgreement.PrivateKey().publicKey)
        let ids = try station.addReady(Array(citizens.dropFirst()))
        let uploader = try Uploader(
            queue: station.queue, credentials: wrong,
            configuration: .init(client: receiver.client, stateDirectory: station.directory))
        let report = try await uploader.drain(until: Date().addingTimeInterval(20))
        #expect(report.refused == ids.count)
        for id in ids {
            #expect(try station.queue.status(of: id) == .init(local: .needsAttention, central: .unknown))
            #expect(try station.queue.auditTrail(for: id).last?.reasonCode == "central.bad_envelope")
        }
        #expect(try await receiver.items().isEmpty)

        // After an operator retries them with the right key, they go through.
        for id in ids { try station.queue.retry(id, by: .supervisor(OperatorID("sup-1"))) }
        try await station.uploader(receiver).drain(until: Date().addingTimeInterval(20))
        #expect(Set(try await receiver.items()) == Set(ids.map(\.text)))
    }
}
