import Foundation
import Queue

/// What the technician is told when `stationd run` refuses to start because of its store: the stable code, the
/// files concerned (in the error's reason) and what to do, Vietnamese first.
public enum StartupAdvice {
    /// Lines for standard error, or nil when the error is not one the technician can act on from here.
    public static func lines(for error: any Error, english: Bool = false) -> [String]? {
        guard let error = error as? QueueError else { return nil }
        let advice: (vi: String, en: String)
        switch error.code {
        case .storeMissing:
            advice = (
                "Kho hồ sơ bị mất hoặc rỗng trong khi tệp khóa vẫn còn: trạm KHÔNG tự tạo kho mới để không che giấu "
                    + "việc mất hồ sơ. Khôi phục kho và tệp khóa từ bản sao lưu; nếu không còn bản sao lưu, cán bộ "
                    + "giám sát chạy `sudo stationd store reinitialize --i-understand-data-loss` (tệp cũ được giữ lại "
                    + "với đuôi .retired-…, thao tác được ghi nhật ký).",
                "The application store is missing or empty while its key file exists: the station does NOT start "
                    + "a new empty store, which would hide the loss. Restore the store and key file from backup; "
                    + "with no backup, a supervisor runs `sudo stationd store reinitialize --i-understand-data-loss` "
                    + "(the old files are kept as .retired-…, the action is audited)."
            )
        case .storeDamaged:
            advice = (
                "Kho hồ sơ bị hỏng (SQLite quick_check). Dừng trạm, sao chép nguyên thư mục trạng thái để điều tra, "
                    + "khôi phục từ bản sao lưu; nếu không còn bản sao lưu, cán bộ giám sát chạy "
                    + "`sudo stationd store reinitialize --i-understand-data-loss`.",
                "The application store is damaged (SQLite quick_check). Stop the station, copy the whole state "
                    + "directory for investigation, restore from backup; with no backup, a supervisor runs "
                    + "`sudo stationd store reinitialize --i-understand-data-loss`."
            )
        case .storeLocked:
            advice = (
                "Một tiến trình stationd khác đang chạy trên cùng thư mục trạng thái. Dùng tiến trình đang chạy "
                    + "(`systemctl status stationd`) hoặc dừng nó trước.",
                "Another stationd is running on the same state directory. Use the running one "
                    + "(`systemctl status stationd`) or stop it first."
            )
        case .diskFull:
            advice = (
                "Không đủ chỗ trống trên ổ đĩa chứa kho hồ sơ. Giải phóng dung lượng (xem số cần thiết ở trên) rồi "
                    + "khởi động lại.",
                "Not enough free space on the disk holding the store. Free the space named above, then restart."
            )
        case .wrongKey, .keyFile:
            advice = (
                "Tệp khóa không mở được kho hồ sơ này. Khôi phục đúng tệp khóa (chế độ 0600) từ bản sao lưu.",
                "The key file does not open this store. Restore the right key file (mode 0600) from backup."
            )
        default:
            return nil
        }
        let first = english ? advice.en : advice.vi
        let second = english ? advice.vi : advice.en
        return ["\(error.code.rawValue): \(error.reason)", first, second]
    }
}
