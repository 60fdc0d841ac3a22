import COpenSSL
import Simulation
import SmartCard
import Testing

@testable import ChipID

@Suite("ChipReader with authentication: BAC, CA right after DG14, reading continues under the CA keys")
struct ChipReaderAuthenticationTests {
    static func card(clone: Bool = false, aa: Bool = true, ca: Bool = true) throws -> (
        InMemoryEMRTD,
        [LDSFile: [UInt8]]
    ) {
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        let secret = try curve.randomScalar()
        let aaKey = try SimulatedPrivateKey.rsa()
        var files = TestDataSet.files()
        files[.sod] = nil
        files[.dg(14)] =
            ca
            ? CCCDFiles.dg14(caPublicKey: try curve.multiplyGenerator(secret), curve: curve)
            : TLV.encode(tag: 0x6E, value: TestDataSet.cardAccess)
        files[.dg(15)] = CCCDFiles.dg15(aaKey.subjectPublicKeyInfo)
        let keys = try AuthenticationChips.keys(
            caPrivate: clone ? try curve.randomScalar() : secret,
            aa: aa ? (clone ? try SimulatedPrivateKey.rsa() : aaKey, .rsaISO9796(.sha256)) : nil)
        return (try AuthenticationChips.chip(files: files, keys: keys), files)
    }

    @Test("Genuine chip: CA passes, every file read (the ones after DG14 under the new keys), PA reported")
    func genuine() async throws {
        let (chip, files) = try Self.card()
        var reader = ChipReader(transport: chip)
        reader.authentication = AuthenticationOptions()
        let read = try await reader.read(key: .mrz(try TestCCCD.seed))
        let verdict = try #require(read.authenticity)
        #expect(verdict.cloneCheck.method == .chipAuthentication && verdict.cloneCheck.outcome == .passed)
        #expect(verdict.passive == nil && verdict.passiveError?.contains("EF.SOD") == true)
        for (file, bytes) in files { #expect(read.files[file]?.bytes == bytes, "\(file)") }
        #expect(read.missingFiles == [.sod])
        #expect(await chip.chipAuthentications == 1)
        // DG14 is read right after DG1, and DG2/DG13/DG15 after Chip Authentication.
        let reads = await chip.unwrappedCommands.filter { $0.ins == 0xB0 && $0.p1 & 0x80 != 0 }.map { $0.p1 & 0x1F }
        #expect(reads.prefix(3) == [0x1E, 0x01, 0x0E])
        let mse = await chip.unwrappedCommands.firstIndex { $0.ins == 0x22 }
        let dg2 = await chip.unwrappedCommands.firstIndex { $0.ins == 0xB0 && $0.p1 == 0x82 }
        #expect(mse != nil && dg2 != nil && mse! < dg2!)
        #expect(await !chip.unwrappedCommands.contains { $0.ins == 0x88 })  // CA preferred: no AA
    }

    @Test("Clone: CA fails with a specific verdict and the read stops cleanly after DG1/DG14")
    func clone() async throws {
        let (chip, _) = try Self.card(clone: true)
        var reader = ChipReader(transport: chip)
        reader.authentication = AuthenticationOptions()
        let read = try await reader.read(key: .mrz(try TestCCCD.seed))
        let verdict = try #require(read.authenticity)
        #expect(verdict.cloneCheck.method == .chipAuthentication && verdict.cloneCheck.outcome == .failed)
        #expect(read.files[.dg(2)] == nil)
    }

    @Test("No CA key in DG14: Active Authentication runs instead (genuine passes, clone fails)")
    func activeFallback() async throws {
        for clone in [false, true] {
            let (chip, _) = try Self.card(clone: clone, ca: false)
            var reader = ChipReader(transport: chip)
            reader.authentication = AuthenticationOptions()
            let read = try await reader.read(key: .mrz(try TestCCCD.seed))
            let check = try #require(read.authenticity?.cloneCheck)
            #expect(check.method == .activeAuthentication)
            #expect(check.outcome == (clone ? .failed : .passed), "\(check)")
        }
    }

    @Test("Authentication off (the default): no CA/AA commands, no verdict")
    func off() async throws {
        let (chip, _) = try Self.card()
        let read = try await ChipReader(transport: chip).read(key: .mrz(try TestCCCD.seed))
        #expect(read.authenticity == nil)
        #expect(await !chip.unwrappedCommands.contains { $0.ins == 0x22 || $0.ins == 0x88 })
    }
}
