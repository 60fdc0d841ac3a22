import CLibUSB
import Foundation

/// A transfer that was submitted and has not been awaited yet (e.g. a bulk IN posted before the command that makes
/// the device send). Await it with `USBDeviceHandle.wait(_:)`.
public struct USBPendingTransfer: Sendable {
    let transfer: USBTransfer
    let what: String
}

/// An interrupt IN endpoint kept permanently pending: every report is queued in arrival order.
public struct USBInterruptPipe: Sendable {
    let transfer: USBTransfer
    let endpoint: UInt8
}

/// An open USB device. Every call runs on the context's USB thread; the async API never blocks a Swift thread.
public final class USBDeviceHandle: @unchecked Sendable {
    /// What enumeration said about the device.
    public let info: USBDeviceInfo
    let context: USBContext
    let handle: OpaquePointer
    private let lock = NSLock()
    private var claimed: Set<UInt8> = []
    private var isClosed = false
    private var pipes: [USBTransfer] = []

    init(context: USBContext, handle: OpaquePointer, info: USBDeviceInfo) {
        self.context = context
        self.handle = handle
        self.info = info
    }

    deinit {
        if !isClosed {
            nonisolated(unsafe) let handle = self.handle
            let pipes = self.pipes
            let claimed = self.claimed
            let context = self.context
            context.thread.runBlocking {
                USBDeviceHandle.teardown(context: context.raw, handle: handle, pipes: pipes, claimed: claimed)
            }
            context.handleClosed()
        }
    }

    /// Claims an interface (detaching a kernel driver if one is bound).
    public func claimInterface(_ number: UInt8) async throws {
        nonisolated(unsafe) let handle = self.handle
        let path = info.devicePath
        try await context.thread.run {
            var rc = libusb_claim_interface(handle, Int32(number))
            if rc == Int32(LIBUSB_ERROR_BUSY.rawValue), libusb_kernel_driver_active(handle, Int32(number)) == 1 {
                // A kernel driver holds it (e.g. usbhid on a combo device): detach, then claim.
                _ = libusb_detach_kernel_driver(handle, Int32(number))
                rc = libusb_claim_interface(handle, Int32(number))
            }
            guard rc == 0 else { throw USBContext.error(rc, "claim interface \(number)", device: path) }
        }
        lock.withLock { _ = claimed.insert(number) }
    }

    /// Releases an interface.
    public func releaseInterface(_ number: UInt8) async {
        nonisolated(unsafe) let handle = self.handle
        _ = try? await context.thread.run { libusb_release_interface(handle, Int32(number)) }
        lock.withLock { _ = claimed.remove(number) }
    }

    /// Stops interrupt pipes, releases interfaces and closes the device. Idempotent.
    public func close() async {
        let state: ([USBTransfer], Set<UInt8>)? = lock.withLock {
            if isClosed { return nil }
            isClosed = true
            return (pipes, claimed)
        }
        guard let (pipes, claimed) = state else { return }
        nonisolated(unsafe) let handle = self.handle
        nonisolated(unsafe) let raw = context.raw
        _ = try? await context.thread.run {
            USBDeviceHandle.teardown(context: raw, handle: handle, pipes: pipes, claimed: claimed)
        }
        context.handleClosed()
    }

    private static func teardown(
        context: OpaquePointer, handle: OpaquePointer, pipes: [USBTransfer],
        claimed: Set<UInt8>
    ) {
        for pipe in pipes where pipe.inFlight { pipe.cancel() }
        let deadline = Date(timeIntervalSinceNow: 1)
        while pipes.contains(where: { $0.inFlight }) && Date() < deadline {
            var tv = timeval(tv_sec: 0, tv_usec: 20_000)
            libusb_handle_events_timeout_completed(context, &tv, nil)
        }
        for number in claimed { libusb_release_interface(handle, Int32(number)) }
        libusb_close(handle)
    }

    // MARK: - Transfers

    /// Submits a transfer without waiting for it.
    public func submit(
        _ kind: USBTransferKind, out data: [UInt8] = [], inLength: Int = 0,
        timeout: Duration
    ) async throws -> USBPendingTransfer {
        let transfer = USBTransfer(
            handle: handle, kind: kind, outData: data, inLength: inLength,
            timeoutMS: Self.milliseconds(timeout), repeating: false, devicePath: info.devicePath)
        try await context.thread.run { try transfer.submit() }
        return USBPendingTransfer(transfer: transfer, what: "\(kind)")
    }

    /// Waits for a submitted transfer and returns its IN data. Task cancellation cancels the transfer.
    public func wait(_ pending: USBPendingTransfer) async throws -> [UInt8] {
        let transfer = pending.transfer
        let flag = CancelFlag()
        nonisolated(unsafe) let raw = context.raw
        return try await withTaskCancellationHandler {
            try await context.thread.run {
                var cancelIssued = false
                while !transfer.finished {
                    if flag.isSet && !cancelIssued {
                        transfer.cancel()
                        cancelIssued = true
                    }
                    var tv = timeval(tv_sec: 0, tv_usec: 50_000)
                    libusb_handle_events_timeout_completed(raw, &tv, nil)
                }
                if let error = transfer.failure(pending.what) { throw error }
                return transfer.payload
            }
        } onCancel: {
            flag.set()
        }
    }

    /// Cancels a submitted transfer that will not be awaited, and waits (up to 2 s) until libusb lets it go.
    public func abandon(_ pending: USBPendingTransfer) async {
        await cancelAndDrain(pending.transfer)
    }

    /// Cancels `transfer` on the USB thread and pumps events (up to 2 s) until libusb lets it go.
    private func cancelAndDrain(_ transfer: USBTransfer) async {
        nonisolated(unsafe) let raw = context.raw
        _ = try? await context.thread.run {
            transfer.cancel()
            let deadline = Date(timeIntervalSinceNow: 2)
            while transfer.inFlight && Date() < deadline {
                var tv = timeval(tv_sec: 0, tv_usec: 20_000)
                libusb_handle_events_timeout_completed(raw, &tv, nil)
            }
        }
    }

    /// Submits a transfer and waits for it.
    public func transfer(
        _ kind: USBTransferKind, out data: [UInt8] = [], inLength: Int = 0,
        timeout: Duration
    ) async throws -> [UInt8] {
        try await wait(try await submit(kind, out: data, inLength: inLength, timeout: timeout))
    }

    /// Vendor/class/standard control transfer, device to host.
    public func controlIn(
        requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, length: Int,
        timeout: Duration
    ) async throws -> [UInt8] {
        try await transfer(
            .control(requestType: requestType | 0x80, request: request, value: value, index: index),
            inLength: length, timeout: timeout)
    }

    /// Control transfer, host to device.
    public func controlOut(
        requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, data: [UInt8],
        timeout: Duration
    ) async throws {
        _ = try await transfer(
            .control(requestType: requestType & 0x7F, request: request, value: value, index: index),
            out: data, timeout: timeout)
    }

    /// Bulk IN.
    public func bulkIn(endpoint: UInt8, length: Int, timeout: Duration) async throws -> [UInt8] {
        try await transfer(.bulk(endpoint: endpoint), inLength: length, timeout: timeout)
    }

    /// Bulk OUT.
    public func bulkOut(endpoint: UInt8, data: [UInt8], timeout: Duration) async throws {
        _ = try await transfer(.bulk(endpoint: endpoint), out: data, timeout: timeout)
    }

    /// Interrupt IN (one report).
    public func interruptIn(endpoint: UInt8, length: Int, timeout: Duration) async throws -> [UInt8] {
        try await transfer(.interrupt(endpoint: endpoint), inLength: length, timeout: timeout)
    }

    // MARK: - Interrupt pipe

    /// Keeps one interrupt IN transfer pending on `endpoint`, re-submitted after every report.
    public func startInterruptPipe(endpoint: UInt8, length: Int) async throws -> USBInterruptPipe {
        let transfer = USBTransfer(
            handle: handle, kind: .interrupt(endpoint: endpoint), outData: [],
            inLength: length, timeoutMS: 0, repeating: true, devicePath: info.devicePath)
        try await context.thread.run { try transfer.submit() }
        lock.withLock { pipes.append(transfer) }
        return USBInterruptPipe(transfer: transfer, endpoint: endpoint)
    }

    /// The next report of the pipe, waiting (and pumping USB events) up to `timeout`.
    public func next(_ pipe: USBInterruptPipe, timeout: Duration) async throws -> [UInt8] {
        let transfer = pipe.transfer
        let flag = CancelFlag()
        nonisolated(unsafe) let raw = context.raw
        let deadline = ContinuousClock.now.advanced(by: timeout)
        return try await withTaskCancellationHandler {
            try await context.thread.run {
                while transfer.queue.isEmpty && !transfer.finished {
                    if flag.isSet { throw BiometricError(.cancelled, "wait for interrupt cancelled") }
                    if ContinuousClock.now >= deadline {
                        throw BiometricError(.timeout, "no interrupt on endpoint \(pipe.endpoint) in \(timeout)")
                    }
                    var tv = timeval(tv_sec: 0, tv_usec: 50_000)
                    libusb_handle_events_timeout_completed(raw, &tv, nil)
                }
                if !transfer.queue.isEmpty { return transfer.queue.removeFirst() }
                throw transfer.failure("interrupt endpoint \(pipe.endpoint)")
                    ?? BiometricError(.deviceLost, "interrupt pipe stopped")
            }
        } onCancel: {
            flag.set()
        }
    }

    /// Cancels the pipe's pending transfer and waits until libusb confirms.
    public func stop(_ pipe: USBInterruptPipe) async {
        let transfer = pipe.transfer
        await cancelAndDrain(transfer)
        lock.withLock { pipes.removeAll { $0 === transfer } }
    }

    static func milliseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        return UInt32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
