import Foundation
import SmartCard
import StationTestKit
import Testing

extension LivePCSCTests {
    /// PC/SC clients we did not write, and our own CLI, against the simulated card. Nested in the serialized live suite:
    /// they share its private pcscd, which other live tests restart.
    @Suite("Interop: pcsc-tools, opensc-tool and the stationd CLI")
    struct InteropTests {
        let lease: LivePCSC.Lease
        var harness: PCSCHarness { lease.harness }
        init() async throws { lease = try await LivePCSC.acquire() }

        @Test("pcsc_scan sees the simulated card's ATR")
        func pcscScan() async throws {
            let card = try harness.startCard(slot: 0, label: "interop")
            defer { card.stop() }
            try await waitForCard(in: harness.readerName(slot: 0))
            // pcsc_scan runs until killed and ignores SIGTERM while it waits: bound it with `timeout -s KILL`.
            let result = try runTool(
                "/usr/bin/timeout", ["-s", "KILL", "3", "/usr/bin/pcsc_scan", "-n"],
                environment: harness.clientEnvironment)
            #expect(result.output.contains("Virtual PCD 00 00"))
            #expect(result.output.contains("3B 85 80 01 80 73 C0 21 C0 D6"), "\(result.output)")
        }

        @Test("scriptor exchanges APDUs and gets the expected answers")
        func scriptor() async throws {
            let card = try harness.startCard(slot: 0, label: "interop")
            defer { card.stop() }
            try await waitForCard(in: harness.readerName(slot: 0))
            let script = "00 A4 04 0C 08 F0 53 54 41 54 49 4F 4E\n00 B0 81 00 05\n00 B0 00 00 02\n00 CA 00 00 00\n"
            let result = try runTool(
                "/usr/bin/scriptor", ["-r", harness.readerName(slot: 0)], input: script,
                environment: harness.clientEnvironment)
            // "Xin c" in hex, then offset 0 again via the current EF, then an unsupported INS.
            #expect(result.output.contains("58 69 6E 20 63 90 00"), "\(result.output)")
            #expect(result.output.contains("58 69 90 00"))
            #expect(result.output.contains("6D 00"))
        }

        @Test("opensc-tool sends an APDU to the simulated card")
        func openscTool() async throws {
            let card = try harness.startCard(slot: 1, label: "interop")
            defer { card.stop() }
            try await waitForCard(in: harness.readerName(slot: 1))
            // opensc-tool numbers readers from 0 in pcscd's order: "Virtual PCD 00 01" is reader 1.
            let result = try runTool(
                "/usr/bin/opensc-tool",
                ["-r", "1", "-s", "00:A4:04:0C:08:F0:53:54:41:54:49:4F:4E", "-s", "00:B0:81:00:03"],
                environment: harness.clientEnvironment)
            #expect(result.output.contains("SW1=0x90, SW2=0x00"), "\(result.output)")
            #expect(result.output.contains("58 69 6E"), "\(result.output)")
        }

        @Test("stationd readers --json and card apdu exit codes")
        func stationdCLI() async throws {
            let card = try harness.startCard(slot: 0, label: "cli")
            defer { card.stop() }
            try await waitForCard(in: harness.readerName())
            let stationd = try Binaries.path("stationd")
            let readers = try runTool(stationd, ["readers", "--json"], environment: harness.clientEnvironment)
            #expect(readers.status == 0)
            let json = try JSONSerialization.jsonObject(with: Data(readers.output.split(separator: "\n").last!.utf8))
            let list = try #require((json as? [String: Any])?["readers"] as? [[String: Any]])
            #expect(list.count == 2)
            #expect(list.first?["cardPresent"] as? Bool == true)
            let ok = try runTool(
                stationd,
                [
                    "card", "apdu", "--reader", harness.readerName(),
                    "00 A4 04 0C 08 F0 53 54 41 54 49 4F 4E",
                ], environment: harness.clientEnvironment)
            #expect(ok.status == 0, "\(ok.output)")
            let refused = try runTool(
                stationd, ["card", "apdu", "--reader", harness.readerName(), "00 A4 04 0C 02 99 99"],
                environment: harness.clientEnvironment)
            #expect(refused.status == 3)
            #expect(refused.output.contains("6A82"))
            let noCard = try runTool(
                stationd,
                [
                    "card", "apdu", "--lang", "en", "--reader", harness.readerName(slot: 1),
                    "00 84 00 00 08",
                ], environment: harness.clientEnvironment)
            #expect(noCard.status == 2)
            #expect(noCard.output.contains("smartcard.no_card"), "\(noCard.output)")
        }
    }
}
