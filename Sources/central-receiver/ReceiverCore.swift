import CentralAPI
import CentralEvidence
import Crypto
import Foundation
import Intake

/// The receiver's protocol logic, independent of HTTP so that online batches and imported export folders go
/// through the same checks: decrypt, verify the station signature, check the hash, store once, decide.
final class ReceiverCore: @unchecked Sendable {
    let store: ReceiverStore
    let population: Population
    let approvalDelay: TimeInterval
    let activationDelay: TimeInterval
    let activationRate: Double
    /// Unfinished batches older than this are abandoned (part file removed) at the next offer.
    let partMaxAge: TimeInterval
    /// Addresses besides loopback whose requests to the admin routes are answered (`--admin-peer`).
    var adminPeers: Set<String> = []
    /// Re-checks each packet's chip evidence against a CSCA trust list (`--trust`, `--masterlist`); nil: not checked.
    var chipCheck: ChipEvidenceCheck?
    /// The master list delivered with every status answer (`--deliver-masterlist`, `POST /admin/masterlist`).
    var delivery: MasterListDelivery? {
        get { lock.withLock { _delivery } }
        set { lock.withLock { _delivery = newValue } }
    }
    private var _delivery: MasterListDelivery?
    private let lock = NSLock()
    private var _faults: Faults
    private var _stats = Stats()
    private var _chipFigures: [String: ChipEvidenceFigures] = [:]
    private var uploading: [String: @Sendable () -> Void] = [:]

    init(
        store: ReceiverStore, population: Population, faults: Faults, approvalDelay: TimeInterval,
        activationDelay: TimeInterval, activationRate: Double, partMaxAge: TimeInterval = 86_400
    ) {
        self.partMaxAge = partMaxAge
        self.store = store
        self.population = population
        self._faults = faults
        self.approvalDelay = approvalDelay
        self.activationDelay = activationDelay
        self.activationRate = activationRate
    }

    var faults: Faults {
        get { lock.withLock { _faults } }
        set { lock.withLock { _faults = newValue } }
    }
    var stats: Stats { lock.withLock { _stats } }
    func count(_ update: (inout Stats) -> Void) { lock.withLock { update(&_stats) } }

    /// One chip-evidence outcome of `station`'s packet: in the totals (`/admin/stats`) and in the station's own
    /// figures (its status answers).
    func countChip(_ station: String, _ outcome: ChipEvidenceCheck.Outcome) {
        lock.withLock {
            var figures =
                _chipFigures[station]
                ?? ChipEvidenceFigures(
                    chipVerified: 0, chipEvidenceRejected: 0, chipPassiveOnly: 0)
            switch outcome {
            case .chipVerified:
                _stats.chipVerified += 1
                figures.chipVerified += 1
            case .passiveOnly:
                _stats.chipPassiveOnly += 1
                figures.chipPassiveOnly = (figures.chipPassiveOnly ?? 0) + 1
            case .invalid, .unknownCertificate:
                _stats.chipEvidenceRejected += 1
                figures.chipEvidenceRejected += 1
            }
            _chipFigures[station] = figures
        }
    }

    /// `station`'s chip-evidence figures since the receiver started (zeros before its first packet).
    func chipFigures(_ station: String) -> ChipEvidenceFigures {
        lock.withLock {
            _chipFigures[station] ?? ChipEvidenceFigures(chipVerified: 0, chipEvidenceRejected: 0, chipPassiveOnly: 0)
        }
    }

    /// Claims a batch for one payload upload at a time. A station asks again only after it gave up on its
    /// earlier request, so an upload still running for the batch is stale (a cut the receiver has not noticed
    /// yet, a half-open connection): its connection is closed, and the claim waits (up to 5 s) for it to keep
    /// what it read and let go. `close` cuts this upload's connection. False when the old one does not let go.
    func claim(_ batch: String, close: @escaping @Sendable () -> Void) async -> Bool {
        await settle(batch) { self.uploading[batch] = close }
    }

    /// Waits until no upload of `batch` runs (closing a stale one, as `claim`), then runs `then` under the lock.
    /// False after 5 s.
    @discardableResult
    func settle(_ batch: String, then: (() -> Void)? = nil) async -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while true {
            let running = lock.withLock { () -> (@Sendable () -> Void)? in
                if let close = uploading[batch] { return close }
                then?()
                return nil
            }
            guard let running else { return true }
            running()
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Ends a claim.
    func release(_ batch: String) { _ = lock.withLock { uploading.removeValue(forKey: batch) } }

    /// Decides on each offered item and records the batch plan.
    func offer(_ manifest: BatchManifest, station: String) throws -> ManifestResponse {
        guard manifest.stationID == station else {
            throw CentralError(.badSignature, "the manifest names another station")
        }
        let anchor = try store.anchor(manifest.audit, station: station)
        try store.keep(dsCertificates: manifest.dsCertificates ?? [])
        var decisions: [ManifestDecision] = []
        var send: [ManifestItem] = []
        var seen = Set<String>()
        for item in manifest.items {
            if !seen.insert(item.applicationID).inserted || ApplicationID(item.applicationID) == nil
                || item.payloadSize <= 0 || item.payloadSize > 32 << 20 || item.payloadSHA256.count != 64
            {
                decisions.append(.init(applicationID: item.applicationID, decision: .refused, reason: "MALFORMED_ITEM"))
            } else if try store.has(item.applicationID) {
                count { $0.duplicatesOffered += 1 }
                decisions.append(.init(applicationID: item.applicationID, decision: .alreadyHave))
            } else {
                decisions.append(.init(applicationID: item.applicationID, decision: .send))
                send.append(item)
            }
        }
        if try store.forgetAbandoned(manifest.batchID, station: station) {
            count { $0.abandonedReoffered += 1 }
        }
        if let existing = try store.batch(manifest.batchID, station: station) {
            // The same batch offered again (the station lost the answer): keep its plan and offset.
            let planIDs = Set(existing.plan.items.map(\.applicationID))
            let decisions = manifest.items.map { item -> ManifestDecision in
                planIDs.contains(item.applicationID)
                    ? .init(applicationID: item.applicationID, decision: .send)
                    : decisions.first { $0.applicationID == item.applicationID }!
            }
            count { $0.batchesResumed += 1 }
            return ManifestResponse(
                batchID: manifest.batchID, decisions: decisions, uploadLength: existing.length,
                uploadOffset: existing.offset, auditAnchor: anchor)
        }
        // A new batch: earlier unfinished batches holding these items will never be completed.
        let abandoned = try store.abandonStale(
            station: station, applicationIDs: Set(manifest.items.map(\.applicationID)), maxAge: partMaxAge)
        count { $0.partsAbandoned += abandoned }
        try store.createBatch(manifest.batchID, station: station, plan: .init(items: send))
        return ManifestResponse(
            batchID: manifest.batchID, decisions: decisions, uploadLength: send.reduce(0) { $0 + $1.payloadSize },
            uploadOffset: 0, auditAnchor: anchor)
    }

    /// Checks one envelope: hash, decryption, station signature, decoding; decides approval. No writes.
    func prepare(item: ManifestItem, envelope: Data, station: String) -> (ReceiverStore.Prepared?, ItemResult) {
        func refused(_ reason: String) -> (ReceiverStore.Prepared?, ItemResult) {
            (nil, ItemResult(applicationID: item.applicationID, outcome: .refused, reason: reason))
        }
        guard envelope.count == item.payloadSize, ItemEnvelope.hash(envelope) == item.payloadSHA256 else {
            return refused(CentralError.Code.hashMismatch.rawValue)
        }
        do {
            guard let key = try store.stationKey(station) else {
                return refused(CentralError.Code.unknownStation.rawValue)
            }
            let canonical = try ItemEnvelope.open(
                envelope, application: item.applicationID, station: station, stationKey: key,
                centralKey: store.centralKey)
            let application = try CanonicalEncoding.decode(Application.self, from: canonical)
            guard application.id.text == item.applicationID else { return refused("ID_MISMATCH") }
            // A citizen without a card (2-in-1, verdict `noCard`) has no chip to re-check: the typed identity is
            // matched against the population database below, as every application is.
            if let chipCheck, application.authenticity != .noCard {
                // Evidence missing, failing Passive Authentication or the anti-clone re-check, or without the
                // transcript its verdict claims: refused. Passive Authentication alone: stored, counted apart.
                let outcome = chipCheck.check(application.chipEvidence, claimed: application.authenticity) {
                    try? self.store.dsCertificate($0)
                }
                countChip(station, outcome)
                switch outcome {
                case .invalid: return refused(ChipEvidenceCheck.invalidCode)
                case .unknownCertificate: return refused(ChipEvidenceCheck.unknownCertificateCode)
                case .passiveOnly, .chipVerified: break
                }
            }
            let rejection = population.rejection(for: application.identity)
            let decideAt = Date(timeIntervalSinceNow: approvalDelay)
            var activateAt: Date?
            if rejection == nil {
                let draw = Double(Array(SHA256.hash(data: Data(item.applicationID.utf8)))[0]) / 256
                if draw < activationRate { activateAt = decideAt.addingTimeInterval(activationDelay) }
            }
            return (
                ReceiverStore.Prepared(
                    item: item, envelope: envelope, rejection: rejection, decideAt: decideAt, activateAt: activateAt),
                ItemResult(applicationID: item.applicationID, outcome: .received)
            )
        } catch let error as CentralError {
            return refused(error.code.rawValue)
        } catch {
            return refused("UNDECODABLE_APPLICATION")
        }
    }

    /// Checks envelopes and stores the good ones in ONE transaction, each once by application id.
    func ingest(_ pairs: [(ManifestItem, Data)], station: String, batch: String) throws -> [ItemResult] {
        var prepared: [ReceiverStore.Prepared] = []
        var results: [ItemResult] = []
        for (item, envelope) in pairs {
            let (ready, result) = prepare(item: item, envelope: envelope, station: station)
            results.append(result)
            if let ready { prepared.append(ready) }
        }
        let inserted = try store.store(prepared, station: station, batch: batch)
        count {
            $0.itemsStored += inserted.count
            $0.itemBytesStored += inserted.bytes
            $0.duplicatesOffered += prepared.count - inserted.count
        }
        return results
    }

    /// Splits a complete payload by the plan and ingests the items.
    func complete(batch: String, station: String, plan: ReceiverStore.Plan) throws -> [ItemResult] {
        let payload = FileManager.default.contents(atPath: store.partPath(batch)) ?? Data()
        var pairs: [(ManifestItem, Data)] = []
        var position = 0
        for item in plan.items {
            let end = min(payload.count, position + item.payloadSize)
            pairs.append((item, payload.subdata(in: position..<end)))
            position = end
        }
        let results = try ingest(pairs, station: station, batch: batch)
        try store.finish(batch: batch, results: results)
        return results
    }

    /// Imports a sneaker-net export directory (one or many `batch-*` folders). Verifies each manifest's station
    /// signature, then every envelope as for an upload. Importing twice stores nothing new.
    func importDirectory(_ path: String) throws -> [ItemResult] {
        let folders = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("batch-") }
            .sorted()
        var results: [ItemResult] = []
        for folder in folders {
            let base = path + "/" + folder
            guard let manifestBytes = FileManager.default.contents(atPath: base + "/" + ExportLayout.manifest),
                let signatureText = FileManager.default.contents(atPath: base + "/" + ExportLayout.signature),
                let signature = Data(
                    base64Encoded: String(decoding: signatureText, as: UTF8.self)
                        .trimmingCharacters(in: .whitespacesAndNewlines)),
                let manifest = try? CanonicalEncoding.decode(ExportManifest.self, from: manifestBytes)
            else { throw CentralError(.malformed, "\(folder): manifest or signature missing or unreadable") }
            let station = manifest.batch.stationID
            guard let key = try store.stationKey(station) else {
                throw CentralError(.unknownStation, "\(folder): station \(station) is not enrolled")
            }
            guard key.isValidSignature(signature, for: ExportLayout.signatureDomain + manifestBytes) else {
                throw CentralError(.badSignature, "\(folder): the manifest signature does not verify")
            }
            try store.keep(dsCertificates: manifest.batch.dsCertificates ?? [])
            var pairs: [(ManifestItem, Data)] = []
            for item in manifest.batch.items {
                if try store.has(item.applicationID) {
                    count { $0.duplicatesOffered += 1 }
                    results.append(ItemResult(applicationID: item.applicationID, outcome: .received))
                    continue
                }
                let file = base + "/" + ExportLayout.items + "/" + ExportLayout.item(item.applicationID)
                pairs.append((item, FileManager.default.contents(atPath: file) ?? Data()))
            }
            results += try ingest(pairs, station: station, batch: manifest.batch.batchID)
        }
        return results
    }
}

/// A CSCA master list the receiver hands to every station in its status answers, signed with its signing key.
struct MasterListDelivery: Sendable {
    /// The ICAO master list file.
    var list: Data
    /// Flip one byte of the list after signing (tests: a station must refuse it).
    var tampered = false

    /// The list as the status answer carries it.
    func signed(with key: Curve25519.Signing.PrivateKey) throws -> DeliveredMasterList {
        var delivered = try CentralSigning.signMasterList(list, key: key)
        if tampered, !delivered.list.isEmpty {
            delivered.list[delivered.list.count / 2] ^= 0x01
        }
        return delivered
    }
}
