import ControlAPI
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Hummingbird's HTTP/1 child channel with slow clients cut (`control.request_timeout_seconds`).
///
/// Hummingbird's own idle timeout counts only whole HTTP parts and would also close an intake client's idle
/// keep-alive connection, which owns the session: so the daemon installs its own pair of handlers, one before
/// the HTTP decoder (sees every byte) and one after it (sees request and response parts), sharing one
/// `RequestDeadline`. A request that does not arrive in time is answered `408 control.request_timeout` (when
/// nothing was answered yet) and its connection closed. After a body is refused as too large (413) the rest of
/// it is read and discarded — so that a client that sends it all before reading sees the answer — up to
/// `discardAllowance` bytes (4 × `control.max_body_bytes`, at least 1 MiB): a body that never ends is cut there.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    /// Request timeout in nanoseconds.
    let timeout: UInt64
    /// Bytes of a refused body read and discarded before the connection is closed.
    let discardAllowance: Int

    /// The server builder for `Application(server:)`.
    static func builder(timeoutSeconds: Double, maxBodyBytes: Int) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(
                responder: responder, timeout: UInt64(max(0.001, timeoutSeconds) * 1e9),
                discardAllowance: max(1 << 20, 4 * maxBodyBytes))
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let watch = SlowClientWatch(timeout: timeout, discardAllowance: discardAllowance)
        do {
            try channel.pipeline.syncOperations.addHandler(RawSlowClientHandler(watch: watch), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let http = HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: [HTTPSlowClientHandler(watch: watch)]))
        return http.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder).handle(value: value, logger: logger)
    }
}

/// One connection's deadline, shared by its two handlers. Touched only on the connection's event loop.
final class SlowClientWatch: @unchecked Sendable {
    var deadline: RequestDeadline
    /// The current request asked for English (`Accept-Language: en`).
    var english = false
    /// Bytes of a refused body still to be discarded before closing.
    let discardAllowance: Int
    /// While a refused (413) body is being discarded: how many more bytes are accepted.
    var discardRemaining: Int?
    /// Re-arms the timer after a phase change (set by the raw handler).
    var rearm: () -> Void = {}

    init(timeout: UInt64, discardAllowance: Int) {
        deadline = RequestDeadline(timeout: timeout, openedAt: NIODeadline.now().uptimeNanoseconds)
        self.discardAllowance = discardAllowance
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
        guard !watch.deadline.responseStarted else {
            context.close(promise: nil)
            return
        }
        let body = ControlErrorBody(
            code: ControlErrorCode.requestTimeout,
            message: watch.english
                ? "The request did not arrive in time; the connection is closed."
                : "Yêu cầu gửi đến quá chậm; kết nối bị đóng.")
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
            watch.english = head.headerFields[.acceptLanguage]?.lowercased().hasPrefix("en") ?? false
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
            watch.deadline.requestEnded()
        }
        watch.rearm()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            watch.deadline.responseHeadWritten()
            if head.status.code == 413, case .receiving = watch.deadline.phase {
                watch.discardRemaining = watch.discardAllowance
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            watch.deadline.responseEnded(at: SlowClientWatch.now)
            watch.rearm()
            context.write(data, promise: promise)
        }
    }
}
