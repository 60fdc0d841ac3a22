import Foundation
import Intake
import Testing

@Suite struct PhoneNumberTests {
    @Test(arguments: [
        "0912345678", "+84912345678", "84912345678", "+84 91 234 5678", "0912.345.678", "091-234-5678",
        "(+84) 912 345 678", " 0912345678 ",
    ])
    func normalisesEveryForm(_ input: String) throws {
        #expect(try PhoneNumber(parsing: input).national == "0912345678")
        #expect(try PhoneNumber(parsing: input).international == "+84912345678")
    }

    @Test(arguments: ["0243825123", "02438251234", "+842438251234", "842438251234", "0283 822 1234"])
    func refusesLandlines(_ input: String) {
        #expect(code(input) == IntakeError.Code.phoneLandline)
    }

    @Test(arguments: ["0951234567", "0801234567", "0111234567", "0401234567", "0601234567"])
    func refusesUnassignedPrefixes(_ input: String) {
        #expect(code(input) == IntakeError.Code.phoneUnknownPrefix)
    }

    @Test(arguments: ["091234567", "09123456789", "912345678", "+8409123456789", "09123x5678", "+1 415 555 0100"])
    func refusesMalformed(_ input: String) {
        #expect(code(input) == IntakeError.Code.phoneInvalid)
    }

    @Test func refusesEmpty() {
        #expect(code("") == IntakeError.Code.phoneMissing)
        #expect(code("  ") == IntakeError.Code.phoneMissing)
    }

    @Test func acceptsEveryAssignedPrefixAndNoOther() {
        var accepted: [String] = []
        for prefix in 0...99 {
            let p = prefix < 10 ? "00\(prefix)" : "0\(prefix)"
            if (try? PhoneNumber(parsing: p + "1234567")) != nil { accepted.append(p) }
        }
        #expect(accepted.count == 36)
        for expected in [
            "032", "039", "052", "055", "056", "058", "059", "070", "076", "079", "081", "089", "090",
            "094", "096", "099",
        ] {
            #expect(accepted.contains(expected), "\(expected)")
        }
        for refused in ["031", "053", "057", "071", "075", "080", "095"] { #expect(!accepted.contains(refused)) }
    }

    @Test func aNewPlanCanAddAPrefix() throws {
        var plan = MobilePrefixPlan.current
        plan.prefixes.insert("057")
        #expect(try PhoneNumber(parsing: "0571234567", plan: plan).national == "0571234567")
    }

    @Test func storedNumbersDecodeEvenAfterTheirPrefixIsWithdrawn() throws {
        struct Box: Codable { var phone: PhoneNumber }
        let stored = Data(#"{"phone":"0571234567"}"#.utf8)
        #expect(code("0571234567") == IntakeError.Code.phoneUnknownPrefix)
        #expect(try JSONDecoder().decode(Box.self, from: stored).phone.national == "0571234567")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Box.self, from: Data(#"{"phone":"57"}"#.utf8)) }
        let phone = try PhoneNumber(parsing: "+84 98 765 4321")
        let again = try JSONDecoder().decode(Box.self, from: JSONEncoder().encode(Box(phone: phone)))
        #expect(again.phone == phone)
    }

    @Test func descriptionIsMasked() throws {
        let phone = try PhoneNumber(parsing: "0912345678")
        #expect("\(phone)" == "*******678")
        #expect(!String(reflecting: phone).contains("2345"))
    }

    /// Issue 16, item 8: a masked phone shows at most its last 3 digits (not the network prefix as well).
    @Test func maskedShowsAtMostTheLastThreeDigits() throws {
        for input in ["0912345678", "+84 98 765 4321", "0356789012", "0701234560"] {
            let phone = try PhoneNumber(parsing: input)
            let masked = phone.masked
            #expect(masked.count == phone.national.count)
            #expect(masked.hasSuffix(String(phone.national.suffix(3))))
            #expect(masked.filter(\.isNumber).count <= 3, "\(masked)")
            #expect("\(phone)" == masked)
            #expect(!String(reflecting: phone).contains(String(phone.national.prefix(3))))
        }
    }

    func code(_ input: String) -> IntakeError.Code? {
        do {
            _ = try PhoneNumber(parsing: input)
            return nil
        } catch {
            return error.code
        }
    }
}
