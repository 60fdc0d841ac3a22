/// A queue operation that could not be done, with a stable `code` and a reason safe to show and log
/// (never personal data, never key material).
public struct QueueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code text.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Free space below the configured minimum, or SQLite reported a full disk; nothing was written.
        public static let diskFull = Code("queue.disk_full")
        /// The key file does not open this store (different key, or a key id the file lacks).
        public static let wrongKey = Code("queue.wrong_key")
        /// The key file is missing, malformed or readable by others.
        public static let keyFile = Code("queue.key_file")
        /// The state change is not in the transition table.
        public static let illegalTransition = Code("queue.illegal_transition")
        /// The same ID number already has an application that is not rejected or cancelled.
        public static let duplicate = Code("queue.duplicate")
        /// No application with that id.
        public static let notFound = Code("queue.not_found")
        /// A sealed payload failed authentication or decoding: corruption or tampering.
        public static let corruptPayload = Code("queue.corrupt_payload")
        /// The payload has been purged after acceptance; only the receipt remains.
        public static let purged = Code("queue.purged")
        /// The audit log's hash chain does not verify.
        public static let auditBroken = Code("queue.audit_broken")
        /// A reason is required for this operation.
        public static let reasonRequired = Code("queue.reason_required")
        /// The reason code is not one of `OperatorReason`'s (free text belongs in the sealed note).
        public static let unknownReason = Code("queue.unknown_reason")
        /// The caller lacks the role for this operation.
        public static let notPermitted = Code("queue.not_permitted")
        /// The key file exists but the store it belongs to is missing or empty (deleted, truncated, or a WAL left
        /// without its database): the daemon refuses to start rather than begin an empty store.
        public static let storeMissing = Code("queue.store_missing")
        /// SQLite found damaged pages (`quick_check`), or the file is not a database.
        public static let storeDamaged = Code("queue.store_damaged")
        /// Another process (a running daemon) holds the state directory.
        public static let storeLocked = Code("queue.store_locked")
        /// Any other database failure.
        public static let storage = Code("queue.storage")
    }

    /// The stable code.
    public let code: Code
    /// A human reason.
    public let reason: String
    /// For `queue.disk_full` from the free-space check: where, how much is needed and how much is free.
    public let shortfall: SpaceShortfall?
    /// File where the error was raised.
    public let file: String
    /// Line where the error was raised.
    public let line: Int

    /// Creates an error.
    public init(
        _ code: Code, _ reason: String, shortfall: SpaceShortfall? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.shortfall = shortfall
        self.file = file
        self.line = line
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    public static func == (lhs: QueueError, rhs: QueueError) -> Bool {
        lhs.code == rhs.code && lhs.reason == rhs.reason
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(reason)
    }
}

/// Free space that a write needed and did not find.
public struct SpaceShortfall: Sendable, Hashable {
    /// The folder of the store (its file system is the one that is full).
    public let directory: String
    /// Bytes that must be free (the configured floor included).
    public let neededBytes: Int64
    /// Bytes free.
    public let freeBytes: Int64
    /// Creates a value.
    public init(directory: String, neededBytes: Int64, freeBytes: Int64) {
        self.directory = directory
        self.neededBytes = neededBytes
        self.freeBytes = freeBytes
    }
}
