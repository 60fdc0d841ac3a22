import Foundation
import Messages

/// Why an upload is not moving (`GET /v1/upload` and `GET /v1/status` `uplink.stall`): since when the central has
/// taken nothing, the last failure's stable code, and when the next try is due. Nil in `UploadStatus` while the
/// central answers. `stationctl upload` and the console's station screen show `line(_:)`.
public struct UploadStall: Codable, Sendable, Hashable {
    /// Since when the central has taken nothing: the start of the first attempt that failed after the last one
    /// that went through (kept across cycles until the central answers).
    public var since: Date
    /// Stable code of the last failure: `central.transport` when the central did not answer at all (no link, a
    /// refused connection, a timeout), else what it answered (`central.unavailable` for a 503, …).
    public var code: String
    /// Failed attempts since `since`.
    public var retries: Int
    /// When the next attempt is due: the end of the running back-off, or the next cycle's start.
    public var nextRetryAt: Date
    /// Whole seconds from `since` to the answer (the daemon's clock).
    public var stalledSeconds: Int
    /// Whole seconds from the answer to `nextRetryAt` (0: the next attempt is under way).
    public var retryInSeconds: Int
    /// The stall line in the caller's language (Accept-Language), as `line(_:)` writes it.
    public var message: String?

    /// A stall seen at `now`.
    public init(since: Date, code: String, retries: Int, nextRetryAt: Date, now: Date = Date()) {
        self.since = since
        self.code = code
        self.retries = retries
        self.nextRetryAt = nextRetryAt
        stalledSeconds = max(0, Int(now.timeIntervalSince(since)))
        retryInSeconds = max(0, Int(nextRetryAt.timeIntervalSince(now).rounded(.up)))
    }

    /// The central did not answer at all (rather than answering with an error).
    public var noAnswer: Bool { code == "central.transport" }

    /// The stall line: "Không có phản hồi từ trung tâm 30 giây, thử lại sau 20 giây." (or "đang thử lại" once the
    /// next attempt is under way); a central that answers with an error is named by its code.
    public func line(_ language: Language) -> String {
        let stalled = Self.duration(stalledSeconds, language)
        let key: MessageKey =
            switch (noAnswer, retryInSeconds > 0) {
            case (true, true): .uploadStallNoAnswer
            case (true, false): .uploadStallNoAnswerRetrying
            case (false, true): .uploadStallRefused
            case (false, false): .uploadStallRefusedRetrying
            }
        return key.text(
            language, ["stalled": stalled, "after": Self.duration(retryInSeconds, language), "code": code])
    }

    /// This stall with its `message` in `language`.
    public func said(in language: Language) -> UploadStall {
        var said = self
        said.message = line(language)
        return said
    }

    /// A span people read: seconds under two minutes, minutes under two hours, else hours and minutes.
    public static func duration(_ seconds: Int, _ language: Language) -> String {
        let seconds = max(0, seconds)
        if seconds < 120 { return MessageKey.durationSeconds.text(language, ["n": "\(seconds)"]) }
        if seconds < 7200 { return MessageKey.durationMinutes.text(language, ["n": "\(seconds / 60)"]) }
        return MessageKey.durationHours.text(language, ["h": "\(seconds / 3600)", "m": "\(seconds % 3600 / 60)"])
    }
}

/// `GET /v1/export`: the export job (`POST /v1/export` starts one; one at a time), polled by `stationctl export`
/// and the console's station screen; the last job stays readable until the next starts.
public struct ExportStatus: Codable, Sendable, Hashable {
    /// Where a job is.
    public enum State: String, Codable, Sendable, Hashable {
        /// No export since the daemon started.
        case idle
        /// Writing.
        case exporting
        /// Every ready application written (those that could not be packaged are counted in `failed`).
        case done
        /// Stopped by an error (`error`); what was written before stays written and recorded.
        case failed
    }

    /// The job's id (nil: none yet).
    public var id: String?
    /// Where the job is.
    public var state: State
    /// The target folder (the mounted removable medium).
    public var destination: String?
    /// When the job started and ended.
    public var startedAt: Date?
    /// When the job ended (nil while it runs).
    public var finishedAt: Date?
    /// Applications ready to write when the job started (counted once, after captured ones were released).
    public var total: Int
    /// Applications written so far (`exported`).
    public var items: Int
    /// Applications that could not be packaged (moved to needsAttention).
    public var failed: Int
    /// Files written so far (sealed items, manifests, signatures), and their bytes.
    public var files: Int
    /// Bytes written so far.
    public var bytes: Int
    /// Batch folders moved into place so far.
    public var folders: [String]
    /// Stable code of the error that stopped the job (`failed`).
    public var error: String?
    /// The error in the caller's language.
    public var message: String?

    /// A job's state.
    public init(
        id: String? = nil, state: State = .idle, destination: String? = nil, startedAt: Date? = nil,
        finishedAt: Date? = nil, total: Int = 0, items: Int = 0, failed: Int = 0, files: Int = 0, bytes: Int = 0,
        folders: [String] = [], error: String? = nil, message: String? = nil
    ) {
        self.id = id
        self.state = state
        self.destination = destination
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.total = total
        self.items = items
        self.failed = failed
        self.files = files
        self.bytes = bytes
        self.folders = folders
        self.error = error
        self.message = message
    }

    /// Bytes as people read them: whole KB under a megabyte, else MB with one decimal (a decimal comma in
    /// Vietnamese).
    public static func size(_ bytes: Int, _ language: Language) -> String {
        let kilobytes = (max(0, bytes) + 1023) / 1024
        if kilobytes < 1024 { return MessageKey.sizeKilobytes.text(language, ["n": "\(kilobytes)"]) }
        let tenths = (max(0, bytes) * 10 + (1 << 19)) >> 20
        let separator = language == .vietnamese ? "," : "."
        return MessageKey.sizeMegabytes.text(language, ["n": "\(tenths / 10)\(separator)\(tenths % 10)"])
    }

    /// Share of the applications dealt with (written or failed), 0…1 (1 when there was nothing to write).
    public var fraction: Double {
        total == 0 ? (state == .exporting ? 0 : 1) : min(1, Double(items + failed) / Double(total))
    }
}
