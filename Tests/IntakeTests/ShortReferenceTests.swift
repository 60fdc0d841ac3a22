import Foundation
import Messages
import Testing

@testable import Intake

@Suite struct ShortReferenceTests {
    @Test func aNewReferenceReadsBackInAnyTypedForm() throws {
        for _ in 0..<1_000 {
            let reference = ShortReference()
            let shown = reference.description
            #expect(shown.count == 9 && Array(shown)[4] == "-")
            #expect(ShortReference(parsing: shown) == reference)
            #expect(ShortReference(parsing: shown.lowercased()) == reference)
            #expect(ShortReference(parsing: reference.compact) == reference)
            #expect(ShortReference(parsing: " " + shown.replacingOccurrences(of: "-", with: " ") + " ") == reference)
        }
    }

    @Test func theAlphabetHasNoLookAlikesAndAPrimeSize() {
        let alphabet = Set(ShortReference.alphabet)
        for lookAlike in "01ILOUZ" { #expect(!alphabet.contains(lookAlike)) }
        #expect(ShortReference.alphabet.count == 29)
    }

    /// Every single wrong character and every swap of two different neighbours is refused.
    @Test func everySingleTypoAndNeighbourSwapIsDetected() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let reference = ShortReference(using: &generator)
            let characters = Array(reference.compact)
            for position in 0..<characters.count {
                for symbol in ShortReference.alphabet where symbol != characters[position] {
                    var typo = characters
                    typo[position] = symbol
                    #expect(ShortReference(parsing: String(typo)) == nil, "\(String(typo))")
                }
                if position + 1 < characters.count, characters[position] != characters[position + 1] {
                    var swapped = characters
                    swapped.swapAt(position, position + 1)
                    #expect(ShortReference(parsing: String(swapped)) == nil, "\(String(swapped))")
                }
            }
        }
    }

    @Test func wrongLengthsAndForeignCharactersAreRefused() {
        #expect(ShortReference(parsing: "") == nil)
        #expect(ShortReference(parsing: "K7M2-QX4") == nil)
        #expect(ShortReference(parsing: "K7M2-QX4PP") == nil)
        #expect(ShortReference(parsing: "O7M2-QX4P") == nil)
        #expect(ShortReference(parsing: UUID().uuidString) == nil)
    }

    @Test func jsonCarriesTheDashedForm() throws {
        let reference = ShortReference()
        let data = try JSONEncoder().encode([reference])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(reference.description)\"]")
        #expect(try JSONDecoder().decode([ShortReference].self, from: data) == [reference])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ShortReference].self, from: Data("[\"X\"]".utf8))
        }
    }

    /// The check is ISBN-10's weighted sum (ISO 2108: Σ i·dᵢ for i = 1…9, modulo 11); with modulus 11 it gives
    /// the check digits of published ISBNs (10 is ISBN's X).
    @Test func theCheckIsIsbn10sWeightedSum() {
        let published: [(String, Int)] = [
            ("030640615", 2),  // 0-306-40615-2, the usual ISBN-10 example
            ("019853453", 1),  // 0-19-853453-1
            ("097522980", 10),  // 0-9752298-0-X
            ("316148410", 10),  // 3-16-148410-X (ISBN-13 978-3-16-148410-0)
        ]
        for (digits, check) in published {
            #expect(ShortReference.check(digits.map { Int(String($0))! }, modulus: 11) == check, "\(digits)")
        }
        // And the reference's own: the example body K7M2-QX4 checks to G.
        #expect(ShortReference(parsing: "K7M2-QX4G")?.description == "K7M2-QX4G")
    }

    /// Exhaustive, not sampled. A reference is valid when Σ wᵢ·vᵢ ≡ 0 (mod 29) with weights 1…7 and −1 for the
    /// check character, so changing one place moves the sum by a fixed amount whatever the other characters are:
    /// one valid reference per (place, old symbol, new symbol) covers every reference. Every substitution at each
    /// of the 8 places (29 × 28 each) and every swap of different neighbours (7 pairs, the check character
    /// included) is refused.
    @Test func everySubstitutionAndNeighbourSwapIsCaughtExhaustively() throws {
        var generator = SystemRandomNumberGenerator()
        let n = ShortReference.alphabet.count
        let text = { (values: [Int]) in String(values.map { ShortReference.alphabet[$0] }) }
        /// A valid reference with `fixed` values, the other random ones balanced at the first free random place.
        func valid(_ fixed: [Int: Int]) -> [Int] {
            var values = (0...7).map { fixed[$0] ?? Int.random(in: 0..<n, using: &generator) }
            let free = (0..<7).first { fixed[$0] == nil }!
            let others = (0..<7).filter { $0 != free }.reduce(0) { $0 + ($1 + 1) * values[$1] }
            let inverse = (1..<n).first { ($0 * (free + 1)) % n == 1 }!
            values[free] = (((values[7] - others) % n + n) % n) * inverse % n
            return values
        }
        var refused = 0
        for place in 0...7 {
            for a in 0..<n {
                for b in 0..<n where a != b {
                    var substituted = valid([place: a])
                    try #require(ShortReference(parsing: text(substituted)) != nil)
                    substituted[place] = b
                    #expect(ShortReference(parsing: text(substituted)) == nil, "\(text(substituted))")
                    refused += 1
                    guard place < 7 else { continue }
                    var swapped = valid([place: a, place + 1: b])
                    try #require(ShortReference(parsing: text(swapped)) != nil)
                    swapped.swapAt(place, place + 1)
                    #expect(ShortReference(parsing: text(swapped)) == nil, "\(text(swapped))")
                    refused += 1
                }
            }
        }
        #expect(refused == 8 * 29 * 28 + 7 * 29 * 28)
    }

    /// What people type: case, spaces, dashes, and the two look-alikes that resemble one symbol only.
    @Test func typedFormsAndLookAlikesAreRead() throws {
        let reference = try ShortReference.parse("K7M2-QX4G")
        for typed in ["k7m2qx4g", " K7M2 QX4G ", "K7M2--QX4G", "K-7M2-QX4-G", "k7m2‐qx4g"] {
            #expect(try ShortReference.parse(typed) == reference, "\(typed)")
        }
        // Z is read as 2 and U as V (neither is in the alphabet).
        let withTwo = try #require(ShortReference(parsing: "K7M2-QX4G"))
        #expect(try ShortReference.parse("K7MZ-QX4G") == withTwo)
        let withV = ShortReference.alphabet.firstIndex(of: "V")!
        let values = [withV, 0, 0, 0, 0, 0, 0]
        let text = String((values + [ShortReference.check(values)]).map { ShortReference.alphabet[$0] })
        #expect(try ShortReference.parse("U" + text.dropFirst()).compact == text)
    }

    /// A wrong reference is a typed error with a stable code, and the catalog tells the officer to check it.
    @Test func mistakesAreTypedErrorsWithCatalogMessages() {
        let cases: [(String, ShortReferenceError.Code)] = [
            ("K7M2-QX4", .length), ("K7M2-QX4GG", .length), ("", .length),
            ("O7M2-QX4G", .character), ("K7M1-QX4G", .character), ("K7ML-QX4G", .character), ("K7M2-QX4!", .character),
            ("K7M2-QX4P", .check), ("7KM2-QX4G", .check), ("K7M2-QX4H", .check),
        ]
        for (typed, code) in cases {
            #expect(throws: ShortReferenceError.self, "\(typed)") { try ShortReference.parse(typed) }
            do throws(ShortReferenceError) {
                _ = try ShortReference.parse(typed)
            } catch {
                #expect(error.code == code, "\(typed)")
                #expect(error.message.text(.vietnamese).contains("kiểm tra lại các ký tự"))
                #expect(error.message.text(.english).contains("check the characters"))
            }
        }
        #expect(
            ShortReferenceError.Code.allCases.map(\.rawValue) == [
                "reference.length", "reference.character", "reference.check",
            ])
        #expect(ShortReferenceError(.character, character: "O").message.text(.vietnamese).contains("«O»"))
    }
}
