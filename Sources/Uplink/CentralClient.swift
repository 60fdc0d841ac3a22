import AsyncHTTPClient
import CentralAPI
import Crypto
import Foundation
import NIOSSL

/// HTTP to the central with AsyncHTTPClient: signs each request (see `RequestSigning`), maps answers to typed
/// values or `CentralCallError`.
public struct CentralClient: Sendable {
    /// Base URL, e.g. `http://127.0.0.1:8443` (plain HTTP on loopback in this version; see README).
    public let baseURL: String
    /// Per-request timeout.
    public let timeout: TimeInterval

    /// PEM file of the CA that must have issued the central's certificate (for `https` URLs): only this CA is
    /// trusted, not the system roots. nil: system roots (or plain HTTP on loopback).
    public let pinnedCA: String?

    /// Creates a client.
    public init(baseURL: String, timeout: TimeInterval = 30, pinnedCA: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        self.pinnedCA = pinnedCA
    }

    /// Slowest link rate the whole-request deadline allows for a body: a request may take `timeout` plus its
    /// body at this rate. Stalls are caught sooner by the clients' idle write and read timeouts.
    public static let minimumBytesPerSecond = 8_000

    /// One HTTP client per pinned CA and timeout, kept for the process's lifetime (AsyncHTTPClient clients must
    /// be shut down before release; these never are released).
    static let clients = ClientCache()

    final class ClientCache: @unchecked Sendable {
        private let lock = NSLock()
        private var clients: [String: HTTPClient] = [:]

        /// A client whose connections give up after `idle` seconds without a byte written, or 4 × `idle`
        /// without a byte of the answer once the body is sent (a slow link's buffers may still hold megabytes
        /// of the body then).
        func client(pinnedCA: String?, idle: TimeInterval) throws -> HTTPClient {
            let key = "\(pinnedCA ?? "-")|\(Int(idle * 1000))"
            return try lock.withLock {
                if let client = clients[key] { return client }
                var configuration = HTTPClient.Configuration()
                if let pinnedCA {
                    var tls = TLSConfiguration.makeClientConfiguration()
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pinnedCA))
                    tls.additionalTrustRoots = []
                    configuration.tlsConfiguration = tls
                }
                configuration.timeout = .init(
                    connect: .seconds(10), read: .milliseconds(Int64(idle * 4000)),
                    write: .milliseconds(Int64(idle * 1000)))
                let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                clients[key] = client
                return client
            }
        }
    }

    /// An answer that was not a success.
    public struct CallError: Error, Sendable {
        /// The error (transport errors use `central.transport`).
        public let error: CentralError
        /// HTTP status, nil for transport failures.
        public let status: Int?
        /// Seconds from `Retry-After`.
        public let retryAfter: TimeInterval?
        /// Whether trying again later may succeed (transport, 5xx, 429, 409 offset mismatch).
        public var isTransient: Bool {
            guard let status else { return true }
            return status >= 500 || status == 429 || status == 408 || error.code == .offsetMismatch
        }
    }

    /// Sends a request; `credentials` nil for unsigned calls.
    public func call(
        _ method: String, _ path: String, body: Data = Data(), credentials: StationCredentials?,
        timeout: TimeInterval? = nil
    ) async throws(CallError) -> Data {
        var headers: [(String, String)] = []
        if let credentials {
            do {
                headers = try RequestSigning.headers(
                    method: method, path: path, body: body, station: credentials.stationID, key: credentials.signingKey)
            } catch {
                throw CallError(
                    error: CentralError(.packaging, "cannot sign the request"), status: nil, retryAfter: nil)
            }
        }
        return try await send(method, path, body: body, headers: headers, timeout: timeout)
    }

    /// Sends a request with exactly these extra headers (tests use it to replay or tamper with a request).
    public func send(
        _ method: String, _ path: String, body: Data, headers: [(String, String)], timeout: TimeInterval? = nil
    ) async throws(CallError) -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        if !body.isEmpty || method == "PUT" || method == "POST" {
            request.body = .bytes(Array(body))
            request.headers.add(name: "content-type", value: "application/json")
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let seconds = Int64(((timeout ?? self.timeout) + Double(body.count / Self.minimumBytesPerSecond)) * 1000)
        do {
            let client = try Self.clients.client(pinnedCA: pinnedCA, idle: self.timeout)
            let response = try await client.execute(request, timeout: .milliseconds(seconds))
            let collected = try await response.body.collect(upTo: 64 << 20)
            let data = Data(collected.readableBytesView)
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return data }
            let retryAfter = response.headers.first(name: "retry-after").flatMap(TimeInterval.init)
            let body = try? CanonicalEncoding.decode(ErrorBody.self, from: data)
            throw CallError(
                error: CentralError(
                    CentralError.Code(body?.code ?? "central.http_\(status)"), body?.reason ?? "HTTP \(status)"),
                status: status, retryAfter: retryAfter)
        } catch let error as CallError {
            throw error
        } catch {
            throw CallError(
                error: CentralError(.transport, "transport: \(String(describing: type(of: error)))"), status: nil,
                retryAfter: nil)
        }
    }

    /// Sends a value as canonical JSON and decodes the answer.
    public func call<Request: Encodable, Answer: Decodable>(
        _ method: String, _ path: String, json value: Request, credentials: StationCredentials?,
        as type: Answer.Type
    ) async throws(CallError) -> Answer {
        let body: Data
        do { body = try CanonicalEncoding.encode(value) } catch {
            throw CallError(error: CentralError(.packaging, "cannot encode the request"), status: nil, retryAfter: nil)
        }
        let data = try await call(method, path, body: body, credentials: credentials)
        return try decode(type, data)
    }

    /// Decodes an answer body.
    public func decode<Answer: Decodable>(_ type: Answer.Type, _ data: Data) throws(CallError) -> Answer {
        do { return try CanonicalEncoding.decode(type, from: data) } catch {
            throw CallError(
                error: CentralError(.malformed, "the central's answer does not decode"), status: 200, retryAfter: nil)
        }
    }

    /// Cheap connectivity probe: `GET /v1/probe` with a short timeout.
    public func probe(timeout: TimeInterval = 3) async -> Bool {
        do {
            _ = try await call("GET", CentralPath.probe, credentials: nil, timeout: timeout)
            return true
        } catch {
            return false
        }
    }
}
