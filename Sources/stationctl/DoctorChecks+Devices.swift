import ControlAPI
import Foundation
import Messages

/// `stationctl doctor`'s checks of the card reader, the card on it and the systemd units (#23 item 5). Like every
/// other check they read the files under `--root` (tests build a tree with a plist, a fake sysfs and a fake
/// `systemctl` first in `PATH`).
extension StationDoctor {
    /// libccid's list of the readers it drives.
    static let ccidPlist = "/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist"
    /// pcsc-tools' list of ATRs (regular expressions, each followed by tab-indented descriptions).
    static let smartcardList = "/usr/share/pcsc/smartcard_list.txt"
    /// The real CCCD chip's ATR (historical bytes "MKjCOS-37"; the simulated card's `EMRTDCard.cccdATR`, checked
    /// equal by DoctorTests), which pcsc-tools' list does not name yet.
    static let cccdATRs = ["3B 89 80 01 4D 4B 6A 43 4F 53 2D 33 37 12"]

    // MARK: The reader known to libccid

    /// Every USB device with a CCID-class interface (0x0B) must be in libccid's `ifdVendorID`/`ifdProductID`
    /// lists, or pcscd ignores it.
    func reader() -> DoctorResult {
        let id = "reader"
        let title = say(.ctlDoctorReader)
        let plist = path(Self.ccidPlist)
        guard let known = ccidReaders(plist) else {
            return fail(id, title, say(.ctlDoctorReaderNoDriver, ["file": plist]), say(.ctlDoctorReaderNoDriverFix))
        }
        let present = usbReaders()
        if present.isEmpty {
            return fail(id, title, say(.ctlDoctorReaderNone), say(.ctlDoctorReaderNoneFix))
        }
        let unknown = present.filter { !known.contains($0.id) }
        if unknown.isEmpty { return pass(id, title) }
        let names = unknown.map { reader in reader.product.map { "\($0) (\(reader.id))" } ?? reader.id }
        return fail(
            id, title, say(.ctlDoctorReaderUnknown, ["readers": names.joined(separator: ", ")]),
            say(.ctlDoctorReaderUnknownFix))
    }

    /// `vendor:product` (lower-case hex, 4 digits each) of every reader in libccid's Info.plist; nil when the
    /// file is missing or unreadable.
    func ccidReaders(_ plist: String) -> Set<String>? {
        guard let data = FileManager.default.contents(atPath: plist),
            let object = try? PropertyListSerialization.propertyList(from: data, format: nil) as? [String: Any],
            let vendors = object["ifdVendorID"] as? [String], let products = object["ifdProductID"] as? [String]
        else { return nil }
        func normalized(_ text: String) -> String? {
            let digits = text.lowercased().replacingOccurrences(of: "0x", with: "")
            return UInt16(digits, radix: 16).map { String(format: "%04x", $0) }
        }
        var ids: Set<String> = []
        for (vendor, product) in zip(vendors, products) {
            if let vendor = normalized(vendor), let product = normalized(product) { ids.insert("\(vendor):\(product)") }
        }
        return ids
    }

    /// The USB devices under /sys/bus/usb/devices with a CCID-class interface: `vendor:product` and the product
    /// name the device announces.
    func usbReaders() -> [(id: String, product: String?)] {
        let devices = path("/sys/bus/usb/devices")
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: devices)) ?? []).sorted()
        var readers: Set<String> = []
        for entry in entries {
            let base = devices + "/" + entry
            if entry.contains(":") {
                if read(base + "/bInterfaceClass")?.lowercased() == "0b" {
                    readers.insert(String(entry.prefix { $0 != ":" }))
                }
            } else if read(base + "/bDeviceClass")?.lowercased() == "0b" {
                readers.insert(entry)
            }
        }
        return readers.sorted().compactMap { device in
            let base = devices + "/" + device
            guard let vendor = read(base + "/idVendor"), let product = read(base + "/idProduct") else { return nil }
            return ("\(vendor.lowercased()):\(product.lowercased())", read(base + "/product"))
        }
    }

    // MARK: The card's ATR

    /// A card on a reader (as the daemon sees it) whose ATR is not a known CCCD's. Passes with no card; says it
    /// could not check when the daemon does not answer (the `daemon` check fails then).
    func card() -> DoctorResult {
        let id = "card"
        guard
            let response = try? ControlClient(socketPath: socketPath, language: language.rawValue)
                .request("GET", ControlPaths.readers),
            response.status == 200, let readers = try? response.decode([ReaderInfo].self)
        else { return pass(id, say(.ctlDoctorCardUnchecked)) }
        let title = say(.ctlDoctorCard)
        let known = knownCCCDATRs()
        for reader in readers {
            guard let atr = reader.atr.map(Self.spaced), !atr.isEmpty else { continue }
            if !known.contains(where: { $0.firstMatch(in: atr, range: NSRange(atr.startIndex..., in: atr)) != nil }) {
                return fail(
                    id, title, say(.ctlDoctorCardNotCCCD, ["reader": reader.name, "atr": atr]),
                    say(.ctlDoctorCardNotCCCDFix))
            }
        }
        return pass(id, title)
    }

    /// `3B8980…` as pcsc-tools writes it: upper-case hex, a space between bytes.
    static func spaced(_ hex: String) -> String {
        let digits = Array(hex.uppercased().filter { !" :".contains($0) })
        return stride(from: 0, to: digits.count, by: 2).map { String(digits[$0..<min($0 + 2, digits.count)]) }
            .joined(separator: " ")
    }

    /// The CCCD ATRs: the project's, and pcsc-tools' entries described as a Vietnamese ID card.
    func knownCCCDATRs() -> [NSRegularExpression] {
        var patterns = Self.cccdATRs.map(NSRegularExpression.escapedPattern(for:))
        if let text = read(path(Self.smartcardList)) {
            var pattern: String?
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("\t") {
                    let description = line.lowercased()
                    if let current = pattern, description.contains("vietnam"),
                        description.contains("id card") || description.contains("cccd")
                    {
                        patterns.append(current)
                    }
                } else {
                    pattern = line.isEmpty || line.hasPrefix("#") ? nil : String(line)
                }
            }
        }
        return patterns.compactMap { try? NSRegularExpression(pattern: "^(" + $0 + ")$", options: .caseInsensitive) }
    }

    // MARK: The central reachable and its pins

    /// The central probed now (`GET /v1/upload/probe`: the daemon runs one probe against the pinned keys with a
    /// short timeout), not the uplink's last view: a central stopped since the last cycle fails at once. Enrolled
    /// with pinned keys, and the answer signed by the pinned key (`uplink.central_unauthenticated`, a TLS
    /// certificate not trusted: the pins) and not offline.
    func central() -> DoctorResult {
        let id = "central"
        guard
            let response = try? ControlClient(socketPath: socketPath, language: language.rawValue)
                .request("GET", ControlPaths.uploadProbe),
            response.status == 200, let probe = try? response.decode(UploadProbeWire.self)
        else { return pass(id, say(.ctlDoctorCentralUnchecked)) }
        guard probe.configured else { return pass(id, say(.ctlDoctorCentralNotConfigured)) }
        let title = say(.ctlDoctorCentral)
        guard probe.enrolled else {
            return fail(
                id, title, say(.ctlDoctorCentralNotEnrolled, ["state": probe.code ?? "notEnrolled"]),
                say(.ctlDoctorCentralNotEnrolledFix))
        }
        if probe.ok { return pass(id, title) }
        let code = probe.code ?? "central.transport"
        let pinCodes: Set<String> = [
            "uplink.central_unauthenticated", "uplink.central_key_changed", "uplink.central_fingerprint_mismatch",
            "central.tls_untrusted",
        ]
        if pinCodes.contains(code) {
            return fail(id, title, say(.ctlDoctorCentralPins, ["code": code]), say(.ctlDoctorCentralPinsFix))
        }
        return fail(id, title, say(.ctlDoctorCentralOffline, ["code": code]), say(.ctlDoctorCentralOfflineFix))
    }

    // MARK: The systemd units' state

    /// `systemctl is-enabled/is-active` of the socket and the service when systemd runs the machine (as
    /// sd_booted(3): /run/systemd/system exists); otherwise reported, not failed.
    func units() -> DoctorResult {
        let id = "units"
        guard FileManager.default.fileExists(atPath: path("/run/systemd/system")) else {
            return pass(id, say(.ctlDoctorUnitsNotSystemd))
        }
        let title = say(.ctlDoctorUnits)
        let (healthy, states) = socketActivated("stationd")
        if healthy { return pass(id, title) }
        return fail(id, title, say(.ctlDoctorUnitsProblem, ["states": states]), say(.ctlDoctorUnitsFix))
    }

    /// The console's password helper (`stationd-pam.socket`, a root service the packaged daemon asks to check
    /// officers' passwords): enabled and listening, its service not failed. Checked under systemd when the unit
    /// is installed; a development machine without it is told the check did not look.
    func consoleLogin() -> DoctorResult {
        let id = "console_login"
        let installed = ["/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system"].contains {
            FileManager.default.fileExists(atPath: path($0 + "/stationd-pam.socket"))
        }
        guard FileManager.default.fileExists(atPath: path("/run/systemd/system")), installed else {
            return pass(id, say(.ctlDoctorConsoleLoginNotChecked))
        }
        let title = say(.ctlDoctorConsoleLogin)
        let (healthy, states) = socketActivated("stationd-pam")
        if healthy { return pass(id, title) }
        return fail(
            id, title, say(.ctlDoctorConsoleLoginProblem, ["states": states]), say(.ctlDoctorConsoleLoginFix))
    }

    /// A socket-activated pair `NAME.socket`/`NAME.service` is healthy when the socket is enabled and active and
    /// the service is not failed (it starts on the first connection: inactive is normal); `states` names all three.
    func socketActivated(_ name: String) -> (healthy: Bool, states: String) {
        let socketEnabled = systemctl("is-enabled", "\(name).socket")
        let socketActive = systemctl("is-active", "\(name).socket")
        let serviceActive = systemctl("is-active", "\(name).service")
        let healthy =
            socketEnabled == "enabled" && socketActive == "active"
            && ["active", "activating", "inactive", "reloading"].contains(serviceActive)
        return (healthy, "\(name).socket \(socketEnabled)/\(socketActive), \(name).service \(serviceActive)")
    }

    /// The one-word answer of `systemctl VERB UNIT` (found through PATH), or "unknown".
    func systemctl(_ verb: String, _ unit: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["systemctl", verb, unit]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "unknown" }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let word = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).first
        return word.map(String.init) ?? "unknown"
    }
}
