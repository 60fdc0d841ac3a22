import ControlAPI
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Messages

/// The web console on the TCP listener: the login (`/console/login`, `/console/logout`, `/console/session`) and
/// the page's static files under `/console/`, each with a strict Content-Security-Policy (`default-src 'self'`,
/// no inline script, nothing from the network) and revalidated caching (`no-cache` + a content `ETag`, `304` to
/// `If-None-Match`), so a new daemon's page is seen at once and an unchanged one costs no bytes.
struct ConsoleRoutes: Sendable {
    let core: StationCore
    let login: ConsoleLogin
    let assets: ConsoleAssets

    /// Requests that reach their route without a session: the static files and the login itself.
    static func isPublic(_ request: Request) -> Bool {
        let path = request.uri.path
        if request.method == .post { return path == ControlPaths.consoleLogin }
        guard request.method == .get || request.method == .head else { return false }
        return (path == "/console" || path.hasPrefix("/console/")) && path != ControlPaths.consoleSession
    }

    func add(to router: Router<StationRequestContext>) {
        let login = login
        let assets = assets
        let core = core
        router.post(RouterPath(ControlPaths.consoleLogin)) { request, context in
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
                // A cross-site form cannot send JSON without a preflight: no login CSRF.
                throw APIError(.badRequest, Message(.consoleJsonRequired))
            }
            let body = try await Body.decode(ConsoleLoginRequest.self, request, core)
            let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
            switch await login.login(account: body.account, password: body.password) {
            case .opened(let session):
                try await core.store.run {
                    try $0.auditConsole(
                        .login, account: session.identity.account, uid: session.identity.uid, address: address)
                }
                core.logger.notice(
                    "console login", metadata: ["account": "\(session.identity.account)", "role": "\(session.role)"])
                var response = JSONResponse.make(login.wire(session))
                response.headers[.setCookie] = ConsoleCookie.set(session.id, secure: login.secure)
                response.headers[.cacheControl] = "no-store"
                return response
            case .failed(let lockedNow):
                if lockedNow {
                    try await core.store.run {
                        try $0.auditConsole(.locked, account: body.account, uid: nil, address: address)
                    }
                    core.logger.warning("console account locked out", metadata: ["account": "\(body.account)"])
                }
                throw APIError(.unauthorized, code: ConsoleErrorCode.loginFailed, Message(.consoleLoginFailed))
            case .locked(let until):
                let minutes = max(1, Int((until - login.clock()) / 60 + 0.99))
                throw APIError(
                    .forbidden, code: ConsoleErrorCode.locked, Message(.consoleLocked, ["minutes": "\(minutes)"]))
            case .noRole:
                throw APIError(.forbidden, code: ConsoleErrorCode.noRole, Message(.consoleNoRole))
            case .unavailable:
                core.logger.error(
                    "console login: the password helper did not answer",
                    metadata: ["socket": "\((login.passwords as? PasswordHelperClient)?.socketPath ?? "")"])
                throw APIError(
                    .serviceUnavailable, code: ConsoleErrorCode.passwordCheckUnavailable,
                    Message(.consolePasswordCheckUnavailable))
            }
        }
        router.get(RouterPath(ControlPaths.consoleSession)) { request, _ in
            guard let id = ConsoleCookie.sessionID(from: request.headers[.cookie]),
                case .valid(let session) = login.book.withLock({
                    $0.check(id: id, csrf: nil, stateChanging: false, now: login.clock())
                })
            else { throw ConsoleLogin.expired }
            var response = JSONResponse.make(login.wire(session))
            response.headers[.cacheControl] = "no-store"
            return response
        }
        router.post(RouterPath(ControlPaths.consoleLogout)) { request, _ in
            // The gate has checked the session and its CSRF token.
            if let id = ConsoleCookie.sessionID(from: request.headers[.cookie]) {
                login.book.withLock { $0.close(id: id) }
            }
            var response = Response(status: .noContent)
            response.headers[.setCookie] = ConsoleCookie.clear(secure: login.secure)
            return response
        }
        // `/console` and `/console/` are one route; the page's relative links need the slash.
        router.get("/console") { request, _ in
            guard request.uri.path.hasSuffix("/") else {
                return Response(status: .seeOther, headers: [.location: "/console/"])
            }
            return assets.response(for: "index.html", request)
        }
        // The names of the closed vocabularies (verdicts, states, bundles, …) and every word of the pages (the
        // `text` family) in the caller's language, from the one message catalog: the page shows them and keeps no
        // list of its own. `clientScope` lists the scopes a client token may have (wire names, shown as they are).
        router.get(RouterPath(ControlPaths.consoleTerms)) { _, context in
            let language: Language = context.english ? .english : .vietnamese
            var names = Dictionary(
                uniqueKeysWithValues: Term.allCases.map { family in
                    (family.rawValue, family.values.map { ConsoleTermWire(value: $0, name: family.name($0, language)) })
                })
            names["clientScope"] = ClientScope.allCases.map { ConsoleTermWire(value: $0.rawValue, name: $0.rawValue) }
            var response = JSONResponse.make(names)
            response.headers[.vary] = "Accept-Language"
            return response
        }
        router.get("/console/:file") { request, context in
            assets.response(for: context.parameters.get("file") ?? "", request)
        }
    }
}

/// The console's static files, read once at start from the package's resources (`Console/Assets`, beside the
/// binary as SwiftPM builds it) or from `/usr/share/stationd/console` (installed).
struct ConsoleAssets: Sendable {
    struct File: Sendable {
        let bytes: Data
        let type: String
        let etag: String
    }

    let files: [String: File]

    /// Every response of the console's pages: scripts and styles only from the station itself, no inline script,
    /// no frames, no plugins, forms only to the station.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        + "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static let types = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml", "png": "image/png",
        "ico": "image/x-icon", "json": "application/json",
    ]

    /// The folders looked in, in order.
    static var folders: [URL] {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return [
            executable.appendingPathComponent("issuance-station_Station.resources/Assets"),
            URL(fileURLWithPath: "/usr/share/stationd/console"),
        ]
    }

    /// Loads the first folder that has `index.html` (empty when none has: the console answers 404).
    static func load(from folders: [URL] = folders) -> ConsoleAssets {
        let manager = FileManager.default
        for folder in folders where manager.fileExists(atPath: folder.appendingPathComponent("index.html").path) {
            var files: [String: File] = [:]
            for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] {
                let kind = (name as NSString).pathExtension
                guard let type = types[kind],
                    let bytes = try? Data(contentsOf: folder.appendingPathComponent(name))
                else { continue }
                let digest = SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined()
                files[name] = File(bytes: bytes, type: type, etag: "\"\(digest)\"")
            }
            return ConsoleAssets(files: files)
        }
        return ConsoleAssets(files: [:])
    }

    /// The file, `304` when the browser's copy is current, or `404`.
    func response(for name: String, _ request: Request) -> Response {
        var headers: HTTPFields = [
            .contentSecurityPolicy: Self.contentSecurityPolicy, .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("X-Frame-Options")!: "DENY",
        ]
        guard let file = files[name] else {
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(
                status: .notFound, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "Not found\n")))
        }
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = file.etag
        if request.headers[.ifNoneMatch] == file.etag { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = file.type
        headers[.contentLength] = "\(file.bytes.count)"
        let body: ResponseBody = request.method == .head ? .init() : .init(byteBuffer: ByteBuffer(data: file.bytes))
        return Response(status: .ok, headers: headers, body: body)
    }
}
