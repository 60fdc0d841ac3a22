import COpenSSL
import Foundation
import Simulation
import Testing

@testable import ChipID

/// Bounded mutation fuzzing of the authenticity parsers: no crash, only typed errors with expected codes.
/// `STATION_FUZZ_ITERATIONS` scales the runs (the defaults keep this suite to a few seconds).
@Suite("Authenticity parsers under mutation (bounded fuzz)")
struct AuthenticityFuzzTests {
    static func iterations(_ base: Int) -> Int {
        guard let text = ProcessInfo.processInfo.environment["STATION_FUZZ_ITERATIONS"], let n = Int(text), n > 0
        else { return base }
        return max(base, n / 10)
    }

    static let parseCodes: Set<ChipIDError.Code> = [
        .sodMalformed, .unsupportedAlgorithm, .certificateMalformed,
        .malformedFile, .fileMissing, .crypto, .masterListMalformed,
        .masterListSignatureInvalid,
    ]

    @Test("EF.SOD mutations through full Passive Authentication")
    func sod() throws {
        guard let files = AuthenticityFixtures.bsiFiles, let sod = files[.sod] else { return }
        var generator = FuzzTests.Generator(state: 0x50D)
        var outcomes: [String: Int] = [:]
        let original = try SecurityObject(sod)
        for _ in 0..<Self.iterations(1_500) {
            var mutated = files
            mutated[.sod] = FuzzTests.mutate(sod, &generator)
            do {
                let verdict = try PassiveAuthentication.verify(files: mutated)
                outcomes[verdict.signatureAndIntegrityValid ? "valid" : "rejected", default: 0] += 1
                if verdict.signatureAndIntegrityValid {
                    // Only mutations outside the signed bytes (e.g. inside the embedded DS certificate, which only
                    // a CSCA chain check covers) may leave a valid verdict: content, attributes, key unchanged.
                    let parsed = try SecurityObject(mutated[.sod]!)
                    #expect(parsed.signedData.content == original.signedData.content)
                    #expect(parsed.signer.signedAttributes == original.signer.signedAttributes)
                    #expect(
                        try parsed.documentSigner().publicKey.subjectPublicKeyInfo
                            == original.documentSigner().publicKey.subjectPublicKeyInfo)
                }
            } catch {
                #expect(Self.parseCodes.contains(error.code), "\(error)")
                outcomes[error.code.rawValue, default: 0] += 1
            }
        }
        print("ChipIDTests: SOD fuzz outcomes \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes["valid", default: 0] < Self.iterations(1_500) / 2)  // mutations are mostly caught
    }

    @Test("DG14 and DG15 mutations")
    func dg14dg15() throws {
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        let point = try curve.multiplyGenerator(try curve.randomScalar())
        let dg14 = CCCDFiles.dg14(
            caPublicKey: point, curve: curve, keyID: 3, activeAuthenticationOID: "0.4.0.127.0.7.1.1.4.1.3")
        let seeds = [dg14, ChipAuthenticationTests.gmrtdDG14, AuthenticityFixtures.bsiFiles?[.dg(14)] ?? dg14]
        var generator = FuzzTests.Generator(state: 0xD614)
        for _ in 0..<Self.iterations(6_000) {
            let input = FuzzTests.mutate(seeds[generator.int(seeds.count)], &generator)
            do {
                let infos = try SecurityInfos(der: input)
                _ = infos.preferredChipAuthentication?.key.key.ecPoint
            } catch {
                #expect(Self.parseCodes.contains(error.code), "\(error)")
            }
        }
        let dg15 = CCCDFiles.dg15(try SimulatedPrivateKey.ec(nid: NID_brainpoolP256r1).subjectPublicKeyInfo)
        let rsa15 = AuthenticityFixtures.bsiFiles?[.dg(15)] ?? dg15
        for _ in 0..<Self.iterations(6_000) {
            let input = FuzzTests.mutate(generator.int(2) == 0 ? dg15 : rsa15, &generator)
            do {
                let key = try ActiveAuthentication.publicKey(dg15: input)
                _ = try ActiveAuthentication.verify(
                    key: key, challenge: [1, 2, 3, 4, 5, 6, 7, 8],
                    signature: (0..<64).map { _ in generator.byte() })
            } catch {
                #expect(Self.parseCodes.contains(error.code) || error.code == .activeAuthenticationFailed, "\(error)")
            }
        }
    }

    @Test("Master list mutations (header, certificate area, signer area)")
    func masterList() throws {
        guard let list = AuthenticityFixtures.netherlandsMasterList else { return }
        var generator = FuzzTests.Generator(state: 0x3A57)
        var loaded = 0
        for round in 0..<Self.iterations(24) {
            var input = list
            // One targeted change per round: the outer headers, a certificate, or the signer info; or a truncation.
            switch round % 4 {
            case 0: input[generator.int(80)] = generator.byte()
            case 1: input[80 + generator.int(list.count - 3_000)] ^= 1 << UInt8(generator.int(8))
            case 2: input[list.count - 1 - generator.int(2_500)] ^= 1 << UInt8(generator.int(8))
            default: input.removeLast(1 + generator.int(list.count - 1))
            }
            do {
                _ = try CSCAMasterList(der: input)
                loaded += 1
            } catch {
                #expect(Self.parseCodes.contains(error.code), "\(error)")
            }
        }
        #expect(loaded <= Self.iterations(24) / 4)
        // Arbitrary small inputs.
        for _ in 0..<Self.iterations(2_000) {
            let input = (0..<(1 + generator.int(64))).map { _ in generator.byte() }
            #expect(chipError { _ = try CSCAMasterList(der: [0x30, 0x80] + input) } != nil)
            _ = try? SecurityObject([0x77, UInt8(input.count)] + input)
            _ = try? Certificate(der: input)
        }
    }
}
