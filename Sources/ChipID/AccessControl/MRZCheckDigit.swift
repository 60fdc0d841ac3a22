/// The ICAO 9303-3 check digit: weights 7, 3, 1 repeating; `<` = 0, digits = their value, `A`–`Z` = 10–35; sum mod 10.
public enum MRZCheckDigit {
    /// The check digit character of `text`, or nil if `text` holds a character outside `0-9 A-Z <`.
    public static func compute(_ text: some StringProtocol) -> Character? {
        let weights = [7, 3, 1]
        var sum = 0
        for (index, byte) in text.utf8.enumerated() {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: "<"): value = 0
            default: return nil
            }
            sum += value * weights[index % 3]
        }
        return Character(String(sum % 10))
    }

    /// Whether `digit` is the check digit of `text`.
    public static func verify(_ text: some StringProtocol, digit: Character) -> Bool {
        compute(text) == digit
    }
}
