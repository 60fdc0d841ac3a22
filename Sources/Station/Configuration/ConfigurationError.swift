/// A configuration problem, naming the key and the line (0 when it came from the environment).
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
        private enum Backing: String, Sendable, CaseIterable {
            case unreadable = "config.unreadable"
            case syntax = "config.syntax"
            case unknownKey = "config.unknown_key"
            case invalidValue = "config.invalid_value"
            case duplicateKey = "config.duplicate_key"
            case insecureUplink = "config.insecure_uplink"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The code text.
        public var rawValue: String { backing.rawValue }
        /// Every code.
        public static var allCases: [Code] { Backing.allCases.map { Code($0) } }
        public var description: String { rawValue }

        /// `config.unreadable`
        public static let unreadable = Code(.unreadable)
        /// `config.syntax`
        public static let syntax = Code(.syntax)
        /// `config.unknown_key`
        public static let unknownKey = Code(.unknownKey)
        /// `config.invalid_value`
        public static let invalidValue = Code(.invalidValue)
        /// `config.duplicate_key`
        public static let duplicateKey = Code(.duplicateKey)
        /// `config.insecure_uplink`: the central would be reached without TLS off loopback, without a pinned CA,
        /// or by a scheme other than https/http.
        public static let insecureUplink = Code(.insecureUplink)
    }

    /// The code.
    public let code: Code
    /// The key concerned, if any.
    public let key: String?
    /// File line (1-based); nil for environment overrides or whole-file errors.
    public let line: Int?
    /// What is wrong.
    public let reason: String

    /// Creates an error.
    public init(_ code: Code, key: String?, line: Int?, _ reason: String) {
        self.code = code
        self.key = key
        self.line = line
        self.reason = reason
    }

    public var description: String {
        var place = ""
        if let line { place += "line \(line): " }
        if let key { place += "\(key): " }
        return "\(place)\(reason) [\(code.rawValue)]"
    }
}

/// All problems found in one configuration (the daemon reports them all, then refuses to start).
public struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public let errors: [ConfigurationError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
