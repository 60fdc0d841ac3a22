import Foundation
import Testing

@testable import ChipID

@Suite("MRZ check digits and parsing (ICAO 9303-3/-5 examples)")
struct MRZTests {
    @Test("ICAO Part 3 check-digit examples")
    func checkDigits() {
        #expect(MRZCheckDigit.compute("520727") == "3")
        #expect(MRZCheckDigit.compute("AB2134<<<") == "5")
        let td3 = Array("HA672242<6YTO5802254M9601086<<<<<<<<<<<<<<0")
        #expect(MRZCheckDigit.compute(String(td3[0..<10]) + String(td3[13..<20]) + String(td3[21..<43])) == "8")
        let upper = Array("I<YTOD231458907<<<<<<<<<<<<<<<")
        let middle = Array("3407127M9507122YTO<<<<<<<<<<<")
        let composite = String(upper[5..<30]) + String(middle[0..<7]) + String(middle[8..<15]) + String(middle[18..<29])
        #expect(MRZCheckDigit.compute(composite) == "2")
        #expect(MRZCheckDigit.compute("D231458907<<<<<<<<<<<<<<<34071279507122<<<<<<<<<<<") == "2")
        #expect(MRZCheckDigit.compute("a1") == nil)
    }

    @Test("TD1 specimen: fields and MRZ information")
    func td1Specimen() throws {
        let mrz = try MRZ("I<UTOD23145890<7349<<<<<<<<<<<3407127M9507122UTO<<<<<<<<<<<2STEVENSON<<PETER<JOHN<<<<<<<<<")
        #expect(mrz.format == .td1)
        #expect(mrz.documentNumber == "D23145890734")
        #expect(mrz.documentNumberCheckDigit == "9")
        #expect(mrz.keySeed.information == "D23145890734934071279507122")
        #expect(hexString(mrz.keySeed.bacKeySeed) == "B366AD857DDCA2B08C0E299811714730")
        #expect(mrz.primaryIdentifier == "STEVENSON")
        #expect(mrz.secondaryIdentifier == "PETER JOHN")

        let short = try MRZ(
            "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\n"
                + "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
        #expect(short.documentNumber == "D23145890")
        #expect(short.dateOfBirth == "740812")
        #expect(short.sex == "F")
        #expect(short.dateOfExpiry == "120415")
        #expect(short.nationality == "UTO")
        #expect(short.keySeed.information == "D23145890774081221204159")
        #expect(hexString(short.keySeed.bacKeySeed) == "3C4E2EDB7BE894F54FA2CC9A04EF09D0")
    }

    @Test("TD3 specimen, both separated and run together")
    func td3Specimen() throws {
        let line1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
        let line2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
        for text in [line1 + "\n" + line2, line1 + line2, line1 + "\r\n" + line2 + "\n", line1.lowercased() + line2] {
            let mrz = try MRZ(text)
            #expect(mrz.format == .td3)
            #expect(mrz.documentNumber == "L898902C3")
            #expect(mrz.keySeed.information == "L898902C3674081221204159")
            #expect(mrz.primaryIdentifier == "ERIKSSON")
        }
    }

    @Test("CCCD synthetic TD1: ID in optional data, document number = last 9 digits")
    func cccd() throws {
        let mrz = try MRZ(TestCCCD.mrzText)
        #expect(mrz.issuingState == "VNM")
        #expect(mrz.documentCode == "ID")
        #expect(mrz.documentNumber == "099012345")
        #expect(mrz.citizenIDNumber == "001099012345")
        #expect(mrz.keySeed.information == "099012345999010182401014")
        #expect(hexString(mrz.keySeed.bacKeySeed) == "199BDFC279ABD7CFCFE64ACA30DBE74B")
        #expect(!mrz.hasNoExpiry)
    }

    @Test("every wrong check digit is reported with its field")
    func wrongFields() {
        let good = Array(TestCCCD.mrzText.replacingOccurrences(of: "\n", with: ""))
        let cases: [(Int, MRZField)] = [
            (14, .documentNumber), (29, .optionalData), (36, .dateOfBirth),
            (44, .dateOfExpiry), (59, .composite),
        ]
        for (position, field) in cases {
            var chars = good
            chars[position] = chars[position] == "1" ? "2" : "1"
            #expect(throws: MRZError.self) { try MRZ(String(chars)) }
            do {
                _ = try MRZ(String(chars))
            } catch {
                #expect(error.field == field, "position \(position)")
                #expect(error.code == .checkDigit)
            }
        }
        // Document number changed with a matching check digit: CCCD consistency rule.
        do {
            _ = try MRZ(
                "IDVNM0990123469001099012345<<0\n9901018M2401014VNM<<<<<<<<<<<2\n"
                    + "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<")
            Issue.record("inconsistent CCCD MRZ accepted")
        } catch {
            #expect(error.field == .documentNumber || error.field == .citizenID || error.field == .composite)
        }
        do {
            _ = try MRZ(String(good.dropLast()))
            Issue.record("short MRZ accepted")
        } catch {
            #expect(error.code == .layout)
        }
        do {
            _ = try MRZ(String(good).replacingOccurrences(of: "M2401", with: "Q2401"))
            Issue.record("bad sex accepted")
        } catch {
            #expect(error.field == .sex)
        }
    }

    @Test("operator input → CAN and MRZ seed")
    func operatorKeys() throws {
        let keys = try AccessKey.cccd(citizenID: "001099012345", dateOfBirth: "01/01/1999", dateOfExpiry: "240101")
        #expect(keys.can == .can("012345"))
        guard case .mrz(let seed) = keys.mrz else {
            Issue.record("no MRZ key")
            return
        }
        #expect(seed.information == "099012345999010182401014")
        let noExpiry = try AccessKey.cccd(
            citizenID: "0010 9901 2345", dateOfBirth: "1999-01-01",
            dateOfExpiry: "Không thời hạn")
        guard case .mrz(let seed2) = noExpiry.mrz else {
            Issue.record("no MRZ key")
            return
        }
        #expect(seed2.dateOfExpiry == "991231")
        #expect(seed2.dateOfBirth == "990101")
        #expect(throws: ChipIDError.self) {
            try AccessKey.cccd(citizenID: "12345", dateOfBirth: "990101", dateOfExpiry: "")
        }
        #expect(throws: ChipIDError.self) {
            try AccessKey.cccd(citizenID: "001099012345", dateOfBirth: "31/13/1999", dateOfExpiry: "")
        }
        #expect(!String(describing: keys.can).contains("012345"))
    }
}

/// The synthetic CCCD person of CCCD-CHIP.md §2 (not a real person).
enum TestCCCD {
    static let mrzText =
        "IDVNM0990123459001099012345<<0\n9901018M2401014VNM<<<<<<<<<<<2\n"
        + "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<"
    static var seed: MRZKeySeed { get throws { try MRZ(mrzText).keySeed } }
}
