import Messages

/// Every failure of the fingerprint layer: a stable machine `code`, an English `reason` for logs and an
/// `operatorMessage` for the registration clerk (message catalog). Never carries image bytes or personal data.
public struct BiometricError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable identifiers: logs, metrics and the UI switch on these, never on the wording.
    public struct Code: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No supported scanner is connected (or the requested id is unknown).
        public static let noDevice = Code(rawValue: "biometric.no-device")
        /// The scanner disappeared while in use (unplugged, reset, end of a replayed recording).
        public static let deviceLost = Code(rawValue: "biometric.device-lost")
        /// The device node is not accessible to this process: the udev rule is missing or the user is not in the group.
        public static let accessDenied = Code(rawValue: "biometric.access-denied")
        /// The scanner did not answer within the time allowed.
        public static let timeout = Code(rawValue: "biometric.timeout")
        /// The endpoint stalled (the device refused the request).
        public static let stall = Code(rawValue: "biometric.stall")
        /// Another process or session holds the scanner.
        public static let busy = Code(rawValue: "biometric.busy")
        /// The operation was cancelled by its owner.
        public static let cancelled = Code(rawValue: "biometric.cancelled")
        /// The device answered something the protocol does not allow.
        public static let protocolError = Code(rawValue: "biometric.protocol")
        /// Any other libusb failure.
        public static let usb = Code(rawValue: "biometric.usb")
        /// A device profile or configuration file is unreadable or inconsistent.
        public static let configuration = Code(rawValue: "biometric.configuration")
        /// An image or record could not be encoded or decoded.
        public static let format = Code(rawValue: "biometric.format")
        /// No acceptable image after the allowed number of attempts.
        public static let qualityTooLow = Code(rawValue: "biometric.quality-too-low")
        /// The scanner is claimed by another session.
        public static let notOwner = Code(rawValue: "biometric.not-owner")
    }

    /// What went wrong, for programs.
    public var code: Code
    /// What went wrong, in English, for logs (no biometric data).
    public var reason: String

    /// Builds an error.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The path of the udev rules file shipped for the supported scanners (named in access-denied hints).
    public static let udevRulePath = "/etc/udev/rules.d/70-stationd-fingerprint.rules"

    /// A device node could not be opened for lack of permission.
    public static func accessDenied(device: String) -> BiometricError {
        BiometricError(.accessDenied,
                       "permission denied opening \(device): install Devices/udev/70-stationd-fingerprint.rules as "
                       + "\(udevRulePath) (group stationd, MODE=0660), run "
                       + "`udevadm control --reload && udevadm trigger` and add the daemon user to group stationd")
    }

    /// A short message for the operator in Vietnamese (the default language).
    public var operatorMessage: String { operatorMessage(.vietnamese) }

    /// A short message for the operator, from the message catalog (the code is the key).
    public func operatorMessage(_ language: Language) -> String {
        switch code {
        case .accessDenied: MessageKey.biometricAccessDenied.text(language, ["rule": Self.udevRulePath])
        case .notOwner: MessageKey.biometricBusy.text(language)
        default: (MessageKey(rawValue: code.rawValue) ?? .biometricOther).text(language)
        }
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
