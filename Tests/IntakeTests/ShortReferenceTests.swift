import Foundation
import Intake
import Testing

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
}
