import ControlAPI
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Messages
import NIOCore
import NIOHTTPTypes
import NIOSSL

/// Hummingbird's HTTP/1 child channel with slow clients cut (`control.request_timeout_seconds`), idle
/// keep-alive connections closed (`control.idle_timeout_seconds`) and connections admitted by the
/// `ControlAdmission` ledger (`control.max_connections`, `control.max_connections_per_uid`).
///
/// Hummingbird's own idle timeout counts only whole HTTP parts and would also close an intake client's idle
/// keep-alive connection, which owns the session: so the daemon installs its own pair of handlers, one before
/// the HTTP decoder (sees every byte) and one after it (sees request and response parts), sharing one
/// `RequestDeadline`. A request that does not arrive in time is answered `408 control.request_timeout` (when
/// nothing was answered yet) and its connection closed. After a body is refused as too large (413) the rest of
/// it is read and discarded — so that a client that sends it all before reading sees the answer — up to
/// `discardAllowance` bytes (4 × `control.max_body_bytes`, at least 1 MiB): a body that never ends is cut there.
/// Any other answer given while its request's body is still arriving (a route that takes no body, a caller
/// refused with 403, a body refused by the memory budget) carries `Connection: close` and the connection is
/// closed once it is sent: the rest of the body is never read.
///
/// A connection over a limit is answered at once (before its request is read) with 503 `control.overloaded`
/// (the station's total) or 429 `control.caller_limit` (the caller's uid's share) and closed; beyond
/// `ControlAdmission.explainedPerSecond` refusals a second for one uid, without an answer.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    /// Request timeout in nanoseconds.
    let timeout: UInt64
    /// Idle keep-alive timeout in nanoseconds (nil: unlimited).
    let idleTimeout: UInt64?
    /// Bytes of a refused body read and discarded before the connection is closed.
    let discardAllowance: Int
    /// The connection and body-memory ledger.
    let admission: ControlAdmission
    /// Which way callers come in: the Unix socket (counted by uid), or the TCP listener (counted by address,
    /// with TLS when it has a context).
    let transport: Transport

    /// Where connections come from.
    enum Transport: Sendable {
        /// The control socket: callers by SO_PEERCRED.
        case unixSocket
        /// The TCP listener, TLS when a context is given.
        case tcp(tls: NIOSSLContext?)
    }

    /// The server builder for `Application(server:)`.
    static func builder(
        timeoutSeconds: Double, idleTimeoutSeconds: Double?, maxBodyBytes: Int, admission: ControlAdmission,
        transport: Transport = .unixSocket
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            make(
                responder: responder, timeoutSeconds: timeoutSeconds, idleTimeoutSeconds: idleTimeoutSeconds,
                maxBodyBytes: maxBodyBytes, admission: admission, transport: transport)
        }
    }

    /// One connection's channel with the configured limits.
    static func make(
        responder: @escaping HTTPChannelHandler.Responder, timeoutSeconds: Double, idleTimeoutSeconds: Double?,
        maxBodyBytes: Int, admission: ControlAdmission, transport: Transport
    ) -> GuardedHTTP1Channel {
        GuardedHTTP1Channel(
            responder: responder, timeout: UInt64(max(0.001, timeoutSeconds) * 1e9),
            idleTimeout: idleTimeoutSeconds.map { UInt64(max(0.001, $0) * 1e9) },
            discardAllowance: max(1 << 20, 4 * maxBodyBytes), admission: admission, transport: transport)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if case .tcp = transport {
            return setupTCP(channel: channel) { watch in setupHTTP(channel: channel, watch: watch, logger: logger) }
        }
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).flatMap { (credentials: PeerCredentials.UCred) -> EventLoopFuture<Value> in
            admit(channel: channel, key: credentials.uid) { watch in
                setupHTTP(channel: channel, watch: watch, logger: logger)
            }
        }
    }

    /// A TCP connection: TLS when there is a context, then admission by address and the slow-client watch; `then`
    /// builds the HTTP pipeline on top (plain HTTP/1, or HTTP/1 with the WebSocket upgrade: `ListenerChannel`).
    func setupTCP<Result>(
        channel: any Channel, then: (SlowClientWatch) -> EventLoopFuture<Result>
    ) -> EventLoopFuture<Result> {
        if case .tcp(let tls?) = transport {
            // TLS first, so the slow-client handlers see (and time) the decrypted request.
            do {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        return admit(channel: channel, key: ListenerGate.admissionKey(channel.remoteAddress), then: then)
    }

    /// Counts the connection under `key` (a uid, or a TCP caller's address key) or refuses it, then installs the
    /// raw slow-client handler and lets `then` build the HTTP pipeline with its watch.
    private func admit<Result>(
        channel: any Channel, key uid: UInt32, then: (SlowClientWatch) -> EventLoopFuture<Result>
    ) -> EventLoopFuture<Result> {
        if let refusal = admission.open(uid: uid) {
            StationMetric.limitRefusal(kind: "connection", whose: refusal.rawValue)
            guard admission.explains(uid: uid) else {
                // A flood: closed without an answer (an answer costs a whole HTTP pipeline).
                return channel.eventLoop.makeFailedFuture(ChannelError.inputClosed)
            }
            do {
                // After TLS (when there is one): the refusal is an HTTP answer inside the session.
                try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler(refusal: refusal))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        } else {
            channel.closeFuture.whenComplete { _ in admission.close(uid: uid) }
        }
        let watch = SlowClientWatch(
            timeout: timeout, idleTimeout: idleTimeout, discardAllowance: discardAllowance)
        do {
            try channel.pipeline.syncOperations.addHandler(RawSlowClientHandler(watch: watch))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return then(watch)
    }

    private func setupHTTP(channel: any Channel, watch: SlowClientWatch, logger: Logger) -> EventLoopFuture<Value> {
        let http = HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: [HTTPSlowClientHandler(watch: watch)]))
        return http.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder).handle(value: value, logger: logger)
    }
}

/// First in the pipeline of a connection over a limit: answers 503/429 as soon as the connection is active
/// (in Vietnamese: its request is never read), then closes it.
final class RefusedConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let refusal: ConnectionLedger.Refusal
    private var answered = false

    init(refusal: ConnectionLedger.Refusal) { self.refusal = refusal }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}  // never read

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let error = ControlAdmission.error(refusal, body: false)
        let status = refusal == .station ? "503 Service Unavailable" : "429 Too Many Requests"
        let json =
            (try? ControlJSON.encoder().encode(ControlErrorBody(code: error.code, message: error.vietnamese)))
            ?? Data("{}".utf8)
        var buffer = context.channel.allocator.buffer(capacity: 200 + json.count)
        buffer.writeString(
            "HTTP/1.1 \(status)\r\ncontent-type: application/json; charset=utf-8\r\n"
                + "content-length: \(json.count)\r\nretry-after: 2\r\nconnection: close\r\n\r\n")
        buffer.writeBytes(json)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

extension HTTPFields.Element.Name {
    /// `Keep-Alive` (RFC 9112 appendix C.2.2): tells clients the idle timeout (`timeout=N`).
    static let keepAlive = HTTPFields.Element.Name("Keep-Alive")!
}

/// One connection's deadline, shared by its two handlers. Touched only on the connection's event loop.
final class SlowClientWatch: @unchecked Sendable {
    var deadline: RequestDeadline
    /// The current request asked for English (`Accept-Language`).
    var english = false
    /// The answer was given while the request's body was still arriving: close once it is sent.
    var closeAfterResponse = false
    /// `Keep-Alive` header value advertising the idle timeout (nil: none).
    let keepAlive: String?
    /// Bytes of a refused body still to be discarded before closing.
    let discardAllowance: Int
    /// While a refused (413) body is being discarded: how many more bytes are accepted.
    var discardRemaining: Int?
    /// Re-arms the timer after a phase change (set by the raw handler).
    var rearm: () -> Void = {}

    init(timeout: UInt64, idleTimeout: UInt64?, discardAllowance: Int) {
        deadline = RequestDeadline(
            timeout: timeout, idleTimeout: idleTimeout, openedAt: NIODeadline.now().uptimeNanoseconds)
        self.discardAllowance = discardAllowance
        keepAlive = idleTimeout.map { "timeout=\(max(1, $0 / 1_000_000_000))" }
    }

    static var now: UInt64 { NIODeadline.now().uptimeNanoseconds }
}

/// First in the pipeline: notes every byte's arrival, runs the timer, answers 408 and closes.
final class RawSlowClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let watch: SlowClientWatch
    private var scheduled: Scheduled<Void>?
    private var armedFor: UInt64?
    private var cut = false

    init(watch: SlowClientWatch) { self.watch = watch }

    func handlerAdded(context: ChannelHandlerContext) {
        StationMetric.connection(+1)
        watch.rearm = { [unowned self] in self.arm(context) }
        arm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        StationMetric.connection(-1)
        scheduled?.cancel()
        scheduled = nil
        watch.rearm = {}
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        watch.deadline.bytesArrived(at: SlowClientWatch.now)
        arm(context)
        context.fireChannelRead(data)
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard !cut, let next = watch.deadline.nextCheck else { return }
        if armedFor == next, scheduled != nil { return }
        scheduled?.cancel()
        armedFor = next
        scheduled = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(
            deadline: .uptimeNanoseconds(next)
        ) { [self] in
            scheduled = nil
            armedFor = nil
            check(context)
        }
    }

    private func check(_ context: ChannelHandlerContext) {
        guard !cut, context.channel.isActive else { return }
        guard let reason = watch.deadline.expired(at: SlowClientWatch.now) else {
            arm(context)
            return
        }
        cut = true
        StationMetric.slowClientClosed(reason: reason.rawValue)
        guard !watch.deadline.responseStarted, reason != .idle else {
            context.close(promise: nil)
            return
        }
        let body = ControlErrorBody(
            code: ControlErrorCode.requestTimeout.rawValue,
            message: Message(.controlRequestTimeout).text(watch.english ? .english : .vietnamese))
        let json = (try? ControlJSON.encoder().encode(body)) ?? Data("{}".utf8)
        var buffer = context.channel.allocator.buffer(capacity: 160 + json.count)
        buffer.writeString(
            "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json; charset=utf-8\r\n"
                + "content-length: \(json.count)\r\nconnection: close\r\n\r\n")
        buffer.writeBytes(json)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// After the HTTP decoder: notes request heads and ends and response heads and ends.
final class HTTPSlowClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let watch: SlowClientWatch

    init(watch: SlowClientWatch) { self.watch = watch }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            watch.english = AcceptLanguage.prefersEnglish(head.headerFields[.acceptLanguage])
            watch.deadline.headArrived(at: SlowClientWatch.now)
        case .body(let buffer):
            if let remaining = watch.discardRemaining {
                watch.discardRemaining = remaining - buffer.readableBytes
                if remaining - buffer.readableBytes < 0 {
                    // A refused body beyond the allowance (one that may never end): cut it here.
                    watch.discardRemaining = nil
                    StationMetric.slowClientClosed(reason: "discard")
                    context.close(promise: nil)
                    return
                }
            }
        case .end:
            watch.discardRemaining = nil
            watch.deadline.requestEnded(at: SlowClientWatch.now)
        }
        watch.rearm()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            watch.deadline.responseHeadWritten()
            if case .receiving = watch.deadline.phase {
                if head.status.code == 413 {
                    watch.discardRemaining = watch.discardAllowance
                } else {
                    watch.closeAfterResponse = true
                }
            }
            if watch.closeAfterResponse {
                head.headerFields[.connection] = "close"
            } else if let keepAlive = watch.keepAlive {
                head.headerFields[.keepAlive] = keepAlive
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            watch.deadline.responseEnded(at: SlowClientWatch.now)
            watch.rearm()
            guard watch.closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            // Answered before the body arrived, and not a 413: the rest of the body is never read.
            let written = context.eventLoop.makePromise(of: Void.self)
            if let promise { written.futureResult.cascade(to: promise) }
            context.writeAndFlush(data, promise: written)
            written.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
