/// The banks a 3-in-1 or 4-in-1 application may name, by their NAPAS bank code (BIN, the 6 digits of VietQR):
/// the one table of codes and names (README "Bundles" lists it; `GET /v1/banks`, `stationctl banks`).
///
/// The banks that open accounts at registration points under Project 06, and the Social Policy Bank for
/// preferential loans. A code outside the list is refused (`intake.bundle_details.bank_unknown`).
public enum BankDirectory {
    /// One bank.
    public struct Bank: Sendable, Hashable, Codable {
        /// The NAPAS BIN (6 digits).
        public var code: String
        /// The short name people use (`Agribank`).
        public var shortName: String
        /// The full Vietnamese name.
        public var name: String
    }

    /// Every bank, in this order in the list people read.
    public static let all: [Bank] = [
        Bank(code: "970405", shortName: "Agribank", name: "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"),
        Bank(code: "999888", shortName: "VBSP", name: "Ngân hàng Chính sách xã hội"),
        Bank(code: "970436", shortName: "Vietcombank", name: "Ngân hàng TMCP Ngoại thương Việt Nam"),
        Bank(code: "970415", shortName: "VietinBank", name: "Ngân hàng TMCP Công thương Việt Nam"),
        Bank(code: "970418", shortName: "BIDV", name: "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
        Bank(code: "970422", shortName: "MB", name: "Ngân hàng TMCP Quân đội"),
        Bank(code: "970407", shortName: "Techcombank", name: "Ngân hàng TMCP Kỹ thương Việt Nam"),
        Bank(code: "970416", shortName: "ACB", name: "Ngân hàng TMCP Á Châu"),
        Bank(code: "970432", shortName: "VPBank", name: "Ngân hàng TMCP Việt Nam Thịnh Vượng"),
        Bank(code: "970403", shortName: "Sacombank", name: "Ngân hàng TMCP Sài Gòn Thương Tín"),
        Bank(code: "970423", shortName: "TPBank", name: "Ngân hàng TMCP Tiên Phong"),
        Bank(code: "970449", shortName: "LPBank", name: "Ngân hàng TMCP Lộc Phát Việt Nam"),
        Bank(code: "970443", shortName: "SHB", name: "Ngân hàng TMCP Sài Gòn – Hà Nội"),
        Bank(code: "970437", shortName: "HDBank", name: "Ngân hàng TMCP Phát triển Thành phố Hồ Chí Minh"),
        Bank(code: "970441", shortName: "VIB", name: "Ngân hàng TMCP Quốc tế Việt Nam"),
        Bank(code: "970426", shortName: "MSB", name: "Ngân hàng TMCP Hàng Hải Việt Nam"),
        Bank(code: "970448", shortName: "OCB", name: "Ngân hàng TMCP Phương Đông"),
        Bank(code: "970440", shortName: "SeABank", name: "Ngân hàng TMCP Đông Nam Á"),
    ]

    /// The bank with `code`, nil when it is not in the list.
    public static func bank(code: String) -> Bank? { all.first { $0.code == code } }
}
