import Foundation
import Testing

@testable import Biometrics

@Suite struct ChainTests {
    /// FIPS 180-2 appendix B.1 and the empty-string digest.
    @Test func sha256PublishedVectors() {
        #expect(
            CaptureChain.hex(CryptoPrimitives.sha256(Array("abc".utf8)))
                == "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
        #expect(CaptureChain.anchor == "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
    }

    /// FIPS 197 appendix C.1 (AES-128).
    @Test func aes128PublishedVector() throws {
        let key = (0..<16).map { UInt8($0) }
        let plain: [UInt8] = (0..<16).map { UInt8($0 * 0x11) }
        let cipher = try CryptoPrimitives.aes128EncryptBlock(key: key, block: plain)
        #expect(CaptureChain.hex(cipher) == "69C4E0D86A7B0430D8CDB78070B4C55A")
    }

    /// The Microsoft Fingerprint Reader v2 challenge and the answer the Windows-era driver gave, as recorded in
    /// libfprint's tests/uru4000-msv2 (register 0x2010 read, register 0x2000 written).
    @Test func msv2ChallengeResponseMatchesRecording() throws {
        let challenge = CaptureChain.unhex("4DAE5A0B1247A86C9FBF29FDCC178A74")
        let response = try CryptoPrimitives.aes128EncryptBlock(key: URU4000Driver.challengeKey, block: challenge)
        #expect(CaptureChain.hex(response) == "329351371E4ADFB1F35F09F329C6AB46")
    }

    @Test func chainLinksAndDetectsTampering() {
        var chain = CaptureChain()
        let first = chain.append(isoRecord: [1, 2, 3], deviceID: "sim:0", finger: .rightIndex, quality: 80)
        let second = chain.append(isoRecord: [4, 5, 6], deviceID: "sim:0", finger: .leftIndex, quality: 70)
        #expect(first.previousHash == CaptureChain.anchor)
        #expect(second.previousHash == first.hash)
        // Independent recomputation: SHA256(prev ‖ SHA256(data)).
        let expected = CaptureChain.hex(
            CryptoPrimitives.sha256(
                CaptureChain.unhex(first.hash)
                    + CryptoPrimitives.sha256([4, 5, 6])))
        #expect(second.hash == expected)
        #expect(CaptureChain.firstBrokenLink(chain.records) == nil)
        var tampered = chain.records
        tampered[0].isoRecord[0] = 9
        #expect(CaptureChain.firstBrokenLink(tampered) == 0)
        #expect(CaptureChain.firstBrokenLink(Array(chain.records.reversed())) == 0)
        #expect(CaptureChain.firstBrokenLink([chain.records[1]]) == 0)
        #expect(!first.description.contains("1, 2, 3"))
    }
}
