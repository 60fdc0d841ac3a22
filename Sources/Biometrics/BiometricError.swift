import Messages

/// Every failure of the fingerprint layer: a stable machine `code`, an English `reason` for logs and an
/// `operatorMessage` for the registration clerk (message catalog). Never carries image bytes or personal data.
public struct BiometricError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable identifiers: logs, metrics and the UI switch on these, never on the wording.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
        private enum Backing: String, Sendable, CaseIterable {
            case noDevice = "biometric.no-device"
            case deviceLost = "biometric.device-lost"
            case accessDenied = "biometric.access-denied"
            case timeout = "biometric.timeout"
            case stall = "biometric.stall"
            case busy = "biometric.busy"
            case cancelled = "biometric.cancelled"
            case protocolError = "biometric.protocol"
            case usb = "biometric.usb"
            case configuration = "biometric.configuration"
            case format = "biometric.format"
            case qualityTooLow = "biometric.quality-too-low"
            case notOwner = "biometric.not-owner"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The code text.
        public var rawValue: String { backing.rawValue }
        /// The code with this text, or nil when the text is none of the closed set.
        public init?(rawValue: String) {
            guard let backing = Backing(rawValue: rawValue) else { return nil }
            self.init(backing)
        }
        /// Every code.
        public static var allCases: [Code] { Backing.allCases.map { Code($0) } }
        public var description: String { rawValue }

        /// No supported scanner is connected (or the requested id is unknown).
        public static let noDevice = Code(.noDevice)
        /// The scanner disappeared while in use (unplugged, reset, end of a replayed recording).
        public static let deviceLost = Code(.deviceLost)
        /// The device node is not accessible to this process: the udev rule is missing or the user is not in the group.
        public static let accessDenied = Code(.accessDenied)
        /// The scanner did not answer within the time allowed.
        public static let timeout = Code(.timeout)
        /// The endpoint stalled (the device refused the request).
        public static let stall = Code(.stall)
        /// Another process or session holds the scanner.
        public static let busy = Code(.busy)
        /// The operation was cancelled by its owner.
        public static let cancelled = Code(.cancelled)
        /// The device answered something the protocol does not allow.
        public static let protocolError = Code(.protocolError)
        /// Any other libusb failure.
        public static let usb = Code(.usb)
        /// A device profile or configuration file is unreadable or inconsistent.
        public static let configuration = Code(.configuration)
        /// An image or record could not be encoded or decoded.
        public static let format = Code(.format)
        /// No acceptable image after the allowed number of attempts.
        public static let qualityTooLow = Code(.qualityTooLow)
        /// The scanner is claimed by another session.
        public static let notOwner = Code(.notOwner)
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
        BiometricError(
            .accessDenied,
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
