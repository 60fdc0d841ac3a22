import AsyncHTTPClient
import ControlAPI
import Crypto
import Foundation
import Intake
import Logging
import NIOCore
import NIOPosix
import Retry
import Uplink

/// The social-insurance (BHXH) gateway as HIS vendors call it (CCCD-CHIP.md §6): `POST /api/token/take` with the
/// facility's user name and the MD5 of its password, then `POST /api/egw/KQNhanLichSuKCB2024` with the tokens in the
/// query and `{maThe, hoTen, ngaySinh, hoTenCb, cccdCb}` (the 12-digit ID number as card code).
///
/// The whole lookup lives within `budget`: the token is taken when missing and renewed once when the gateway says it
/// expired (HTTP 401 or `maKetQua` 401), a 5xx or an unreadable body is retried after a jittered backoff while the
/// budget allows, and anything else — slow, down, malformed — ends as `unknown` with the reason: the desk is never
/// blocked. Nothing personal is logged.
final class InsuranceGatewayClient: InsuranceLookup, Sendable {
    private let settings: InsuranceGatewaySettings
    private let token = Mutex<GatewayToken?>(nil)
    /// Its own event-loop thread: the desk's budget does not depend on whatever else runs on NIO's shared loops
    /// (in CI, with every suite in one process, the first lookup on the shared loops once waited out a 10 s budget).
    private let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let client: HTTPClient
    private static let logger = Logger(label: "station.insurance")
    private static let backoff = Backoff(base: 0.05, cap: 0.4)

    struct GatewayToken: Sendable {
        var accessToken: String
        var idToken: String
    }

    init(settings: InsuranceGatewaySettings) {
        self.settings = settings
        client = HTTPClient(eventLoopGroupProvider: .shared(loops))
    }

    deinit {
        try? client.syncShutdown()
        try? loops.syncShutdownGracefully()
    }

    /// Why an attempt failed: retry or give up.
    private enum Failure: Error {
        case tokenExpired
        case retryable(String)
        case final(String)
    }

    /// The lookup, never past the budget: the attempts race a timer, and whichever ends first answers. The
    /// attempts are not awaited after the timer wins (a task group would wait for them, and an HTTP read that does
    /// not notice its cancellation at once would then hold the desk past the budget); they are cancelled and end on
    /// their own.
    func lookup(_ query: InsuranceQuery) async -> InsuranceOutcome {
        let budget = settings.budget
        let timedOut = InsuranceOutcome(wire: InsuranceWire(status: "unknown", detail: "insurance.timeout"))
        return await withCheckedContinuation { (continuation: CheckedContinuation<InsuranceOutcome, Never>) in
            let answered = Mutex(false)
            let answer = { @Sendable (outcome: InsuranceOutcome) -> Bool in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: outcome) }
                return first
            }
            let work = Task { _ = answer(await self.attempts(query)) }
            Task {
                try? await Task.sleep(for: budget + .milliseconds(20))
                if answer(timedOut) {
                    work.cancel()
                    Self.logger.warning(
                        "insurance unknown", metadata: ["reason": "insurance.timeout", "attempts": "budget"])
                }
            }
        }
    }

    private func attempts(_ query: InsuranceQuery) async -> InsuranceOutcome {
        let deadline =
            NIODeadline.now()
            + .nanoseconds(
                Int64(settings.budget.components.seconds) * 1_000_000_000
                    + settings.budget.components.attoseconds / 1_000_000_000)
        var attempt = 0
        var renewed = false
        var lastReason = "insurance.timeout"
        // What the gateway itself last answered wrong (5xx, an unreadable body): when the budget runs out during a
        // later attempt, that is the reason to give, not the cut-off attempt's timeout.
        var gatewayReason: String?
        var random = SystemRandomNumberGenerator()
        while NIODeadline.now() < deadline {
            do {
                let current = try await currentToken(deadline: deadline)
                return try await cardHistory(query, token: current, deadline: deadline)
            } catch Failure.tokenExpired {
                token.withLock { $0 = nil }
                lastReason = "insurance.token_expired"
                if renewed { break }
                renewed = true
                continue
            } catch Failure.final(let reason) {
                lastReason = reason
                break
            } catch Failure.retryable(let reason) {
                lastReason = reason
                gatewayReason = reason
            } catch {
                lastReason = Self.reason(error)
            }
            let pause = Self.backoff.delay(attempt: attempt, using: &random)
            attempt += 1
            let left = Double((deadline - NIODeadline.now()).nanoseconds) / 1e9
            guard left > pause else { break }
            try? await Task.sleep(for: .milliseconds(Int(pause * 1000)))
        }
        if NIODeadline.now() >= deadline, lastReason != "insurance.token_expired" {
            lastReason = gatewayReason ?? "insurance.timeout"
        } else if lastReason == "insurance.timeout", let gatewayReason {
            lastReason = gatewayReason
        }
        Self.logger.warning("insurance unknown", metadata: ["reason": "\(lastReason)", "attempts": "\(attempt + 1)"])
        return InsuranceOutcome(wire: InsuranceWire(status: "unknown", detail: lastReason))
    }

    private func currentToken(deadline: NIODeadline) async throws -> GatewayToken {
        if let cached = token.withLock({ $0 }) { return cached }
        let password =
            settings.passwordFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let md5 = Insecure.MD5.hash(data: Data(password.utf8)).map { String(format: "%02x", $0) }.joined()
        let body = try JSONSerialization.data(withJSONObject: ["username": settings.username, "password": md5])
        let json = try await post(path: "/api/token/take", query: [], body: body, deadline: deadline)
        guard let key = json["APIKey"] as? [String: Any], let access = key["access_token"] as? String,
            let id = key["id_token"] as? String, !access.isEmpty
        else { throw Failure.retryable("insurance.malformed") }
        let fresh = GatewayToken(accessToken: access, idToken: id)
        token.withLock { $0 = fresh }
        return fresh
    }

    private func cardHistory(_ query: InsuranceQuery, token: GatewayToken, deadline: NIODeadline) async throws
        -> InsuranceOutcome
    {
        let officerID =
            settings.officerIDFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let birth = query.dateOfBirth
        let body = try JSONSerialization.data(withJSONObject: [
            "maThe": query.idNumber.digits, "hoTen": query.fullName,
            "ngaySinh": String(format: "%02d/%02d/%04d", birth.day, birth.month, birth.year),
            "hoTenCb": settings.officerName, "cccdCb": officerID,
        ])
        let json = try await post(
            path: "/api/egw/KQNhanLichSuKCB2024",
            query: [("token", token.accessToken), ("id_token", token.idToken), ("username", settings.username)],
            body: body, deadline: deadline)
        guard let code = json["maKetQua"] as? String else { throw Failure.retryable("insurance.malformed") }
        if code == "401" { throw Failure.tokenExpired }
        let wire = Self.wire(code: code, json, query: query)
        return InsuranceOutcome(
            wire: wire, disagreements: wire.disagreements.isEmpty ? [] : InsuranceDisagreement.all(json, query: query))
    }

    /// The gateway's answer as the desk shows it, with the fields that disagree with the chip.
    static func wire(code: String, _ json: [String: Any], query: InsuranceQuery) -> InsuranceWire {
        let found = ["000", "001", "002", "003", "004"].contains(code)
        guard found else { return InsuranceWire(status: "notFound", detail: "maKetQua \(code)", resultCode: code) }
        let from = (json["gtTheTu"] as? String).flatMap(ChipMapping.date)
        let to = (json["gtTheDen"] as? String).flatMap(ChipMapping.date)
        let today = CalendarDate(vietnamDayOf: Date())
        let status = to.map { $0 < today } ?? false ? "expired" : "valid"
        return InsuranceWire(
            status: status, cardCode: json["maThe"] as? String, validFrom: from?.iso, validTo: to?.iso,
            registeredFacility: json["maDKBD"] as? String, resultCode: code,
            disagreements: InsuranceDisagreement.all(json, query: query).map(\.field))
    }

    private func post(path: String, query: [(String, String)], body: Data, deadline: NIODeadline) async throws
        -> [String: Any]
    {
        var components = URLComponents(
            string: settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url)
        components?.path += path
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.url?.absoluteString else { throw Failure.final("insurance.bad_url") }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let timeout = deadline - NIODeadline.now()
        guard timeout.nanoseconds > 0 else { throw Failure.final("insurance.timeout") }
        let response = try await client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        switch response.status.code {
        case 401: throw Failure.tokenExpired
        case 500...599: throw Failure.retryable("insurance.server_error")
        case 200...299: break
        default: throw Failure.final("insurance.http_\(response.status.code)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any] else {
            throw Failure.retryable("insurance.malformed")
        }
        return object
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return "insurance.timeout"
        }
        return "insurance.unreachable"
    }
}

/// A field where the insurance record and the chip disagree (a data-cleansing case).
struct InsuranceDisagreement: Sendable, Hashable {
    /// `fullName`, `dateOfBirth` or `sex`.
    var field: String
    /// The insurance record's value.
    var insurance: String
    /// The chip's value.
    var chip: String

    /// Every disagreement of a gateway answer with the chip's identity.
    static func all(_ json: [String: Any], query: InsuranceQuery) -> [InsuranceDisagreement] {
        var found: [InsuranceDisagreement] = []
        if let name = json["hoTen"] as? String, QRCrossCheck.folded(name) != QRCrossCheck.folded(query.fullName) {
            found.append(.init(field: "fullName", insurance: name, chip: query.fullName))
        }
        if let text = json["ngaySinh"] as? String {
            let birth = query.dateOfBirth
            // The gateway may hold the year only (old records).
            let agrees = text.count == 4 ? Int(text) == birth.year : ChipMapping.date(text) == birth
            if !agrees { found.append(.init(field: "dateOfBirth", insurance: text, chip: birth.iso)) }
        }
        if let text = json["gioiTinh"] as? String {
            let sex: Sex? =
                switch text.lowercased() {
                case "nam", "1": .male
                case "nữ", "nu", "2": .female
                default: nil
                }
            if let sex, query.sex != .unspecified, sex != query.sex {
                found.append(.init(field: "sex", insurance: text, chip: query.sex == .male ? "Nam" : "Nữ"))
            }
        }
        return found
    }
}
