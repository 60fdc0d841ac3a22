import Foundation

/// Files stationctl writes for the person at the terminal (a receipt, the cleansing list, a report's PDF): created
/// with their mode from the first byte, so a file that carries names is never readable by others, not even for a
/// moment, and an existing file is truncated and given that mode too.
enum OutputFile {
    /// Writes `data` to `path` with `mode`; false when the file cannot be opened or written.
    static func write(_ data: Data, to path: String, mode: mode_t) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { return false }
        return data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}
