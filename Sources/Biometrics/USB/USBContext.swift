import CLibUSB
import Foundation
import JobThreads

/// What enumeration tells about one USB device, without opening it (descriptors come from sysfs).
public struct USBDeviceInfo: Sendable, Hashable, CustomStringConvertible {
    /// Vendor id (idVendor).
    public var vendorID: UInt16
    /// Product id (idProduct).
    public var productID: UInt16
    /// Device release (bcdDevice).
    public var release: UInt16
    /// Bus number.
    public var bus: UInt8
    /// Address on the bus.
    public var address: UInt8
    /// Port path as the kernel names it in sysfs, e.g. `1-10` or `1-2.4`.
    public var portPath: String
    /// Interfaces of the active configuration as (number, class, subclass, protocol).
    public var interfaces: [USBInterfaceInfo]

    /// A stable id for this station: `usb:VVVV:PPPP@port`.
    public var id: String { String(format: "usb:%04x:%04x@%@", vendorID, productID, portPath) }
    /// The usbfs node the device is opened through.
    public var devicePath: String { String(format: "/dev/bus/usb/%03d/%03d", bus, address) }

    public var description: String { id }
}

/// One interface of a USB configuration.
public struct USBInterfaceInfo: Sendable, Hashable {
    /// bInterfaceNumber.
    public var number: UInt8
    /// bInterfaceClass.
    public var interfaceClass: UInt8
    /// bInterfaceSubClass.
    public var subclass: UInt8
    /// bInterfaceProtocol.
    public var interfaceProtocol: UInt8
    /// Endpoint addresses.
    public var endpoints: [UInt8]
}

/// A hot-plug notification.
public enum USBHotplugEvent: Sendable, Hashable {
    /// A device appeared.
    case arrived(USBDeviceInfo)
    /// A device went away.
    case left(USBDeviceInfo)
}

/// A libusb context with its own thread. All libusb calls made through it run on that thread.
///
/// Why one thread and jobs: libusb is driven by polling its file descriptors. If a free-running event loop reaped
/// completions while a driver was still about to submit its next request, a replayed recording (umockdev) could move
/// past that request, and a real device could see requests in an order the driver did not intend. Here events are
/// pumped only inside a job that waits for something, and the next request is submitted before anything else is
/// reaped: the driver's order is the wire order.
public final class USBContext: @unchecked Sendable {
    let raw: OpaquePointer
    let thread: JobThread
    private let state = NSLock()
    private var openHandles = 0
    private var hotplugHandle: libusb_hotplug_callback_handle = 0
    private var hotplugContinuation: AsyncStream<USBHotplugEvent>.Continuation?
    private var lastScan: Set<USBDeviceInfo> = []
    private var hotplugBox: Unmanaged<USBContext>?

    /// Creates a libusb context and its thread.
    public init() throws {
        var context: OpaquePointer?
        let rc = libusb_init(&context)
        guard rc == 0, let context else { throw USBContext.error(Int32(rc), "libusb_init") }
        raw = context
        let box = ContextBox()
        thread = JobThread(name: "stationd.usb", idleInterval: 0.5) { box.context?.idleTick() }
        box.context = self
    }

    deinit {
        hotplugContinuation?.finish()
        nonisolated(unsafe) let context = raw
        let registered = hotplugHandle
        thread.runBlocking {
            if registered != 0 { libusb_hotplug_deregister_callback(context, registered) }
        }
        thread.stop()
        libusb_exit(raw)
    }

    /// Whether this libusb build can deliver hot-plug events (otherwise `hotplugEvents` re-scans periodically).
    public var hasHotplugCapability: Bool {
        libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0
    }

    /// Lists the USB devices currently attached.
    public func devices() async throws -> [USBDeviceInfo] {
        nonisolated(unsafe) let context = raw
        return try await thread.run { try USBContext.enumerate(context) }
    }

    /// Hot-plug events: libusb callbacks when available, else a diff of re-scans every half second. One stream per
    /// context; a new call finishes the previous stream.
    public func hotplugEvents() async -> AsyncStream<USBHotplugEvent> {
        let (stream, continuation) = AsyncStream<USBHotplugEvent>.makeStream()
        state.withLock {
            hotplugContinuation?.finish()
            hotplugContinuation = continuation
        }
        nonisolated(unsafe) let context = raw
        let useCallbacks = hasHotplugCapability
        let unmanaged = Unmanaged.passUnretained(self)
        _ = try? await thread.run { [self] in
            lastScan = Set((try? USBContext.enumerate(context)) ?? [])
            guard useCallbacks, hotplugHandle == 0 else { return }
            var handle: libusb_hotplug_callback_handle = 0
            let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
            let rc = libusb_hotplug_register_callback(
                context, events, 0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
                { _, device, event, userData in
                    guard let device, let userData else { return 0 }
                    let context = Unmanaged<USBContext>.fromOpaque(userData).takeUnretainedValue()
                    if let info = USBContext.describe(device) {
                        context.emit(event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED ? .arrived(info) : .left(info))
                    }
                    return 0
                }, unmanaged.toOpaque(), &handle)
            if rc == 0 { hotplugHandle = handle }
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.state.lock()
            self.hotplugContinuation = nil
            self.state.unlock()
        }
        return stream
    }

    private func emit(_ event: USBHotplugEvent) {
        state.lock()
        let continuation = hotplugContinuation
        state.unlock()
        continuation?.yield(event)
    }

    /// Called on the USB thread when no job is queued. Pumps events (hot-plug) only while no device is open, so a
    /// driver's request order is never disturbed; without hot-plug capability it re-scans and diffs.
    private func idleTick() {
        state.lock()
        let watching = hotplugContinuation != nil
        let busy = openHandles > 0
        state.unlock()
        guard watching, !busy else { return }
        if hotplugHandle != 0 {
            var tv = timeval(tv_sec: 0, tv_usec: 0)
            libusb_handle_events_timeout_completed(raw, &tv, nil)
        } else {
            let now = Set((try? USBContext.enumerate(raw)) ?? [])
            for info in now.subtracting(lastScan) { emit(.arrived(info)) }
            for info in lastScan.subtracting(now) { emit(.left(info)) }
            lastScan = now
        }
    }

    func handleOpened() {
        state.lock()
        openHandles += 1
        state.unlock()
    }
    func handleClosed() {
        state.lock()
        openHandles -= 1
        state.unlock()
    }

    /// Opens the device at `info`'s bus and address.
    public func open(_ info: USBDeviceInfo) async throws -> USBDeviceHandle {
        nonisolated(unsafe) let context = raw
        let opened: OpenedHandle = try await thread.run {
            var list: UnsafeMutablePointer<OpaquePointer?>?
            let count = libusb_get_device_list(context, &list)
            guard count >= 0, let list else { throw USBContext.error(Int32(count), "libusb_get_device_list") }
            defer { libusb_free_device_list(list, 1) }
            for index in 0..<Int(count) {
                guard let device = list[index] else { continue }
                if libusb_get_bus_number(device) == info.bus && libusb_get_device_address(device) == info.address {
                    var handle: OpaquePointer?
                    let rc = libusb_open(device, &handle)
                    if rc == Int32(LIBUSB_ERROR_ACCESS.rawValue) {
                        throw BiometricError.accessDenied(device: info.devicePath)
                    }
                    guard rc == 0, let handle else { throw USBContext.error(rc, "libusb_open \(info.devicePath)") }
                    return OpenedHandle(pointer: handle)
                }
            }
            throw BiometricError(.noDevice, "device \(info.id) is no longer attached")
        }
        handleOpened()
        return USBDeviceHandle(context: self, handle: opened.pointer, info: info)
    }

    // MARK: - Helpers (USB thread only)

    static func enumerate(_ context: OpaquePointer) throws -> [USBDeviceInfo] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        guard count >= 0, let list else { throw error(Int32(count), "libusb_get_device_list") }
        defer { libusb_free_device_list(list, 1) }
        return (0..<Int(count)).compactMap { list[$0].flatMap(describe) }
    }

    static func describe(_ device: OpaquePointer) -> USBDeviceInfo? {
        var descriptor = libusb_device_descriptor()
        guard libusb_get_device_descriptor(device, &descriptor) == 0 else { return nil }
        var ports = [UInt8](repeating: 0, count: 8)
        let depth = libusb_get_port_numbers(device, &ports, Int32(ports.count))
        let bus = libusb_get_bus_number(device)
        let path =
            depth > 0
            ? "\(bus)-" + ports.prefix(Int(depth)).map(String.init).joined(separator: ".")
            : "usb\(bus)"
        var interfaces: [USBInterfaceInfo] = []
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        if libusb_get_active_config_descriptor(device, &config) == 0
            || libusb_get_config_descriptor(device, 0, &config) == 0,
            let config
        {
            defer { libusb_free_config_descriptor(config) }
            for i in 0..<Int(config.pointee.bNumInterfaces) {
                let interface = config.pointee.interface[i]
                guard interface.num_altsetting > 0 else { continue }
                let alt = interface.altsetting[0]
                let endpoints = (0..<Int(alt.bNumEndpoints)).map { alt.endpoint[$0].bEndpointAddress }
                interfaces.append(
                    USBInterfaceInfo(
                        number: alt.bInterfaceNumber, interfaceClass: alt.bInterfaceClass,
                        subclass: alt.bInterfaceSubClass,
                        interfaceProtocol: alt.bInterfaceProtocol, endpoints: endpoints))
            }
        }
        return USBDeviceInfo(
            vendorID: descriptor.idVendor, productID: descriptor.idProduct,
            release: descriptor.bcdDevice, bus: bus, address: libusb_get_device_address(device),
            portPath: path, interfaces: interfaces)
    }

    /// Maps a libusb error code to a typed error.
    static func error(_ code: Int32, _ what: String, device: String = "device") -> BiometricError {
        let name = String(cString: libusb_error_name(code))
        switch code {
        case Int32(LIBUSB_ERROR_ACCESS.rawValue): return .accessDenied(device: device)
        case Int32(LIBUSB_ERROR_NO_DEVICE.rawValue): return BiometricError(.deviceLost, "\(what): \(name)")
        case Int32(LIBUSB_ERROR_NOT_FOUND.rawValue): return BiometricError(.noDevice, "\(what): \(name)")
        case Int32(LIBUSB_ERROR_TIMEOUT.rawValue): return BiometricError(.timeout, "\(what): \(name)")
        case Int32(LIBUSB_ERROR_PIPE.rawValue): return BiometricError(.stall, "\(what): \(name)")
        case Int32(LIBUSB_ERROR_BUSY.rawValue): return BiometricError(.busy, "\(what): \(name)")
        default: return BiometricError(.usb, "\(what): \(name)")
        }
    }
}

/// A libusb handle crossing from the USB thread to the caller (used only there afterwards).
private struct OpenedHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Breaks the init-order cycle between the context and its thread's idle hook.
private final class ContextBox: @unchecked Sendable {
    weak var context: USBContext?
}
