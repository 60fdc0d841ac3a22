/// Where protocol randomness comes from: the system CSPRNG in production, fixed values in worked-example tests.
public protocol RandomSource: Sendable {
    /// `count` random bytes.
    func bytes(_ count: Int) -> [UInt8]
}

/// The system CSPRNG (`SystemRandomNumberGenerator`: getrandom(2) on Linux).
public struct SystemRandomSource: RandomSource {
    /// Builds the source.
    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
