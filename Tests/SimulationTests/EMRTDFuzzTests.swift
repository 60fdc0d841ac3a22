import ChipID
import Foundation
import SmartCard
import Testing

@testable import Simulation

/// Malformed and mutated APDUs against the simulated chip: it always answers with a status word, never crashes,
/// and a mutated protected command never gets through secure messaging. Bounded; `STATION_FUZZ_ITERATIONS` raises it.
@Suite("Simulated CCCD chip fuzzing")
struct EMRTDFuzzTests {
    static var iterations: Int { Int(ProcessInfo.processInfo.environment["STATION_FUZZ_ITERATIONS"] ?? "") ?? 1_000 }

    @Test("random and mutated commands: always a status word; mutated SM commands are refused")
    func mutations() async throws {
        let set = try CitizenDataSet.load(CCCDPaths.cards.appendingPathComponent("nguyen-van-an.json"))
        let parts = try SimulatedCCCD.make(dataSet: CCCDPaths.cards.appendingPathComponent("nguyen-van-an.json"))
        let transport = DirectCardTransport(card: parts.card)
        var generator = SystemRandomNumberGenerator()
        let info = try #require(try SecurityInfos(der: EMRTDCard.cccdCardAccess).preferredPACE)
        var session = try await PACEProtocol.run(over: transport, info: info, key: .can(digits: set.can))
        _ = try session.unprotect(try await transport.transmit(try session.protect(FileReader.selectApplication)))
        for round in 0..<Self.iterations {
            if round % 3 == 0 {
                // Pure noise.
                let bytes = (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                let answer = parts.card.process(bytes)
                #expect(answer.count >= 2, "noise got no status word")
                continue
            }
            // A valid protected READ BINARY with one byte flipped: must be refused, and the session must end.
            if !parts.applet.hasSession {
                session = try await PACEProtocol.run(over: transport, info: info, key: .can(digits: set.can))
                _ = try session.unprotect(
                    try await transport.transmit(try session.protect(FileReader.selectApplication)))
            }
            var command = try session.protect(CommandAPDU(ins: 0xB0, p1: 0x81, p2: 0, le: 16)).bytes
            // Lc and the protected data (header and the outer Le are not MAC-covered by design: CLA/INS/P1/P2 are,
            // through the padded header, but a changed CLA or INS is a different command).
            let index = Int.random(in: 4..<(command.count - 1), using: &generator)
            command[index] ^= UInt8.random(in: 1...255, using: &generator)
            let answer = parts.card.process(command)
            #expect(answer.count >= 2)
            let status = StatusWord(sw1: answer[answer.count - 2], sw2: answer[answer.count - 1])
            #expect(status != .success || answer.count == 2, "a mutated protected command was answered with data")
            // An APDU that no longer parses (Lc changed) is refused before secure messaging sees it; anything
            // else that reached secure messaging ends the session.
            let parses = (try? CommandAPDU(bytes: command)) != nil
            #expect(!parts.applet.hasSession || !parses, "round \(round): status \(status), byte \(index)")
            if status == .success { Issue.record("a mutated protected command passed: byte \(index)") }
        }
    }
}
