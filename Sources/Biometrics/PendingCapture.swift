import Foundation

/// A finished capture flow whose record may still be encoding: the image and its quality are here at once, the
/// record is awaited with `record()` where it is needed (intake commit, writing a file).
public struct PendingCapture: Sendable {
    /// The flow's outcome (image, quality, attempts, advice).
    public let outcome: CaptureOutcome
    /// Scanner that produced it.
    public let deviceID: String
    /// Finger position.
    public let finger: FingerPositionCode
    /// When the image was assessed (the record's capture date and chain timestamp).
    public let captureDate: Date
    let encoding: PendingRecordEncoding
    let linked: Task<CaptureRecord, Error>

    /// Whether the record bytes are encoded (successfully or not) — `record()` will not wait for the encoder.
    public var isEncoded: Bool { encoding.isFinished }

    /// The capture record, once encoded and linked into the session's chain. An encoding failure is thrown here
    /// as its `BiometricError` (`biometric.format` for anything untyped).
    public func record() async throws -> CaptureRecord {
        do {
            return try await linked.value
        } catch let error as BiometricError {
            throw error
        } catch {
            throw BiometricError(.format, "capture record unavailable (\(type(of: error)))")
        }
    }
}
