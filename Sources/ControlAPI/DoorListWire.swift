import Foundation
import Messages

extension ControlPaths {
    /// `GET /v1/lists/{list}?commune=C&hamlet=H&format=json|csv`: a door-to-door list (`refusals`,
    /// `awaiting-activation`, `absent`), unmasked; supervisors only, every view audited.
    public static let lists = "/v1/lists"
    /// `POST` a hamlet's invitation list as CSV (`InvitationCSV.header`); supervisors only.
    public static let invitations = "/v1/invitations"
}

/// `GET /v1/lists/{list}`: one door-to-door list as columns and rows of text (the JSON form; `format=csv` gives the
/// same rows as CSV for Excel). Column ids are stable (`DoorListText.columns`); values are the wire's own (ISO
/// days, `notYetEligible`/`ineligible`, reason codes, `true`/`false`), named for people by `DoorListText`.
public struct DoorListWire: Codable, Sendable, Hashable {
    /// `refusals`, `awaiting-activation` or `absent`.
    public var list: String
    /// The Vietnamese day the list was made (days waiting are counted to it).
    public var day: String
    /// Column ids, e.g. `commune`, `hamlet`, `idNumber`, `fullName`, `phone`.
    public var columns: [String]
    /// One row per citizen, in `columns` order; an empty hamlet: none was recorded.
    public var rows: [[String]]

    /// Creates a value.
    public init(list: String, day: String, columns: [String], rows: [[String]]) {
        self.list = list
        self.day = day
        self.columns = columns
        self.rows = rows
    }
}

/// `POST /v1/invitations`: what the import did.
public struct InvitationImportWire: Codable, Sendable, Hashable {
    /// Citizens in the file.
    public var citizens: Int
    /// Lists (commune, hamlet, day) in the file.
    public var lists: Int
    /// Citizens of earlier imports of those lists, replaced.
    public var replaced: Int

    /// Creates a value.
    public init(citizens: Int, lists: Int, replaced: Int) {
        self.citizens = citizens
        self.lists = lists
        self.replaced = replaced
    }
}

/// The door-to-door lists as people read them: CSV for Excel (Vietnamese header) and a terminal table.
public enum DoorListText {
    /// The lists, as the path names them.
    public static let lists = ["refusals", "awaiting-activation", "absent"]

    /// Each list's column ids, in order.
    public static let columns: [String: [String]] = [
        "refusals": [
            "commune", "hamlet", "idNumber", "fullName", "class", "reason", "confirmed", "recordedOn", "note",
        ],
        "awaiting-activation": [
            "commune", "hamlet", "applicationID", "idNumber", "fullName", "phone", "approvedOn", "daysWaiting",
        ],
        "absent": ["commune", "hamlet", "idNumber", "fullName", "invitedOn"],
    ]

    /// The header of each column id.
    static let headers: [String: MessageKey] = [
        "commune": .ctlSeedCommuneCode, "hamlet": .listsColumnHamlet, "idNumber": .listsColumnIDNumber,
        "fullName": .listsColumnFullName, "class": .reportColumnClass, "reason": .reportColumnReason,
        "confirmed": .reportColumnConfirmed, "recordedOn": .listsColumnRecordedOn, "note": .listsColumnNote,
        "applicationID": .listsColumnApplication, "phone": .listsColumnPhone, "approvedOn": .listsColumnApprovedOn,
        "daysWaiting": .listsColumnDaysWaiting, "invitedOn": .listsColumnInvitedOn,
    ]

    /// The headers of `columns` in `language`.
    public static func header(_ columns: [String], language: Language) -> [String] {
        columns.map { headers[$0]?.text(language) ?? $0 }
    }

    /// The rows with wire values named in `language` (class, reason, confirmation; no hamlet shown as such when
    /// `noHamlet`).
    public static func cells(_ wire: DoorListWire, language: Language, noHamlet: Bool) -> [[String]] {
        wire.rows.map { row in
            zip(wire.columns, row).map { column, value in
                switch column {
                case "class":
                    (value == "ineligible" ? MessageKey.reportClassIneligible : .reportClassNotYetEligible)
                        .text(language)
                case "reason": Term.refusalReason.name(value, language)
                case "confirmed": (value == "true" ? MessageKey.listsYes : .listsNo).text(language)
                case "hamlet" where value.isEmpty && noHamlet: MessageKey.listsNoHamlet.text(language)
                default: value
                }
            }
        }
    }

    /// CSV for Excel: UTF-8 with BOM, the Vietnamese header, one row per citizen (an empty hamlet stays empty).
    public static func csv(_ wire: DoorListWire) -> Data {
        ExcelCSV.render(
            header: header(wire.columns, language: .vietnamese),
            rows: cells(wire, language: .vietnamese, noHamlet: false))
    }

    /// A terminal table aligned by display width, a title naming the list, the day and the count.
    public static func table(_ wire: DoorListWire, language: Language) -> String {
        let title: MessageKey =
            switch wire.list {
            case "refusals": .listsTitleRefusals
            case "awaiting-activation": .listsTitleAwaitingActivation
            default: .listsTitleAbsent
            }
        let heading = title.text(language, ["day": wire.day, "count": "\(wire.rows.count)"])
        let right = Set(wire.columns.indices.filter { wire.columns[$0] == "daysWaiting" })
        let body = TextLayout.table(
            header: header(wire.columns, language: language),
            rows: cells(wire, language: language, noHamlet: true), rightAligned: right)
        return heading + "\n" + body
    }
}
