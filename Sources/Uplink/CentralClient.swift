import AsyncHTTPClient
import CentralAPI
import Crypto
import Foundation
import NIOSSL
import Queue

/// HTTP to the central with AsyncHTTPClient: signs each request (see `RequestSigning`), authenticates each answer
/// against the pinned central key (see `CentralSigning`), maps answers to typed values or `CallError`.
public struct CentralClient: Sendable {
    /// Base URL, e.g. `https://c06.example` (the daemon's configuration check allows `http` to loopback only).
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
        /// The error (transport errors use `central.transport`, TLS failures `central.tls_untrusted` or
        /// `central.tls`, answers not signed by the pinned key `uplink.central_unauthenticated`).
        public let error: CentralError
        /// HTTP status, nil for transport failures.
        public let status: Int?
        /// Seconds from `Retry-After`.
        public let retryAfter: TimeInterval?
        /// Creates an error (a fake central in tests answers with these too).
        public init(error: CentralError, status: Int?, retryAfter: TimeInterval?) {
            self.error = error
            self.status = status
            self.retryAfter = retryAfter
        }
        /// Whether trying again later may succeed (transport, 5xx, 429, 409 offset mismatch). An unauthenticated
        /// answer or a failed TLS handshake is not retried in the same run: it is reported at once.
        public var isTransient: Bool {
            if [.centralUnauthenticated, .tlsUntrusted, .tls].contains(error.code) { return false }
            guard let status else { return true }
            return status >= 500 || status == 429 || status == 408 || error.code == .offsetMismatch
        }
    }

    /// A received answer before it is interpreted.
    struct Exchange {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    /// Sends a request; `credentials` nil for unsigned calls. When `credentials` pins the central's keys, the
    /// answer (success or error) must carry a valid signature by the pinned signing key, bound to this request
    /// (see `CentralSigning`); otherwise it throws `uplink.central_unauthenticated` and the answer is not used.
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
        } else {
            headers = [(RequestSigning.Header.nonce, Self.nonce())]
        }
        let answer = try await exchange(method, path, body: body, headers: headers, timeout: timeout)
        if let pinned = credentials?.pinnedCentral {
            try Self.authenticate(answer, method: method, path: path, headers: headers, signingKey: pinned.signingKey)
        }
        return try Self.interpret(answer)
    }

    /// As `call`, for a station that pinned the central's keys, also returning the signed answer as evidence
    /// (`SignedCentralAnswer`: the bytes signed, the body, the signature) to be recorded with the decisions it
    /// carries.
    public func callSigned(
        _ method: String, _ path: String, body: Data, credentials: StationCredentials
    ) async throws(CallError) -> (body: Data, evidence: SignedCentralAnswer) {
        guard let pinned = credentials.pinnedCentral else {
            throw CallError(
                error: CentralError(.centralUnauthenticated, "no central key is pinned"), status: nil,
                retryAfter: nil)
        }
        let headers: [(String, String)]
        do {
            headers = try RequestSigning.headers(
                method: method, path: path, body: body, station: credentials.stationID, key: credentials.signingKey)
        } catch {
            throw CallError(error: CentralError(.packaging, "cannot sign the request"), status: nil, retryAfter: nil)
        }
        let answer = try await exchange(method, path, body: body, headers: headers)
        try Self.authenticate(answer, method: method, path: path, headers: headers, signingKey: pinned.signingKey)
        let data = try Self.interpret(answer)
        let sent = { (name: String) in headers.first { $0.0 == name }?.1 ?? "" }
        let evidence = SignedCentralAnswer(
            signedMessage: CentralSigning.answerMessage(
                method: method, path: path, station: credentials.stationID, nonce: sent(RequestSigning.Header.nonce),
                status: answer.status, body: answer.body),
            body: answer.body,
            signature: Data(base64Encoded: answer.headers[CentralSigning.Header.signature] ?? "") ?? Data(),
            keyID: pinned.signingKeyID)
        return (data, evidence)
    }

    /// Checks an answer's signature against `signingKey`; throws `uplink.central_unauthenticated`.
    static func authenticate(
        _ answer: Exchange, method: String, path: String, headers: [(String, String)], signingKey: Data
    ) throws(CallError) {
        let sent = { (name: String) in headers.first { $0.0 == name }?.1 ?? "" }
        if let problem = CentralSigning.answerProblem(
            method: method, path: path, station: sent(RequestSigning.Header.station),
            nonce: sent(RequestSigning.Header.nonce), status: answer.status, body: answer.body,
            headers: { answer.headers[$0] }, pinned: signingKey)
        {
            throw CallError(error: CentralError(.centralUnauthenticated, problem), status: nil, retryAfter: nil)
        }
    }

    /// A random 32-hex nonce (bound into the central's signature of the answer).
    static func nonce() -> String {
        ItemEnvelope.hex((0..<16).map { _ in UInt8.random(in: 0...255) })
    }

    /// Sends a request with exactly these extra headers (tests use it to replay or tamper with a request, and for
    /// the receiver's admin routes). The answer is not authenticated.
    public func send(
        _ method: String, _ path: String, body: Data, headers: [(String, String)], timeout: TimeInterval? = nil
    ) async throws(CallError) -> Data {
        try Self.interpret(try await exchange(method, path, body: body, headers: headers, timeout: timeout))
    }

    /// The body of a 2xx answer, or the answer's error.
    static func interpret(_ answer: Exchange) throws(CallError) -> Data {
        if (200..<300).contains(answer.status) { return answer.body }
        let retryAfter = answer.headers["retry-after"].flatMap(TimeInterval.init)
        let body = try? CanonicalEncoding.decode(ErrorBody.self, from: answer.body)
        throw CallError(
            error: CentralError(
                // An answer without a code keeps its HTTP status as the (unrecognized) code's text.
                CentralError.Code(wire: body?.code ?? "central.http_\(answer.status)"),
                body?.reason ?? "HTTP \(answer.status)"),
            status: answer.status, retryAfter: retryAfter)
    }

    func exchange(
        _ method: String, _ path: String, body: Data, headers: [(String, String)], timeout: TimeInterval? = nil
    ) async throws(CallError) -> Exchange {
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
            var fields: [String: String] = [:]
            for header in response.headers { fields[header.name.lowercased()] = header.value }
            return Exchange(status: Int(response.status.code), headers: fields, body: Data(collected.readableBytesView))
        } catch {
            throw Self.transportError(error)
        }
    }

    /// A failed exchange as a typed error: a TLS failure says so (a certificate that does not chain to the pinned
    /// CA is `central.tls_untrusted`, "the central's certificate is not the pinned one"), everything else is
    /// `central.transport`.
    static func transportError(_ error: any Error) -> CallError {
        let text = String(reflecting: error)
        let tls =
            error is NIOSSLError || error is NIOSSLExtraError || text.contains("NIOSSL") || text.contains("BoringSSL")
        guard tls else {
            return CallError(
                error: CentralError(.transport, "transport: \(String(describing: type(of: error)))"), status: nil,
                retryAfter: nil)
        }
        let certificate =
            text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate")
            || text.contains("failedToValidate") || text.contains("unableToValidateCertificate")
        return CallError(
            error: certificate
                ? CentralError(.tlsUntrusted, "the central's certificate is not the pinned one (TLS handshake refused)")
                : CentralError(
                    .tls, "the TLS handshake with the central failed: \(String(describing: type(of: error)))"),
            status: nil, retryAfter: nil)
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
        await probeFailure(timeout: timeout) == nil
    }

    /// Why the probe fails (nil: the central answered). With `credentials` pinning the central's keys, the
    /// answer must be signed by the pinned key, so an impostor is told apart from "no link" before any batch is
    /// cut; a TLS failure is a TLS error, not "offline".
    public func probeFailure(timeout: TimeInterval = 3, credentials: StationCredentials? = nil) async -> CallError? {
        let headers = [(RequestSigning.Header.nonce, Self.nonce())]
        do {
            let answer = try await exchange("GET", CentralPath.probe, body: Data(), headers: headers, timeout: timeout)
            if let pinned = credentials?.pinnedCentral {
                try Self.authenticate(
                    answer, method: "GET", path: CentralPath.probe, headers: headers, signingKey: pinned.signingKey)
            }
            _ = try Self.interpret(answer)
            return nil
        } catch {
            return error
        }
    }
}
