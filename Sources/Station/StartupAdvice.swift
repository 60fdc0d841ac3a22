import Foundation
import Messages
import Queue

/// What the technician is told when `stationd run` refuses to start because of its store: the stable code, the
/// files concerned (in the error's reason) and what to do (`startup.*` in the message catalog), Vietnamese first.
public enum StartupAdvice {
    /// Lines for standard error, or nil when the error is not one the technician can act on from here.
    public static func lines(for error: any Error, english: Bool = false) -> [String]? {
        guard let error = error as? QueueError else { return nil }
        let advice: MessageKey
        switch error.code {
        case .storeMissing: advice = .startupStoreMissing
        case .storeDamaged: advice = .startupStoreDamaged
        case .storeLocked: advice = .startupStoreLocked
        case .diskFull: advice = .startupDiskFull
        case .wrongKey, .keyFile: advice = .startupKeyFile
        case .tpmUnavailable: advice = .startupTPMUnavailable
        case .tpmRefused: advice = .startupTPMRefused
        case .tpmCorrupt: advice = .startupTPMCorrupt
        case .tpmNotSealed: advice = .startupTPMNotSealed
        default: return nil
        }
        let first = advice.text(english ? .english : .vietnamese)
        let second = advice.text(english ? .vietnamese : .english)
        return ["\(error.code.rawValue): \(error.reason)", first, second]
    }
}
