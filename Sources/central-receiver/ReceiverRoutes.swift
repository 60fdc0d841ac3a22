import CentralAPI
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Request context keeping a way to cut the connection (fault injection: a link dropped mid-body) and whether
/// the peer is on loopback (admin routes answer only there).
struct ReceiverContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let closeConnection: @Sendable () -> Void
    let peerIsLoopback: Bool
    let peerAddress: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        closeConnection = { channel.close(promise: nil) }
        peerIsLoopback = Self.isLoopback(channel.remoteAddress)
        peerAddress = channel.remoteAddress?.ipAddress
    }

    /// 127.0.0.0/8, ::1 and IPv4-mapped loopback.
    static func isLoopback(_ address: SocketAddress?) -> Bool {
        switch address {
        case .v4(let v4)?:
            return UInt32(bigEndian: v4.address.sin_addr.s_addr) >> 24 == 127
        case .v6?:
            guard let ip = address?.ipAddress else { return false }
            return ip == "::1" || ip.hasPrefix("::ffff:127.")
        default:
            return false
        }
    }
}

/// An answer before it is signed: status and JSON body.
struct Answer {
    var status: HTTPResponse.Status = .ok
    var body: Data
    var retryAfter: String?
}

/// The connection was cut (on purpose, or the body ended before its declared length).
struct InjectedDrop: Error {}

/// HTTP routes of the stand-in C06 (see `Sources/CentralAPI/openapi.yaml`).
struct ReceiverRoutes: Sendable {
    let core: ReceiverCore

    static func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Answer {
        Answer(status: status, body: (try? CanonicalEncoding.encode(value)) ?? Data())
    }

    /// Signs an answer for `request` with the central's signing key (see `CentralSigning`): the station pins the
    /// key at enrollment and acts on no answer that does not verify. The `badSignatureRate` fault signs a share
    /// of answers with a random key under the genuine key id.
    func signed(_ answer: Answer, for request: Request) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = answer.retryAfter { headers[.retryAfter] = retryAfter }
        let forged = core.faults.badSignatureRate > 0 && Double.random(in: 0..<1) < core.faults.badSignatureRate
        let key = forged ? Curve25519.Signing.PrivateKey() : core.store.signingKey
        if forged { core.count { $0.injectedBadSignatures += 1 } }
        let signature = try? CentralSigning.answerHeaders(
            method: request.method.rawValue, path: request.uri.string,
            station: Self.header(request, RequestSigning.Header.station) ?? "",
            nonce: Self.header(request, RequestSigning.Header.nonce) ?? "", status: Int(answer.status.code),
            body: answer.body, key: key)
        for (name, value) in signature ?? [] {
            guard let field = HTTPField.Name(name) else { continue }
            headers[field] = name == CentralSigning.Header.keyID ? core.store.publicKeys.signingKeyID : value
        }
        return Response(
            status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    static func error(_ error: CentralError) -> Answer {
        let status: HTTPResponse.Status
        switch error.code {
        case .malformed, .hashMismatch: status = .badRequest
        case .unknownBatch: status = .notFound
        case .offsetMismatch, .reportConflict: status = .conflict
        case .badToken: status = .forbidden
        case .auditHistoryChanged: status = .conflict
        case .unavailable: status = .serviceUnavailable
        default: status = .unauthorized
        }
        return json(ErrorBody(code: error.code.rawValue, reason: error.reason), status: status)
    }

    /// Reads a body (at most `limit` bytes), honouring the slow-link setting; cuts the connection half-way
    /// when `dropAfter` is set.
    func readBody(_ request: Request, context: ReceiverContext, limit: Int, dropAfter: Int? = nil, counts: Bool = false)
        async throws -> Data
    {
        var data = Data()
        let rate = core.faults.bytesPerSecond
        for try await buffer in request.body {
            let bytes = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
            data.append(contentsOf: bytes)
            if counts { core.count { $0.payloadBytesRead += bytes.count } }
            if data.count > limit { throw CentralError(.malformed, "body larger than \(limit) bytes") }
            if rate > 0 { try await Task.sleep(for: .milliseconds(bytes.count * 1000 / rate)) }
            if let dropAfter, data.count >= dropAfter {
                core.count { $0.injectedDrops += 1 }
                context.closeConnection()
                throw InjectedDrop()
            }
        }
        return data
    }

    /// Authenticates a signed request; returns the station and body.
    func authenticated(
        _ request: Request, context: ReceiverContext, limit: Int, dropAfter: Int? = nil, counts: Bool = false
    ) async throws -> (station: String, body: Data) {
        let faults = core.faults
        if faults.latencyMilliseconds > 0 { try await Task.sleep(for: .milliseconds(faults.latencyMilliseconds)) }
        let body = try await readBody(request, context: context, limit: limit, dropAfter: dropAfter, counts: counts)
        if faults.errorRate > 0, Double.random(in: 0..<1) < faults.errorRate {
            core.count { $0.injected503 += 1 }
            throw CentralError(.unavailable, "injected failure")
        }
        let store = core.store
        do {
            let verified = try RequestSigning.verify(
                method: request.method.rawValue, path: request.uri.string,
                headers: { Self.header(request, $0) }, body: body,
                lookupKey: { try store.stationKey($0) },
                nonceIsFresh: { try store.nonceIsFresh(station: $0, nonce: $1, at: $2) })
            return (verified.station, body)
        } catch let error as CentralError {
            core.count { $0.refusals[error.code.rawValue, default: 0] += 1 }
            throw error
        }
    }

    /// Bytes of a streamed payload held in memory before they are written and fsynced: what a cut can cost.
    static let persistEvery = 64 << 10

    /// `PUT …/payload?offset=N`: authenticates the headers, then streams the body into the batch's part file,
    /// durably every `persistEvery` bytes, so that a cut keeps what arrived and the station resumes from there.
    /// The body hash is checked against the signed hash at the end (a mismatch rolls the part back); bytes kept
    /// from a cut body are checked later with each item's signed hash and signature.
    func payload(_ request: Request, context: ReceiverContext) async throws -> Answer {
        let faults = core.faults
        let expected = request.uri.queryParameters["offset"].flatMap { Int($0) } ?? -1
        let declared = Int(Self.header(request, "content-length") ?? "") ?? 0
        let drop = declared > 1 && faults.dropRate > 0 && Double.random(in: 0..<1) < faults.dropRate
        if faults.latencyMilliseconds > 0 { try await Task.sleep(for: .milliseconds(faults.latencyMilliseconds)) }
        let store = core.store
        let verified: RequestSigning.Verified
        let signedHash: String
        do {
            (verified, signedHash) = try RequestSigning.verifyHeaders(
                method: request.method.rawValue, path: request.uri.string, headers: { Self.header(request, $0) },
                lookupKey: { try store.stationKey($0) },
                nonceIsFresh: { try store.nonceIsFresh(station: $0, nonce: $1, at: $2) })
        } catch let error as CentralError {
            core.count { $0.refusals[error.code.rawValue, default: 0] += 1 }
            throw error
        }
        if faults.errorRate > 0, Double.random(in: 0..<1) < faults.errorRate {
            core.count { $0.injected503 += 1 }
            throw CentralError(.unavailable, "injected failure")
        }
        let station = verified.station
        let id = context.parameters.get("batch") ?? ""
        guard await core.claim(id, close: context.closeConnection) else {
            throw CentralError(.offsetMismatch, "another upload of batch \(id) is still running")
        }
        defer { core.release(id) }
        guard let batch = try store.batch(id, station: station) else {
            throw CentralError(.unknownBatch, "no batch \(id) for this station")
        }
        guard expected == batch.offset, batch.offset + declared <= batch.length else {
            throw CentralError(
                .offsetMismatch, "the receiver holds \(batch.offset) of \(batch.length) bytes, not \(expected)")
        }
        if faults.holdAtOffset > 0, expected >= faults.holdAtOffset, core.stats.itemsStored >= faults.holdAfterItems {
            core.count { $0.chunksHeld += 1 }
            while core.faults.holdAtOffset > 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        var offset = batch.offset
        if offset < batch.length {
            let writer = try store.partWriter(batch: id, offset: expected)
            var hasher = SHA256()
            var pending = Data()
            var read = 0
            let rate = faults.bytesPerSecond
            do {
                for try await buffer in request.body {
                    let bytes = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
                    read += bytes.count
                    core.count { $0.payloadBytesRead += bytes.count }
                    guard expected + read <= batch.length else {
                        try writer.rollback(to: expected)
                        throw CentralError(.malformed, "the body runs past the batch's \(batch.length) bytes")
                    }
                    hasher.update(data: bytes)
                    pending.append(contentsOf: bytes)
                    if rate > 0 { try await Task.sleep(for: .milliseconds(bytes.count * 1000 / rate)) }
                    if pending.count >= Self.persistEvery {
                        try writer.append(pending)
                        core.count { $0.payloadBytesKept += pending.count }
                        pending.removeAll(keepingCapacity: true)
                    }
                    if drop, read >= declared / 2 {
                        core.count { $0.injectedDrops += 1 }
                        context.closeConnection()
                        throw InjectedDrop()
                    }
                }
                if read < declared { throw InjectedDrop() }  // the body ended early: a cut, not a mismatch
            } catch let error as CentralError {
                throw error
            } catch {
                // A cut: keep what arrived, so the station resumes from here.
                try writer.append(pending)
                core.count { $0.payloadBytesKept += pending.count }
                throw error
            }
            guard ItemEnvelope.hex(Array(hasher.finalize())) == signedHash else {
                try writer.rollback(to: expected)
                core.count { $0.refusals[CentralError.Code.badSignature.rawValue, default: 0] += 1 }
                throw CentralError(.badSignature, "the body does not match its signed hash")
            }
            offset = try writer.append(pending)
            core.count { $0.payloadBytesKept += pending.count }
        }
        guard offset == batch.length else {
            return Self.json(UploadProgress(batchID: id, offset: offset, length: batch.length))
        }
        if let done = batch.results {
            // Completed before (the answer was lost): the same results again.
            let results = try CanonicalEncoding.decode([ItemResult].self, from: done)
            return Self.json(UploadProgress(batchID: id, offset: offset, length: batch.length, results: results))
        }
        var results = try core.complete(batch: id, station: station, plan: batch.plan)
        if faults.partialAckRate > 0, results.count > 1, Double.random(in: 0..<1) < faults.partialAckRate {
            core.count { $0.injectedPartialAcks += 1 }
            results = Array(results.prefix(results.count / 2))
        }
        return Self.json(UploadProgress(batchID: id, offset: offset, length: batch.length, results: results))
    }

    /// Runs a route and signs what it answers (errors included).
    func handle(_ request: Request, _ body: () async throws -> Answer) async throws -> Response {
        do {
            return signed(try await body(), for: request)
        } catch let error as CentralError {
            var answer = Self.error(error)
            if error.code == .unavailable { answer.retryAfter = String(core.faults.retryAfterSeconds) }
            return signed(answer, for: request)
        } catch is DecodingError {
            return signed(Self.error(CentralError(.malformed, "the body does not decode")), for: request)
        }
    }

    /// Admin routes (tests, the bench, the technician of the stand-in): answered to loopback peers only (and the
    /// addresses given with `--admin-peer`), whatever address the receiver listens on; others get 404 as if the
    /// route did not exist.
    func admin(
        _ request: Request, _ context: ReceiverContext, _ body: () async throws -> Answer
    ) async throws -> Response {
        guard context.peerIsLoopback || context.peerAddress.map(core.adminPeers.contains) == true else {
            return signed(
                Self.json(
                    ErrorBody(code: CentralError.Code.notFound.rawValue, reason: "no such route"), status: .notFound),
                for: request)
        }
        return try await handle(request, body)
    }

    func register(_ router: Router<ReceiverContext>) {
        router.get(RouterPath(CentralPath.probe)) { request, _ in
            try await handle(request) { Answer(status: .noContent, body: Data()) }
        }
        router.post(RouterPath(CentralPath.enrollment)) { request, context in
            try await handle(request) {
                let body = try await readBody(request, context: context, limit: 64 << 10)
                let enrollment = try CanonicalEncoding.decode(EnrollmentRequest.self, from: body)
                return Self.json(try core.store.enroll(enrollment))
            }
        }
        router.post(RouterPath(CentralPath.batches)) { request, context in
            try await handle(request) {
                let (station, body) = try await authenticated(request, context: context, limit: 8 << 20)
                let manifest = try CanonicalEncoding.decode(BatchManifest.self, from: body)
                return Self.json(try core.offer(manifest, station: station))
            }
        }
        router.get("/v1/batches/:batch/offset") { request, context in
            try await handle(request) {
                let (station, _) = try await authenticated(request, context: context, limit: 0)
                let id = context.parameters.get("batch") ?? ""
                // The station asks after a failed upload: let a stale upload of the batch keep what it read first.
                guard await core.settle(id) else {
                    throw CentralError(.unavailable, "an upload of batch \(id) is still being stored")
                }
                guard let batch = try core.store.batch(id, station: station) else {
                    throw CentralError(.unknownBatch, "no batch \(id) for this station")
                }
                if batch.results == nil, batch.offset == batch.length {
                    // Every byte arrived but the upload ended before the items were stored (cut right after the
                    // last byte, receiver restart): store them now.
                    guard await core.claim(id, close: {}) else {
                        throw CentralError(.unavailable, "an upload of batch \(id) is still being stored")
                    }
                    defer { core.release(id) }
                    if let fresh = try core.store.batch(id, station: station), fresh.results == nil {
                        let results = try core.complete(batch: id, station: station, plan: fresh.plan)
                        return Self.json(
                            UploadProgress(batchID: id, offset: fresh.offset, length: fresh.length, results: results))
                    }
                }
                let results = try core.store.batch(id, station: station)?.results.map {
                    try CanonicalEncoding.decode([ItemResult].self, from: $0)
                }
                return Self.json(
                    UploadProgress(batchID: id, offset: batch.offset, length: batch.length, results: results))
            }
        }
        router.put("/v1/batches/:batch/payload") { request, context in
            try await handle(request) { try await payload(request, context: context) }
        }
        router.post(RouterPath(CentralPath.status)) { request, context in
            try await handle(request) {
                let (station, body) = try await authenticated(request, context: context, limit: 4 << 20)
                let query = try CanonicalEncoding.decode(StatusQuery.self, from: body)
                let anchor = try core.store.anchor(query.audit, station: station)
                return Self.json(
                    StatusAnswer(
                        items: try core.store.status(of: query.applicationIDs, station: station), auditAnchor: anchor,
                        chipEvidence: core.chipCheck == nil ? nil : core.chipFigures(station),
                        masterList: try core.delivery?.signed(with: core.store.signingKey)))
            }
        }
        router.put("/v1/reports/:report") { request, context in
            try await handle(request) {
                let (station, body) = try await authenticated(request, context: context, limit: 4 << 20)
                let submission = try CanonicalEncoding.decode(ReportSubmission.self, from: body)
                return Self.json(
                    try core.receiveReport(submission, id: context.parameters.get("report") ?? "", station: station))
            }
        }
        // Admin endpoints for tests and the bench: loopback peers only (see `admin`).
        router.get("/admin/stats") { request, context in try await admin(request, context) { Self.json(core.stats) } }
        router.get(RouterPath(CentralPath.adminReports)) { request, context in
            try await admin(request, context) {
                Self.json(try core.store.reports(station: request.uri.queryParameters.get("station")))
            }
        }
        router.get("/admin/items") { request, context in
            try await admin(request, context) { Self.json(try core.store.itemIDs()) }
        }
        router.get("/admin/fingerprint") { request, context in
            try await admin(request, context) { Self.json(["fingerprint": core.store.publicKeys.fingerprint]) }
        }
        // The master list every status answer delivers from now on (body: the file; `?tampered=1` flips a byte
        // after signing; an empty body stops delivering).
        router.post("/admin/masterlist") { request, context in
            try await admin(request, context) {
                let body = try await readBody(request, context: context, limit: 16 << 20)
                let tampered = request.uri.queryParameters["tampered"] == "1"
                core.delivery = body.isEmpty ? nil : MasterListDelivery(list: body, tampered: tampered)
                return Self.json(["bytes": body.count])
            }
        }
        router.post("/admin/faults") { request, context in
            try await admin(request, context) {
                let body = try await readBody(request, context: context, limit: 64 << 10)
                core.faults = try CanonicalEncoding.decode(Faults.self, from: body)
                return Self.json(core.faults)
            }
        }
        // A plain upload that is read and thrown away: the raw-throughput baseline of the benchmark.
        router.put("/admin/sink") { request, context in
            try await admin(request, context) {
                let body = try await readBody(request, context: context, limit: 1 << 30)
                return Self.json(["bytes": body.count])
            }
        }
        router.post("/admin/resend") { request, context in
            try await admin(request, context) {
                let body = try await readBody(request, context: context, limit: 4 << 20)
                let ids = try CanonicalEncoding.decode([String].self, from: body)
                return Self.json(["flagged": try core.store.requestResend(ids)])
            }
        }
        router.post("/admin/import") { request, context in
            try await admin(request, context) {
                let body = try await readBody(request, context: context, limit: 64 << 10)
                let path = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return Self.json(try core.importDirectory(path))
            }
        }
    }
}
