import ControlAPI
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Messages
import NIOCore
import NIOHTTPTypes
import NIOSSL

/// The TCP listener's connections: the same TLS, admission and slow-client guard as the control socket's
/// (`GuardedHTTP1Channel`), with HTTP/1 that may upgrade to a WebSocket on `GET /v1/events/ws`
/// (hummingbird-websocket's `HTTP1WebSocketUpgradeChannel`).
///
/// The upgrade request passes the same gate as every other request on the listener, before the upgrade is
/// answered: a refused `Origin` is 403 `listener.origin_not_allowed`, no token (or an unknown or revoked one) 401
/// `listener.unauthorized` with `WWW-Authenticate: Bearer`, a token whose scopes lack the route 403
/// `listener.out_of_scope` — the same JSON error bodies, then the connection is closed. An upgraded connection
/// receives each event its token's scopes allow as one text message, the event's JSON (the `data:` of the SSE
/// stream on `/v1/events`); the server pings every 30 s and the connection ends when the client closes it, when the
/// daemon stops (1001) or at the first event after its token is revoked (1008). A request that is not an upgrade is
/// served by the router exactly as on `GuardedHTTP1Channel`.
struct ListenerChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    /// TLS, admission, timeouts (its transport is `.tcp`).
    let guarded: GuardedHTTP1Channel
    /// Origin, token and scope checks.
    let gate: ListenerGate
    /// The events the sockets forward.
    let hub: EventHub

    /// The server builder for `Application(server:)`: `GuardedHTTP1Channel`'s limits over TCP (TLS with a context).
    static func builder(
        timeoutSeconds: Double, idleTimeoutSeconds: Double?, maxBodyBytes: Int, admission: ControlAdmission,
        tls: NIOSSLContext?, gate: ListenerGate, hub: EventHub
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            ListenerChannel(
                guarded: GuardedHTTP1Channel.make(
                    responder: responder, timeoutSeconds: timeoutSeconds, idleTimeoutSeconds: idleTimeoutSeconds,
                    maxBodyBytes: maxBodyBytes, admission: admission, transport: .tcp(tls: tls)),
                gate: gate, hub: hub)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guarded.setupTCP(channel: channel) { watch in
            let refusal = UpgradeRefusal()
            let upgrade = HTTP1WebSocketUpgradeChannel(
                responder: guarded.responder,
                configuration: .init(
                    http1: .init(
                        additionalChannelHandlers: [
                            HTTPSlowClientHandler(watch: watch), UpgradeRefusalHandler(refusal: refusal),
                        ]),
                    ws: .init(maxFrameSize: 1 << 16)),
                shouldUpgrade: { head, channel, logger in
                    // Runs on the connection's event loop (the synchronous variant), as the watch requires.
                    channel.eventLoop.assertInEventLoop()
                    switch admitEvents(head, channel: channel, logger: logger) {
                    case .failure(let error):
                        refusal.error = error
                        refusal.english = AcceptLanguage.prefersEnglish(head.headerFields[.acceptLanguage])
                        return .dontUpgrade
                    case .success(let admitted):
                        // The request is whole: the socket is now an open-ended answer, like an SSE stream.
                        watch.deadline.requestEnded(at: SlowClientWatch.now)
                        watch.rearm()
                        var headers = HTTPFields()
                        if let selected = admitted.subprotocol { headers[.secWebSocketProtocol] = selected }
                        return .upgrade(headers) { inbound, outbound, _ in
                            try await forward(
                                only: admitted.types, token: admitted.token, inbound: inbound, outbound: outbound)
                        }
                    }
                })
            return upgrade.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1WebSocketUpgradeChannel(
            responder: guarded.responder, configuration: .init(), shouldUpgrade: { _, _, _ in .dontUpgrade }
        ).handle(value: value, logger: logger)
    }

    /// The subprotocol a browser offers, since its `WebSocket` cannot send `Authorization`: `stationd.events`
    /// together with `stationd.bearer.TOKEN` in `Sec-WebSocket-Protocol`; the answer selects `stationd.events`.
    static let eventsSubprotocol = "stationd.events"
    /// The prefix of the subprotocol that carries the token.
    static let bearerSubprotocolPrefix = "stationd.bearer."

    /// An admitted upgrade.
    struct Admitted: Sendable {
        /// The event types the caller may receive (nil: all).
        var types: Set<String>?
        /// Its bearer token (nil: the console's session), looked up again before each event.
        var token: String?
        /// The subprotocol the answer selects (when the token came in one).
        var subprotocol: String?
    }

    /// The gate for an upgrade request: what its caller may receive, or the refusal. The token comes from
    /// `Authorization`, else from the offered subprotocols (`stationd.bearer.TOKEN` beside `stationd.events`).
    private func admitEvents(
        _ offered: HTTPRequest, channel: any Channel, logger: Logger
    ) -> Result<Admitted, APIError> {
        var head = offered
        var subprotocol: String?
        if head.headerFields[.authorization] == nil, let list = head.headerFields[.secWebSocketProtocol] {
            let protocols = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if protocols.contains(Self.eventsSubprotocol),
                let bearer = protocols.first(where: { $0.hasPrefix(Self.bearerSubprotocolPrefix) })
            {
                head.headerFields[.authorization] = "Bearer " + bearer.dropFirst(Self.bearerSubprotocolPrefix.count)
                subprotocol = Self.eventsSubprotocol
            }
        }
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        guard request.uri.path == ControlPaths.eventsSocket else {
            return .failure(
                APIError(.notFound, Message(.listenerWebSocketPath, ["path": ControlPaths.eventsSocket])))
        }
        var context = StationRequestContext(source: .init(channel: channel, logger: logger))
        do throws(APIError) {
            if case .refused = gate.cors.decide(
                method: "GET", origin: gate.crossOrigin(request), requestMethod: nil)
            {
                throw ListenerGate.originRefused
            }
            try gate.authenticate(request, &context)
            try context.require(.operator)
        } catch {
            return .failure(error)
        }
        let token = head.headerFields[.authorization].map { $0.dropFirst(7).trimmingCharacters(in: .whitespaces) }
        return .success(Admitted(types: context.eventTypes, token: token, subprotocol: subprotocol))
    }

    /// Sends each allowed event as a text message until the client closes, or the hub ends at shutdown (then a
    /// close frame, `going away`). The token is looked up again before each event: once it is revoked the socket
    /// is closed (`policy violation`, 1008) and nothing more is sent.
    private func forward(
        only types: Set<String>?, token: String?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        let subscription = hub.subscribe()
        let clients = gate.clients
        let sending = Task {
            for await event in subscription where types?.contains(event.type) ?? true {
                if let token, clients.authenticate(token: token) == nil {
                    try await outbound.close(.policyViolation, reason: "token revoked")
                    return
                }
                let data = try ControlJSON.encoder().encode(event)
                try await outbound.writeTextMessage(String(decoding: data, as: UTF8.self))
            }
            if !Task.isCancelled { try await outbound.close(.goingAway, reason: "stationd stopping") }
        }
        // Nothing the client sends is a command: the stream is read only to see it close.
        let reading = Task {
            do {
                for try await _ in inbound {}
            } catch {}
            sending.cancel()
        }
        defer { reading.cancel() }
        try await sending.value
    }
}

/// Why this connection's upgrade was refused (set on its event loop before the answer is written).
final class UpgradeRefusal: @unchecked Sendable {
    var error: APIError?
    var english = false
}

/// After the HTTP codec of a connection whose upgrade was refused: turns hummingbird-websocket's bare
/// `400` into the gate's answer (401/403/404 with the JSON error body, `WWW-Authenticate` on 401).
final class UpgradeRefusalHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let refusal: UpgradeRefusal

    init(refusal: UpgradeRefusal) { self.refusal = refusal }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let error = refusal.error, case .head(var head) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        refusal.error = nil
        let body = ControlErrorBody(
            code: error.code, message: error.text(refusal.english ? .english : .vietnamese), detail: error.detail)
        let json = (try? ControlJSON.encoder().encode(body)) ?? Data("{}".utf8)
        head.status = error.status
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        head.headerFields[.contentLength] = "\(json.count)"
        head.headerFields[.connection] = "close"
        if error.status == .unauthorized { head.headerFields[.wwwAuthenticate] = #"Bearer realm="stationd""# }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: json))), promise: promise)
    }
}
