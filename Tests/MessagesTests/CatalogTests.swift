import Foundation
import Intake
import Messages
import Queue
import Testing

/// The message catalog is complete: both languages hold the same keys with the same placeholders, every key is
/// used, and the names of states, verdicts and bundles cover the modules' own vocabularies.
@Suite struct CatalogTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Every key the catalogs must hold: the fixed messages and every term value.
    static var expectedKeys: Set<String> {
        Set(MessageKey.allCases.map(\.rawValue)).union(Term.allCases.flatMap { term in term.values.map(term.key) })
    }

    @Test func bothLanguagesHoldExactlyTheExpectedKeys() {
        for language in Language.allCases {
            let keys = Set(MessageCatalog.table(language).keys)
            let missing = Self.expectedKeys.subtracting(keys).sorted()
            let extra = keys.subtracting(Self.expectedKeys).sorted()
            #expect(missing.isEmpty, "\(language): missing \(missing)")
            #expect(extra.isEmpty, "\(language): keys nothing uses \(extra)")
        }
    }

    @Test func translationsHaveTheSamePlaceholdersAndNoEmptyText() {
        let vietnamese = MessageCatalog.table(.vietnamese)
        let english = MessageCatalog.table(.english)
        for (key, text) in vietnamese {
            #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "\(key) is empty in Vietnamese")
            guard let other = english[key] else { continue }
            #expect(!other.trimmingCharacters(in: .whitespaces).isEmpty, "\(key) is empty in English")
            #expect(
                MessageCatalog.placeholders(text) == MessageCatalog.placeholders(other),
                "\(key): placeholders differ between the languages")
        }
    }

    /// A key nothing refers to is dead text: every `MessageKey` case is named (`.caseName` as a whole word, or its
    /// raw key for the error codes that are their own keys) somewhere in Sources outside the catalog.
    @Test func everyKeyIsUsed() throws {
        var text = ""
        let files = FileManager.default.enumerator(at: Self.sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift", !file.path.contains("/Sources/Messages/") else { continue }
            text += try String(contentsOf: file, encoding: .utf8)
        }
        #expect(!text.isEmpty)
        let unused = MessageKey.allCases.filter { key in
            // A key built from a code (`code + ".advice"`) is used where its code is; a bare family (`"intake`)
            // names nothing.
            let parts = key.rawValue.split(separator: ".")
            let stem = parts.count > 2 ? "\"" + parts.dropLast().joined(separator: ".") : nil
            let named = text.range(of: "\\.\(String(describing: key))\\b", options: .regularExpression) != nil
            return !named && !text.contains("\"\(key.rawValue)\"")
                && !(stem.map(text.contains) ?? false)
        }
        #expect(unused.isEmpty, "keys no source uses: \(unused)")
    }

    /// The vocabularies match the enums they name, so a new state or verdict fails here until it has names.
    @Test func termsCoverTheModulesVocabularies() {
        #expect(Set(Term.localState.values) == Set(LocalState.allCases.map(\.rawValue)))
        #expect(Set(Term.centralState.values) == Set(CentralState.Kind.allCases.map(\.rawValue)))
        #expect(Set(Term.authenticity.values) == Set(AuthenticityVerdict.allCases.map(\.rawValue)))
        #expect(Set(Term.priorityGroup.values) == Set(PriorityGroup.allCases.map(\.rawValue)))
        #expect(Set(Term.abandonReason.values) == Set(IntakeSession.AbandonReason.allCases.map(\.rawValue)))
        #expect(
            Set(Term.refusalReason.values)
                == Set(
                    NotYetEligibleReason.allCases.map(\.rawValue) + IneligibleReason.allCases.map(\.rawValue)))
        #expect(Set(Term.queueReason.values) == Set(OperatorReason.allCases.map(\.rawValue)))
        #expect(Set(Term.sessionState.values) == Set(IntakeSession.State.allNames))
        #expect(Set(Term.bundle.values) == Set(ServiceBundle.allKinds))
        #expect(Set(Term.fingerException.values) == Set(FingerException.allCases.map(\.rawValue)))
        #expect(Set(Term.notice.values) == Set(IntakeSession.Notice.allCases.map(\.rawValue)))
        for notice in IntakeSession.Notice.allCases {
            #expect(notice.message.text(.vietnamese) == Term.notice.name(notice.rawValue, .vietnamese))
        }
        #expect(Term.notice.name("cardPulled", .vietnamese).hasPrefix("Thẻ đã bị rút ra"))
    }

    @Test func namesAreVietnameseByDefaultAndUnknownValuesShowAsTheyAre() {
        #expect(Term.localState.name("held", .vietnamese) == "tạm giữ")
        #expect(Term.localState.name("held", .english) == "held")
        #expect(Term.uploadState.name("someNewPhase", .vietnamese) == "someNewPhase")
        #expect(Message(.freezeLowDisk, ["free": "10", "minimum": "512"]).text(.vietnamese).contains("10 MiB"))
    }

    @Test func tablesAlignByDisplayWidthWithCombiningMarks() {
        // "Hà" precomposed and "Ha\u{300}" (a + combining grave) are both two columns wide.
        let table = TextLayout.table(
            header: ["Xã", "Số"], rows: [["Hà Nội", "1"], ["Ha\u{300} Nội", "22"], ["Đắk Lắk", "333"]],
            rightAligned: [1])
        let lines = table.split(separator: "\n").map(String.init)
        // The rule and every (right-aligned) row end at the same column; the header's trailing spaces are trimmed.
        let widths = lines.dropFirst().map(TextLayout.displayWidth)
        #expect(Set(widths).count == 1, "\(lines)")
        #expect(lines[0] == "Xã       Số", "\(lines)")
        #expect(TextLayout.displayWidth("Ha\u{300}") == 2)
        #expect(TextLayout.displayWidth("Nguyễn") == 6)
    }

    @Test func localTimeIsVietnamTimeWhateverTheMachinesZone() {
        // 2026-11-23T07:05:00Z is 14:05 in Hanoi.
        #expect(TextLayout.localTime(Date(timeIntervalSince1970: 1_795_417_500)) == "2026-11-23 14:05")
    }

    /// Fingers are named, never numbered: the vocabulary's positions are the ISO positions, each named by the
    /// finger's own message (one text whether a message or the console shows it).
    @Test func fingerVocabularyIsTheFingersNames() {
        #expect(Set(Term.finger.values) == Set(FingerPosition.allCases.map { String($0.rawValue) }))
        for finger in FingerPosition.allCases {
            #expect(Term.finger.name(String(finger.rawValue), .vietnamese) == finger.vietnameseName)
            #expect(Term.finger.name(String(finger.rawValue), .english) == finger.englishName)
        }
    }
}
