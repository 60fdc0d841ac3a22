import Foundation
import Messages

/// The QR code printed on a CCCD (front, top right, 2021–6/2024) or a 2024 "thẻ Căn cước" (back): UTF-8 text with
/// `|`-separated fields (CCCD-CHIP.md §4).
///
/// - 2021 CCCD, 7 fields: `id12|cmnd9|Họ tên|ddMMyyyy|Nam/Nữ|Nơi thường trú|ddMMyyyy(ngày cấp)` (CMND empty if none).
/// - 2024 card, 11 fields: the same 7, then 4 more whose order no source confirms (old ID cancelled, parents, …):
///   kept raw in `trailingFields`, never interpreted.
/// - Zalo's re-encoding, 6 fields: no CMND, dates `dd/MM/yyyy`.
///
/// Scanners may prepend a byte-order mark or append CR LF; both are removed. The code is **unsigned**: its fields
/// prefill and give the CAN (last 6 digits of the ID), they are never an identity proof — `QRCrossCheck` compares
/// them with the chip. Personal data: `description` and reflection show only the masked ID.
public struct CardQRCode: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// Which layout the text had.
    public enum Layout: String, Sendable, Hashable, Codable, CaseIterable {
        /// 7 fields (CCCD issued 2021 to 6/2024).
        case cccd2021
        /// 11 fields (thẻ Căn cước issued from 1/7/2024).
        case canCuoc2024
        /// 6 fields, no old ID, `dd/MM/yyyy` dates (re-encoded by Zalo).
        case zalo
    }

    /// The layout.
    public var layout: Layout
    /// The 12-digit personal identification number.
    public var idNumber: CitizenID
    /// The old 9-digit CMND number, when the card has one.
    public var oldIDNumber: String?
    /// Full name with diacritics (NFC).
    public var fullName: String
    /// Date of birth.
    public var dateOfBirth: CalendarDate
    /// Sex.
    public var sex: Sex
    /// Place of permanent residence (2024: place of residence), NFC.
    public var residence: String
    /// Card issue date.
    public var issueDate: CalendarDate
    /// Fields 8–11 of a 2024 card, raw (their meaning is not confirmed by any source).
    public var trailingFields: [String]

    /// The CAN for PACE: the last 6 digits of the ID number (the CCCD prints no separate CAN).
    public var can: String { String(idNumber.digits.suffix(6)) }

    /// Parses scanned text; throws `CardQRError` naming the field at fault.
    public init(parsing scanned: String) throws(CardQRError) {
        var text = scanned
        while let first = text.unicodeScalars.first, first == "\u{FEFF}" || first == "\u{200B}" {
            text.unicodeScalars.removeFirst()
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw CardQRError(.empty, field: nil) }
        guard text.utf8.count <= 1024 else { throw CardQRError(.tooLong, field: nil) }
        let fields = text.split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let named: [String]
        switch fields.count {
        case 7:
            layout = .cccd2021
            named = fields
            trailingFields = []
        case 11:
            layout = .canCuoc2024
            named = Array(fields.prefix(7))
            trailingFields = Array(fields.dropFirst(7))
        case 6:
            layout = .zalo
            named = [fields[0], ""] + fields.dropFirst()
            trailingFields = []
        default:
            throw CardQRError(.fieldCount, field: nil, count: fields.count)
        }
        guard let id = CitizenID(named[0]) else { throw CardQRError(.idNumber, field: 1) }
        idNumber = id
        let old = named[1]
        if old.isEmpty {
            oldIDNumber = nil
        } else {
            guard old.utf8.count == 9, old.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw CardQRError(.oldIDNumber, field: 2)
            }
            oldIDNumber = old
        }
        let name = named[2].precomposedStringWithCanonicalMapping
        guard !name.isEmpty, !name.contains(where: \.isNumber) else { throw CardQRError(.fullName, field: 3) }
        fullName = name
        guard let birth = Self.date(named[3]) else { throw CardQRError(.dateOfBirth, field: 4) }
        dateOfBirth = birth
        switch named[4].precomposedStringWithCanonicalMapping.lowercased() {
        case "nam": sex = .male
        case "nữ", "nu": sex = .female
        default: throw CardQRError(.sex, field: 5)
        }
        residence = named[5].precomposedStringWithCanonicalMapping
        guard let issued = Self.date(named[6]) else { throw CardQRError(.issueDate, field: 7) }
        guard birth <= issued else { throw CardQRError(.issueDate, field: 7) }
        issueDate = issued
    }

    /// `ddMMyyyy` or `dd/MM/yyyy`.
    static func date(_ text: String) -> CalendarDate? {
        let digits: Substring
        if text.utf8.count == 10 {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4 else { return nil }
            digits = Substring(parts.joined())
        } else {
            digits = Substring(text)
        }
        guard digits.utf8.count == 8, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let day = Int(digits.prefix(2)), let month = Int(digits.dropFirst(2).prefix(2)),
            let year = Int(digits.suffix(4))
        else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }

    public var description: String { "CardQRCode(\(layout.rawValue), \(idNumber.masked))" }
    public var customMirror: Mirror { Mirror(self, children: ["layout": layout, "idNumber": idNumber.masked]) }
}

/// Why a scanned QR text is not a card's QR code: a stable code, the 1-based field at fault, and what to do
/// (Vietnamese first). Never carries the scanned text.
public struct CardQRError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Closed set of stable codes.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Nothing was scanned.
        case empty = "qr.empty"
        /// Longer than any card's code (1 KiB).
        case tooLong = "qr.too_long"
        /// Not 6, 7 or 11 `|`-separated fields.
        case fieldCount = "qr.field_count"
        /// Field 1 is not 12 digits.
        case idNumber = "qr.id_number"
        /// Field 2 is neither empty nor 9 digits.
        case oldIDNumber = "qr.old_id_number"
        /// Field 3 is empty or has digits.
        case fullName = "qr.full_name"
        /// Field 4 is not a date `ddMMyyyy`.
        case dateOfBirth = "qr.date_of_birth"
        /// Field 5 is neither `Nam` nor `Nữ`.
        case sex = "qr.sex"
        /// Field 7 is not a date `ddMMyyyy`, or it is before the date of birth.
        case issueDate = "qr.issue_date"
    }

    /// The stable code.
    public let code: Code
    /// 1-based field of the 7-field layout at fault, nil when the text as a whole is wrong.
    public let field: Int?
    /// How many fields were found (for `qr.field_count`).
    public let count: Int?

    /// Creates an error.
    public init(_ code: Code, field: Int?, count: Int? = nil) {
        self.code = code
        self.field = field
        self.count = count
    }

    /// For the clerk: what is wrong and what to do (scan again, or type the CAN), in the reader's language.
    public var message: Message {
        let problem: Message
        switch code {
        case .empty: problem = Message(.qrEmpty)
        case .tooLong: problem = Message(.qrTooLong)
        case .fieldCount: problem = Message(.qrFieldCount, ["count": "\(count ?? 0)"])
        case .idNumber: problem = Message(.qrIdNumber)
        case .oldIDNumber: problem = Message(.qrOldIdNumber)
        case .fullName: problem = Message(.qrFullName)
        case .dateOfBirth: problem = Message(.qrDateOfBirth)
        case .sex: problem = Message(.qrSex)
        case .issueDate: problem = Message(.qrIssueDate)
        }
        return Message(.qrScanAgain, parts: ["problem": problem])
    }

    /// The message in Vietnamese.
    public var vietnamese: String { message.text(.vietnamese) }

    /// The message in English.
    public var english: String { message.text(.english) }

    public var description: String { field.map { "\(code.rawValue) (field \($0))" } ?? code.rawValue }
}

/// The QR code's fields compared with what the chip says: the chip is authoritative, a disagreement is flagged (the
/// code is unsigned and may be a photocopy of another card's). Only the names of disagreeing fields are kept.
public struct QRCrossCheck: Sendable, Hashable, Codable {
    /// A field both carry.
    public enum Field: String, Sendable, Hashable, Codable, CaseIterable {
        case idNumber, fullName, dateOfBirth, sex, residence, issueDate
    }

    /// Fields compared (the chip may lack residence or issue date when DG13 was not read).
    public var compared: [Field]
    /// Fields that disagree, in `Field` order.
    public var mismatches: [Field]

    /// True when every compared field agrees.
    public var consistent: Bool { mismatches.isEmpty }

    /// Compares a QR code with the chip's identity; `residence` and `issueDate` are the chip's (DG13), when read.
    /// Names are compared after NFC, case folding and collapsing of white space; residence likewise.
    public init(qr: CardQRCode, chip: ChipIdentity, residence: String? = nil, issueDate: CalendarDate? = nil) {
        var compared: [Field] = [.idNumber, .fullName, .dateOfBirth, .sex]
        var mismatches: [Field] = []
        if qr.idNumber != chip.idNumber { mismatches.append(.idNumber) }
        if Self.folded(qr.fullName) != Self.folded(chip.fullName) { mismatches.append(.fullName) }
        if qr.dateOfBirth != chip.dateOfBirth { mismatches.append(.dateOfBirth) }
        if chip.sex != .unspecified, qr.sex != chip.sex { mismatches.append(.sex) }
        if let residence, !residence.isEmpty, !qr.residence.isEmpty {
            compared.append(.residence)
            if Self.folded(qr.residence) != Self.folded(residence) { mismatches.append(.residence) }
        }
        if let issueDate {
            compared.append(.issueDate)
            if qr.issueDate != issueDate { mismatches.append(.issueDate) }
        }
        self.compared = compared
        self.mismatches = mismatches
    }

    /// NFC, lower case, runs of white space as one space, trimmed.
    public static func folded(_ text: String) -> String {
        text.precomposedStringWithCanonicalMapping.lowercased().split(whereSeparator: \.isWhitespace)
            .joined(separator: " ")
    }
}
