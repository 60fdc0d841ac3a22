import Foundation
import SmartCard
import Synchronization

@testable import ChipID

/// Hex → bytes for vectors (crashes the test on a typo, which is what we want).
func hex(_ text: String) -> [UInt8] {
    guard let bytes = Bytes.fromHex(text) else { fatalError("bad hex in test vector") }
    return bytes
}

/// Bytes → uppercase hex.
func hexString(_ bytes: [UInt8]) -> String { Bytes.hex(bytes) }

/// The shared fixtures folder `../shared/fixtures` next to the package root, or nil (with a printed reason).
func fixturesFolder(_ sub: String) -> URL? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let folder = root.deletingLastPathComponent().appendingPathComponent("shared/fixtures").appendingPathComponent(sub)
    guard FileManager.default.fileExists(atPath: folder.path) else {
        print("ChipIDTests: fixtures folder \(folder.path) is missing; skipping the tests that need it")
        return nil
    }
    return folder
}

/// Reads one fixture file's bytes, or nil when the fixtures are missing.
func fixture(_ sub: String, _ name: String) -> [UInt8]? {
    guard let folder = fixturesFolder(sub) else { return nil }
    guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
        print("ChipIDTests: fixture \(name) missing; skipping")
        return nil
    }
    return [UInt8](data)
}

/// A random source that hands out queued byte strings first (worked-example nonces), then a deterministic
/// pseudo-random stream.
final class ScriptedRandom: RandomSource, @unchecked Sendable {
    private let queue: Mutex<[[UInt8]]>
    private let state = Mutex<UInt64>(0x9E37_79B9_7F4A_7C15)

    init(_ values: [[UInt8]] = []) { queue = Mutex(values) }

    func bytes(_ count: Int) -> [UInt8] {
        if let next = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            precondition(next.count == count, "scripted random value of \(next.count) bytes, \(count) asked")
            return next
        }
        return state.withLock { s in
            (0..<count).map { _ in
                s ^= s << 13
                s ^= s >> 7
                s ^= s << 17
                return UInt8(truncatingIfNeeded: s)
            }
        }
    }
}

/// A transport that replays a fixed list of command → response pairs and fails on any deviation.
actor ScriptedTransport: CardTransport {
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    private var script: [(command: String, response: String)]
    private(set) var sent: [String] = []
    let limitsValue: TransportLimits

    init(_ script: [(String, String)], limits: TransportLimits = .short) {
        self.script = script.map { (command: $0.0.uppercased(), response: $0.1.uppercased()) }
        self.limitsValue = limits
    }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let bytes = hexString(command.bytes)
        sent.append(bytes)
        guard !script.isEmpty else { throw Mismatch(description: "unexpected extra command \(bytes)") }
        let next = script.removeFirst()
        guard next.command == bytes else {
            throw Mismatch(description: "command \(bytes) where \(next.command) was expected")
        }
        return try ResponseAPDU(bytes: hex(next.response))
    }

    var remaining: Int { script.count }

    var limits: TransportLimits { limitsValue }
}

/// The `ChipIDError` thrown by `body`, or nil when it succeeds or throws something else.
func chipError(_ body: () throws -> Void) -> ChipIDError? {
    do {
        try body()
        return nil
    } catch let error as ChipIDError {
        return error
    } catch {
        return nil
    }
}
