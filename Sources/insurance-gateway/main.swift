import Foundation
import Hummingbird
import Synchronization

// insurance-gateway: a stand-in for the social-insurance (BHXH) gateway as HIS vendors call it (CCCD-CHIP.md §6), for
// tests, the demo and the bench. Not part of a station.
//
//   insurance-gateway --fixture FILE [--host 127.0.0.1] [--port 0] [--latency-ms N] [--fault F]...
//
// FILE: {"username": "...", "password": "...", "records": {"<12-digit ID>": {<gateway answer fields>}}}.
// `POST /api/token/take` {username, password: MD5 hex} → {maKetQua: "200", APIKey: {access_token, id_token}};
// `POST /api/egw/KQNhanLichSuKCB2024?token=&id_token=&username=` {maThe, hoTen, ngaySinh, hoTenCb, cccdCb} → the
// fixture's record for maThe (maKetQua "000"), or {maKetQua: "010"} when there is none; an unknown token → 401.
// Faults (each counts down on card lookups): `slow:MS` (every lookup waits MS), `5xx:N` (the next N lookups answer
// 503), `expired-token:N` (the next N lookups find their token expired: 401, every token dropped), `malformed:N`
// (the next N lookups answer a body that is not JSON). `GET /stats` answers {tokens, lookups, answered}.
// Prints `listening on port N` once bound.

let usage = """
    USAGE: insurance-gateway --fixture FILE [--host 127.0.0.1] [--port 0] [--latency-ms N] [--fault F]...
      faults: slow:MS, 5xx:N, expired-token:N, malformed:N

    """

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") {
    print(usage, terminator: "")
    exit(0)
}

func options(_ name: String) -> [String] {
    var found: [String] = []
    var index = 0
    while index < arguments.count {
        if arguments[index] == "--\(name)", index + 1 < arguments.count { found.append(arguments[index + 1]) }
        index += 1
    }
    return found
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("insurance-gateway: \(message)\n\n\(usage)".utf8))
    exit(2)
}

guard let fixturePath = options("fixture").last,
    let fixtureData = FileManager.default.contents(atPath: fixturePath),
    let fixture = try? JSONSerialization.jsonObject(with: fixtureData) as? [String: Any]
else { fail("--fixture FILE (JSON) is required") }
let records = fixture["records"] as? [String: [String: Any]] ?? [:]
let username = fixture["username"] as? String ?? ""
let passwordMD5 = md5Hex(fixture["password"] as? String ?? "")
let latency = Int(options("latency-ms").last ?? "0") ?? 0

struct Faults: Sendable {
    var slowMs = 0
    var serverErrors = 0
    var expiredTokens = 0
    var malformed = 0
}

var initial = Faults()
for fault in options("fault") {
    let parts = fault.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2, let n = Int(parts[1]), n >= 0 else { fail("bad fault \(fault)") }
    switch parts[0] {
    case "slow": initial.slowMs = n
    case "5xx": initial.serverErrors = n
    case "expired-token": initial.expiredTokens = n
    case "malformed": initial.malformed = n
    default: fail("unknown fault \(parts[0])")
    }
}

struct GatewayState: Sendable {
    var faults: Faults
    var tokens: Set<String> = []
    var tokensIssued = 0
    var lookups = 0
    var answered = 0
}

let state = Mutex(GatewayState(faults: initial))
let recordsBox = RecordsBox(records)

final class RecordsBox: @unchecked Sendable {
    let records: [String: [String: Any]]
    init(_ records: [String: [String: Any]]) { self.records = records }
}

func md5Hex(_ text: String) -> String {
    // A small MD5 (RFC 1321) so the simulator needs no crypto library.
    var message = Array(text.utf8)
    let bitLength = UInt64(message.count) * 8
    message.append(0x80)
    while message.count % 64 != 56 { message.append(0) }
    for i in 0..<8 { message.append(UInt8((bitLength >> (8 * UInt64(i))) & 0xFF)) }
    let s: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
        14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21,
        6, 10, 15, 21, 6, 10, 15, 21,
    ]
    let k: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }
    var a0: UInt32 = 0x6745_2301
    var b0: UInt32 = 0xefcd_ab89
    var c0: UInt32 = 0x98ba_dcfe
    var d0: UInt32 = 0x1032_5476
    for chunk in stride(from: 0, to: message.count, by: 64) {
        let m: [UInt32] = (0..<16).map { i in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(message[chunk + i * 4 + $1]) << (8 * UInt32($1)) }
        }
        var (a, b, c, d) = (a0, b0, c0, d0)
        for i in 0..<64 {
            var f: UInt32
            let g: Int
            switch i {
            case 0..<16: (f, g) = ((b & c) | (~b & d), i)
            case 16..<32: (f, g) = ((d & b) | (~d & c), (5 * i + 1) % 16)
            case 32..<48: (f, g) = (b ^ c ^ d, (3 * i + 5) % 16)
            default: (f, g) = (c ^ (b | ~d), (7 * i) % 16)
            }
            f = f &+ a &+ k[i] &+ m[g]
            a = d
            d = c
            c = b
            b = b &+ ((f << s[i]) | (f >> (32 - s[i])))
        }
        a0 = a0 &+ a
        b0 = b0 &+ b
        c0 = c0 &+ c
        d0 = d0 &+ d
    }
    return [a0, b0, c0, d0].flatMap { word in (0..<4).map { UInt8((word >> (8 * UInt32($0))) & 0xFF) } }
        .map { String(format: "%02x", $0) }.joined()
}

@Sendable func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

@Sendable func body(_ request: Request) async throws -> [String: Any] {
    var request = request
    let buffer = try await request.collectBody(upTo: 1 << 16)
    return (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any]) ?? [:]
}

let router = Router()
router.post("/api/token/take") { request, _ -> Response in
    if latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
    let input = try await body(request)
    guard input["username"] as? String == username, input["password"] as? String == passwordMD5 else {
        return json(["maKetQua": "401", "message": "wrong user name or password"], status: .unauthorized)
    }
    let token = UUID().uuidString
    state.withLock {
        $0.tokens.insert(token)
        $0.tokensIssued += 1
    }
    return json([
        "maKetQua": "200", "APIKey": ["access_token": token, "id_token": "id-\(token)", "token_type": "Bearer"],
    ])
}
router.post("/api/egw/KQNhanLichSuKCB2024") { request, _ -> Response in
    let token = request.uri.queryParameters.get("token") ?? ""
    enum Answer { case slowThen, serverError, expired, malformed, normal, unknownToken }
    let (answer, slow): (Answer, Int) = state.withLock { s in
        s.lookups += 1
        if s.faults.serverErrors > 0 {
            s.faults.serverErrors -= 1
            return (.serverError, s.faults.slowMs)
        }
        if s.faults.expiredTokens > 0 {
            s.faults.expiredTokens -= 1
            s.tokens.removeAll()
            return (.expired, s.faults.slowMs)
        }
        if s.faults.malformed > 0 {
            s.faults.malformed -= 1
            return (.malformed, s.faults.slowMs)
        }
        return (s.tokens.contains(token) ? .normal : .unknownToken, s.faults.slowMs)
    }
    let wait = latency + slow
    if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) }
    switch answer {
    case .serverError:
        return json(["message": "service unavailable"], status: .serviceUnavailable)
    case .expired, .unknownToken:
        return json(["maKetQua": "401", "message": "token expired"], status: .unauthorized)
    case .malformed:
        return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "<html>Lỗi hệ thống")))
    case .normal, .slowThen:
        let input = try await body(request)
        let card = input["maThe"] as? String ?? ""
        state.withLock { $0.answered += 1 }
        guard var record = recordsBox.records[card] else {
            return json(["maKetQua": "010", "ghiChu": "Không tìm thấy thông tin thẻ"])
        }
        if record["maKetQua"] == nil { record["maKetQua"] = "000" }
        return json(record)
    }
}
router.get("/stats") { _, _ -> Response in
    let s = state.withLock { $0 }
    return json(["tokens": s.tokensIssued, "lookups": s.lookups, "answered": s.answered])
}

let app = Application(
    router: router,
    configuration: .init(
        address: .hostname(options("host").last ?? "127.0.0.1", port: Int(options("port").last ?? "0") ?? 0)),
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("listening on port \(channel.localAddress?.port ?? 0)\n".utf8))
    })
try await app.runService()
