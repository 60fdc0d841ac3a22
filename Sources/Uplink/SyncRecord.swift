import CentralAPI
import Foundation

/// The one owner of `<state>/uplink-state.json`: when the station first ran the uplink, its last successful sync
/// (for the freeze rules), and the last audit head the central acknowledged. Every read and write of the file goes
/// through here, under one lock per process: reads never write; `prepare()` records the first start once, and
/// `update` reads, changes and replaces the file (written to a temporary name and renamed) in one step.
public struct SyncRecord: Sendable {
    /// What the file holds.
    public struct State: Codable, Sendable {
        /// When the station first ran the uplink.
        public var firstStart: Date
        /// The last successful sync.
        public var lastSync: Date?
        /// The last audit head the central acknowledged in a signed answer.
        public var auditAnchor: AuditAnchor?
        /// The central's chip-evidence figures in its last status answer.
        public var chipEvidence: ChipEvidenceFigures?
    }

    /// The uplink's state folder.
    public let directory: String

    /// The record of a state folder.
    public init(directory: String) { self.directory = directory }

    var path: String { directory + "/uplink-state.json" }

    static let lock = NSLock()

    /// The file's content; nil when it is absent or unreadable.
    public func read() -> State? {
        Self.lock.withLock { load() }
    }

    /// Records the first start if the file is absent (the freeze rules count days without sync from it).
    public func prepare() {
        Self.lock.withLock {
            guard load() == nil else { return }
            try? store(State(firstStart: Date()))
        }
    }

    /// The last successful sync, or the first start if never synced (now, if not even that is recorded).
    public func lastSync() -> Date {
        let state = read()
        return state?.lastSync ?? state?.firstStart ?? Date()
    }

    /// Changes the record in one step.
    public func update(_ change: (inout State) -> Void) throws {
        try Self.lock.withLock {
            var state = load() ?? State(firstStart: Date())
            change(&state)
            try store(state)
        }
    }

    private func load() -> State? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? CanonicalEncoding.decode(State.self, from: data)
    }

    private func store(_ state: State) throws {
        try CanonicalEncoding.encode(state).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
