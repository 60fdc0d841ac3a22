/// A queue operation that could not be done, with a stable `code` and a reason safe to show and log
/// (never personal data, never key material).
public struct QueueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
        private enum Backing: String, Sendable, CaseIterable {
            case diskFull = "queue.disk_full"
            case wrongKey = "queue.wrong_key"
            case keyFile = "queue.key_file"
            case illegalTransition = "queue.illegal_transition"
            case duplicate = "queue.duplicate"
            case notFound = "queue.not_found"
            case corruptPayload = "queue.corrupt_payload"
            case purged = "queue.purged"
            case auditBroken = "queue.audit_broken"
            case reasonRequired = "queue.reason_required"
            case unknownReason = "queue.unknown_reason"
            case notPermitted = "queue.not_permitted"
            case storeMissing = "queue.store_missing"
            case storeDamaged = "queue.store_damaged"
            case storeLocked = "queue.store_locked"
            case storage = "queue.storage"
            case tpmUnavailable = "queue.tpm_unavailable"
            case tpmRefused = "queue.tpm_refused"
            case tpmCorrupt = "queue.tpm_corrupt"
            case tpmNotSealed = "queue.tpm_not_sealed"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The code text.
        public var rawValue: String { backing.rawValue }
        /// Every code.
        public static var allCases: [Code] { Backing.allCases.map { Code($0) } }
        public var description: String { rawValue }

        /// Free space below the configured minimum, or SQLite reported a full disk; nothing was written.
        public static let diskFull = Code(.diskFull)
        /// The key file does not open this store (different key, or a key id the file lacks).
        public static let wrongKey = Code(.wrongKey)
        /// The key file is missing, malformed or readable by others.
        public static let keyFile = Code(.keyFile)
        /// The state change is not in the transition table.
        public static let illegalTransition = Code(.illegalTransition)
        /// The same ID number already has an application that is not rejected or cancelled.
        public static let duplicate = Code(.duplicate)
        /// No application with that id.
        public static let notFound = Code(.notFound)
        /// A sealed payload failed authentication or decoding: corruption or tampering.
        public static let corruptPayload = Code(.corruptPayload)
        /// The payload has been purged after acceptance; only the receipt remains.
        public static let purged = Code(.purged)
        /// The audit log's hash chain does not verify.
        public static let auditBroken = Code(.auditBroken)
        /// A reason is required for this operation.
        public static let reasonRequired = Code(.reasonRequired)
        /// The reason code is not one of `OperatorReason`'s (free text belongs in the sealed note).
        public static let unknownReason = Code(.unknownReason)
        /// The caller lacks the role for this operation.
        public static let notPermitted = Code(.notPermitted)
        /// The key file exists but the store it belongs to is missing or empty (deleted, truncated, or a WAL left
        /// without its database): the daemon refuses to start rather than begin an empty store.
        public static let storeMissing = Code(.storeMissing)
        /// SQLite found damaged pages (`quick_check`), or the file is not a database.
        public static let storeDamaged = Code(.storeDamaged)
        /// Another process (a running daemon) holds the state directory.
        public static let storeLocked = Code(.storeLocked)
        /// Any other database failure.
        public static let storage = Code(.storage)
        /// The key file is sealed to a TPM (or `store.tpm = required` wants one) and no TPM answers: no device, the
        /// TCTI unreachable, or tpm2-tools not installed.
        public static let tpmUnavailable = Code(.tpmUnavailable)
        /// The TPM answers but will not unseal the key file: another TPM, its owner hierarchy cleared, or the PCRs the
        /// key is bound to changed (a firmware or Secure Boot update).
        public static let tpmRefused = Code(.tpmRefused)
        /// The sealed key file is damaged: not a sealed envelope, or its content fails authentication.
        public static let tpmCorrupt = Code(.tpmCorrupt)
        /// `store.tpm = required` and the key file is not sealed to the TPM.
        public static let tpmNotSealed = Code(.tpmNotSealed)
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
