import CLibUSB
import Foundation

/// The kind of a USB transfer.
public enum USBTransferKind: Sendable, Hashable {
    /// Control transfer on endpoint 0 (setup packet + optional data stage).
    case control(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16)
    /// Bulk transfer on the given endpoint.
    case bulk(endpoint: UInt8)
    /// Interrupt transfer on the given endpoint.
    case interrupt(endpoint: UInt8)
}

/// One libusb transfer. Touched only on the USB thread, except `cancelRequested` (a lock-protected flag).
final class USBTransfer: @unchecked Sendable {
    let raw: UnsafeMutablePointer<libusb_transfer>
    let buffer: UnsafeMutablePointer<UInt8>
    let capacity: Int
    let setupLength: Int
    let kind: USBTransferKind
    let devicePath: String
    /// Re-submit after each successful completion (an interrupt pipe) and queue the payloads.
    let repeating: Bool

    private(set) var inFlight = false
    private(set) var finished = false
    private(set) var status: libusb_transfer_status = LIBUSB_TRANSFER_COMPLETED
    private(set) var payload: [UInt8] = []
    /// Completed payloads of a repeating transfer, oldest first.
    var queue: [[UInt8]] = []
    var stopRequested = false
    private var retained: Unmanaged<USBTransfer>?

    init(
        handle: OpaquePointer, kind: USBTransferKind, outData: [UInt8], inLength: Int, timeoutMS: UInt32,
        repeating: Bool, devicePath: String
    ) {
        self.kind = kind
        self.repeating = repeating
        self.devicePath = devicePath
        raw = libusb_alloc_transfer(0)
        var endpoint: UInt8 = 0
        var type: libusb_transfer_type
        var header: [UInt8] = []
        switch kind {
        case .control(let requestType, let request, let value, let index):
            type = LIBUSB_TRANSFER_TYPE_CONTROL
            let dataLength = UInt16(requestType & 0x80 != 0 ? inLength : outData.count)
            header = [
                requestType, request, UInt8(value & 0xFF), UInt8(value >> 8), UInt8(index & 0xFF),
                UInt8(index >> 8), UInt8(dataLength & 0xFF), UInt8(dataLength >> 8),
            ]
        case .bulk(let ep):
            type = LIBUSB_TRANSFER_TYPE_BULK
            endpoint = ep
        case .interrupt(let ep):
            type = LIBUSB_TRANSFER_TYPE_INTERRUPT
            endpoint = ep
        }
        setupLength = header.count
        let dataLength = max(outData.count, inLength)
        capacity = header.count + dataLength
        buffer = .allocate(capacity: max(capacity, 1))
        buffer.initialize(repeating: 0, count: max(capacity, 1))
        for (i, byte) in (header + outData).enumerated() { buffer[i] = byte }
        raw.pointee.dev_handle = handle
        raw.pointee.flags = 0
        raw.pointee.endpoint = endpoint
        raw.pointee.type = UInt8(type.rawValue)
        raw.pointee.timeout = timeoutMS
        raw.pointee.buffer = buffer
        raw.pointee.length = Int32(capacity)
        raw.pointee.num_iso_packets = 0
        raw.pointee.callback = { pointer in
            guard let pointer, let context = pointer.pointee.user_data else { return }
            Unmanaged<USBTransfer>.fromOpaque(context).takeUnretainedValue().completed()
        }
    }

    deinit {
        libusb_free_transfer(raw)
        buffer.deallocate()
    }

    /// Submits the transfer (USB thread).
    func submit() throws {
        let unmanaged = Unmanaged.passRetained(self)
        raw.pointee.user_data = unmanaged.toOpaque()
        let rc = libusb_submit_transfer(raw)
        guard rc == 0 else {
            unmanaged.release()
            throw USBContext.error(rc, "submit \(kind)", device: devicePath)
        }
        retained = unmanaged
        inFlight = true
        finished = false
    }

    /// Asks libusb to cancel (USB thread); completion follows with `LIBUSB_TRANSFER_CANCELLED`.
    func cancel() {
        stopRequested = true
        if inFlight { libusb_cancel_transfer(raw) }
    }

    private func completed() {
        status = raw.pointee.status
        let actual = Int(raw.pointee.actual_length)
        let start = setupLength
        payload = Array(UnsafeBufferPointer(start: buffer + start, count: max(0, min(actual, capacity - start))))
        if repeating && status == LIBUSB_TRANSFER_COMPLETED && !stopRequested {
            queue.append(payload)
            // Re-submit from the callback so the next interrupt is pending before anything else is reaped.
            if libusb_submit_transfer(raw) == 0 { return }
            status = LIBUSB_TRANSFER_ERROR
        }
        inFlight = false
        finished = true
        retained?.release()
        retained = nil
    }

    /// The typed error for a finished transfer, or nil when it completed.
    func failure(_ what: String) -> BiometricError? {
        switch status {
        case LIBUSB_TRANSFER_COMPLETED: return nil
        case LIBUSB_TRANSFER_TIMED_OUT: return BiometricError(.timeout, "\(what) timed out")
        case LIBUSB_TRANSFER_STALL: return BiometricError(.stall, "\(what) stalled")
        case LIBUSB_TRANSFER_NO_DEVICE: return BiometricError(.deviceLost, "\(what): device lost")
        case LIBUSB_TRANSFER_CANCELLED: return BiometricError(.cancelled, "\(what) cancelled")
        case LIBUSB_TRANSFER_OVERFLOW: return BiometricError(.protocolError, "\(what): overflow")
        default: return BiometricError(.deviceLost, "\(what): transfer error (device gone or reset)")
        }
    }
}

/// A flag set from a task-cancellation handler and polled by the USB thread.
final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
}
