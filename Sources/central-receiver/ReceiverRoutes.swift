import CentralAPI
import Foundation
import Hummingbird

/// Request context keeping a way to cut the connection (fault injection: a link dropped mid-body).
struct ReceiverContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let closeConnection: @Sendable () -> Void

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        closeConnection = { channel.close(promise: nil) }
    }
}

/// The connection was cut on purpose.
struct InjectedDrop: Error {}

/// HTTP routes of the stand-in C06 (see `Sources/CentralAPI/openapi.yaml`).
struct ReceiverRoutes: Sendable {
    let core: ReceiverCore

    static func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? CanonicalEncoding.encode(value)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ error: CentralError) -> Response {
        let status: HTTPResponse.Status
        switch error.code {
        case .malformed, .hashMismatch: status = .badRequest
        case .unknownBatch: status = .notFound
        case .offsetMismatch: status = .conflict
        case .badToken: status = .forbidden
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

    func handle(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as CentralError {
            var response = Self.error(error)
            if error.code == .unavailable {
                response.headers[.retryAfter] = String(core.faults.retryAfterSeconds)
            }
            return response
        } catch is DecodingError {
            return Self.error(CentralError(.malformed, "the body does not decode"))
        }
    }

    func register(_ router: Router<ReceiverContext>) {
        router.get(RouterPath(CentralPath.probe)) { _, _ in Response(status: .noContent) }
        router.post(RouterPath(CentralPath.enrollment)) { request, context in
            try await handle {
                let body = try await readBody(request, context: context, limit: 64 << 10)
                let enrollment = try CanonicalEncoding.decode(EnrollmentRequest.self, from: body)
                return Self.json(try core.store.enroll(enrollment))
            }
        }
        router.post(RouterPath(CentralPath.batches)) { request, context in
            try await handle {
                let (station, body) = try await authenticated(request, context: context, limit: 8 << 20)
                let manifest = try CanonicalEncoding.decode(BatchManifest.self, from: body)
                return Self.json(try core.offer(manifest, station: station))
            }
        }
        router.get("/v1/batches/:batch/offset") { request, context in
            try await handle {
                let (station, _) = try await authenticated(request, context: context, limit: 0)
                let id = context.parameters.get("batch") ?? ""
                guard let batch = try core.store.batch(id, station: station) else {
                    throw CentralError(.unknownBatch, "no batch \(id) for this station")
                }
                let results = try batch.results.map { try CanonicalEncoding.decode([ItemResult].self, from: $0) }
                return Self.json(
                    UploadProgress(batchID: id, offset: batch.offset, length: batch.length, results: results))
            }
        }
        router.put("/v1/batches/:batch/payload") { request, context in
            try await handle {
                let faults = core.faults
                let expected = request.uri.queryParameters["offset"].flatMap { Int($0) } ?? -1
                let declared = Int(Self.header(request, "content-length") ?? "") ?? 0
                let drop = declared > 1 && faults.dropRate > 0 && Double.random(in: 0..<1) < faults.dropRate
                let (station, body) = try await authenticated(
                    request, context: context, limit: 16 << 20, dropAfter: drop ? declared / 2 : nil, counts: true)
                let id = context.parameters.get("batch") ?? ""
                guard let batch = try core.store.batch(id, station: station) else {
                    throw CentralError(.unknownBatch, "no batch \(id) for this station")
                }
                guard expected == batch.offset, batch.offset + body.count <= batch.length else {
                    throw CentralError(
                        .offsetMismatch, "the receiver holds \(batch.offset) of \(batch.length) bytes, not \(expected)")
                }
                let offset = try core.store.append(batch: id, offset: expected, bytes: body)
                core.count { $0.payloadBytesKept += body.count }
                guard offset == batch.length else {
                    return Self.json(UploadProgress(batchID: id, offset: offset, length: batch.length))
                }
                var results = try core.complete(batch: id, station: station, plan: batch.plan)
                if faults.partialAckRate > 0, results.count > 1, Double.random(in: 0..<1) < faults.partialAckRate {
                    core.count { $0.injectedPartialAcks += 1 }
                    results = Array(results.prefix(results.count / 2))
                }
                return Self.json(UploadProgress(batchID: id, offset: offset, length: batch.length, results: results))
            }
        }
        router.post(RouterPath(CentralPath.status)) { request, context in
            try await handle {
                let (station, body) = try await authenticated(request, context: context, limit: 4 << 20)
                let query = try CanonicalEncoding.decode(StatusQuery.self, from: body)
                return Self.json(StatusAnswer(items: try core.store.status(of: query.applicationIDs, station: station)))
            }
        }
        // Admin endpoints for tests and the bench (loopback only in this stand-in).
        router.get("/admin/stats") { _, _ in Self.json(core.stats) }
        router.get("/admin/items") { _, _ in Self.json(try core.store.itemIDs()) }
        router.post("/admin/faults") { request, context in
            try await handle {
                let body = try await readBody(request, context: context, limit: 64 << 10)
                core.faults = try CanonicalEncoding.decode(Faults.self, from: body)
                return Self.json(core.faults)
            }
        }
        // A plain upload that is read and thrown away: the raw-throughput baseline of the benchmark.
        router.put("/admin/sink") { request, context in
            try await handle {
                let body = try await readBody(request, context: context, limit: 1 << 30)
                return Self.json(["bytes": body.count])
            }
        }
        router.post("/admin/resend") { request, context in
            try await handle {
                let body = try await readBody(request, context: context, limit: 4 << 20)
                let ids = try CanonicalEncoding.decode([String].self, from: body)
                return Self.json(["flagged": try core.store.requestResend(ids)])
            }
        }
        router.post("/admin/import") { request, context in
            try await handle {
                let body = try await readBody(request, context: context, limit: 64 << 10)
                let path = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return Self.json(try core.importDirectory(path))
            }
        }
    }
}
