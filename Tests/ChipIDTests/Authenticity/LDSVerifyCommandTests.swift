import Foundation
import Testing

@testable import ChipID

/// `stationd lds verify` end to end (the binary beside the test bundle, or in `$STATION_BIN_DIR`).
@Suite("stationd lds verify: exit codes and JSON contract")
struct LDSVerifyCommandTests {
    static var stationd: String? {
        let directory =
            ProcessInfo.processInfo.environment["STATION_BIN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? URL(
                fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                    ?? CommandLine.arguments[0]
            ).deletingLastPathComponent()
        let path = directory.appendingPathComponent("stationd").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            print("ChipIDTests: \(path) not built (STATION_TARGETS=ChipIDTests,stationd); skipping CLI tests")
            return nil
        }
        return path
    }

    static func verify(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]?, out: String) {
        let result = try AuthenticityFixtures.run(
            stationd!, ["lds", "verify"] + arguments,
            environment: ["PATH": "/usr/bin:/bin"])
        let json =
            arguments.contains("--json")
            ? (try? JSONSerialization.jsonObject(with: Data(result.out.utf8))) as? [String: Any] : nil
        return (result.status, json, result.out + result.err)
    }

    @Test("BSI set: exit 3 with the JSON contract; a flipped DG byte: exit 4 naming the group")
    func referenceSet() throws {
        guard Self.stationd != nil, let folder = AuthenticityFixtures.bsiFolder else { return }
        let result = try Self.verify([folder.path, "--json"])
        #expect(result.status == 3)
        let pa = try #require(result.json?["passiveAuthentication"] as? [String: Any])
        #expect(pa["dataGroupsIntact"] as? Bool == true)
        #expect(pa["signatureValid"] as? Bool == true)
        #expect(pa["chain"] as? String == "unknown")
        #expect((pa["mismatchedDataGroups"] as? [Int]) == [])
        #expect(pa["hashAlgorithm"] as? String == "SHA-256")

        let copy = try AuthenticityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: copy) }
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            try FileManager.default.copyItem(
                at: folder.appendingPathComponent(name),
                to: copy.appendingPathComponent(name))
        }
        let dg2 = copy.appendingPathComponent("Datagroup2.bin")
        var bytes = [UInt8](try Data(contentsOf: dg2))
        bytes[5_000] ^= 0x10
        try FileManager.default.removeItem(at: dg2)
        try Data(bytes).write(to: dg2)
        let altered = try Self.verify([copy.path, "--json"])
        #expect(altered.status == 4)
        let alteredPA = try #require(altered.json?["passiveAuthentication"] as? [String: Any])
        #expect(alteredPA["dataGroupsIntact"] as? Bool == false)
        #expect((alteredPA["mismatchedDataGroups"] as? [Int]) == [2])
        #expect(alteredPA["signatureValid"] as? Bool == true)
        // Human output: one headline in Vietnamese by default, English with --lang en.
        let human = try Self.verify([copy.path])
        #expect(human.status == 4 && human.out.hasPrefix("KHÔNG XÁC THỰC") && human.out.contains("DG2"))
        let english = try Self.verify([folder.path, "--lang", "en"])
        #expect(english.status == 3 && english.out.hasPrefix("NOT CONFIRMED"))
        #expect(english.out.contains("not published"))
    }

    @Test("Trusted chain (synthetic PKI): exit 0; unreadable input: exit 1; broken master list: exit 1")
    func trustedAndUnreadable() throws {
        guard Self.stationd != nil, let pki = try SyntheticPKI.make() else { return }
        defer { pki.remove() }
        let trusted = try Self.verify([pki.ldsFolder.path, "--trust", pki.trustFolder.path, "--json"])
        #expect(trusted.status == 0, "\(trusted.out)")
        #expect((trusted.json?["passiveAuthentication"] as? [String: Any])?["chain"] as? String == "trusted")
        let genuine = try Self.verify([pki.ldsFolder.path, "--trust", pki.trustFolder.path])
        #expect(genuine.out.hasPrefix("GIẤY TỜ THẬT"))
        #expect(try Self.verify([pki.folder.appendingPathComponent("missing").path]).status == 1)
        #expect(try Self.verify([pki.trustFolder.path]).status == 1)  // no EF.SOD there
        guard let list = AuthenticityFixtures.netherlandsMasterList else { return }
        var broken = list
        broken[broken.count - 20] ^= 0x01
        let file = pki.folder.appendingPathComponent("broken.mls")
        try Data(broken).write(to: file)
        let refused = try Self.verify([pki.ldsFolder.path, "--masterlist", file.path, "--json"])
        #expect(refused.status == 1)
        #expect((refused.json?["error"] as? [String: Any])?["code"] as? String == "chip.masterlist_signature_invalid")
    }
}
