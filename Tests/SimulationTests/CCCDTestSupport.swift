import ChipID
import Foundation
import SmartCard

@testable import Simulation

/// Paths and helpers shared by the CCCD simulator tests.
enum CCCDPaths {
    /// The package root (from this file's path).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// `Devices/cards`.
    static let cards = root.appendingPathComponent("Devices/cards")
    /// The test PKI.
    static let pki = cards.appendingPathComponent("pki")
    /// Every data set.
    static var dataSets: [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cards.path)) ?? []).filter { $0.hasSuffix(".json") }
            .sorted().map { cards.appendingPathComponent($0) }
    }
    /// The BSI TR-03105-5 reference files, or nil (with a printed reason) when the fixtures are missing.
    static var bsi: URL? {
        let folder = root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/lds/bsi-tr03105-5")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("Datagroup1.bin").path) else {
            print("skipped: BSI TR-03105-5 fixtures not found at \(folder.path)")
            return nil
        }
        return folder
    }
    /// The BSI reference document's TD3 MRZ (C11T002JM, born 960812, expiry 231031), from its DG1.
    static func bsiMRZ(_ folder: URL) throws -> String {
        let dg1 = try [UInt8](Data(contentsOf: folder.appendingPathComponent("Datagroup1.bin")))
        return String(decoding: dg1.suffix(88), as: UTF8.self)
    }
}

/// The expected CCCD values of a data set, as DG13 shows them.
func expectedCitizen(_ set: CitizenDataSet) -> [String: String?] {
    [
        "idNumber": set.idNumber, "fullName": set.fullName, "dateOfBirth": set.dateOfBirthText, "sex": set.sexText,
        "nationality": set.nationality ?? "Việt Nam", "ethnicity": set.ethnicity ?? "Kinh",
        "religion": set.religion ?? "Không", "placeOfOrigin": set.placeOfOrigin,
        "placeOfResidence": set.placeOfResidence, "identifyingMarks": set.identifyingMarks,
        "dateOfIssue": set.dateOfIssueText, "dateOfExpiry": set.dateOfExpiryText, "fatherName": set.fatherName,
        "motherName": set.motherName, "spouseName": set.spouseName, "oldIDNumber": set.oldIDNumber,
    ]
}

/// The same fields as read from the chip.
func actualCitizen(_ info: CitizenInfo) -> [String: String?] {
    [
        "idNumber": info.idNumber, "fullName": info.fullName, "dateOfBirth": info.dateOfBirth, "sex": info.sex,
        "nationality": info.nationality, "ethnicity": info.ethnicity, "religion": info.religion,
        "placeOfOrigin": info.placeOfOrigin, "placeOfResidence": info.placeOfResidence,
        "identifyingMarks": info.identifyingMarks, "dateOfIssue": info.dateOfIssue, "dateOfExpiry": info.dateOfExpiry,
        "fatherName": info.fatherName, "motherName": info.motherName, "spouseName": info.spouseName,
        "oldIDNumber": info.oldIDNumber,
    ]
}

/// The MRZ key of a data set.
func mrzKey(_ set: CitizenDataSet) throws -> AccessKey {
    try AccessKey.cccd(
        citizenID: set.idNumber, dateOfBirth: set.dateOfBirthYYMMDD,
        dateOfExpiry: set.dateOfExpiry == nil ? "Không thời hạn" : set.dateOfExpiryYYMMDD
    ).mrz
}
