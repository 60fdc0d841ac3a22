import COpenSSL
import SmartCard
import Testing

@testable import ChipID

/// The anti-clone evidence a central re-checks (issue 17): the CA transcript recomputes the first protected
/// response's MAC under keys derived from the terminal's ephemeral key and DG14's chip key.
@Suite("Anti-clone transcripts")
struct AntiCloneTranscriptTests {
    /// GMRTD TestChipAuthAT (ICAO-VECTORS.md §6): the terminal's scalar and the chip's first answer under the new
    /// keys (SELECT EF DG14, SSC 2), as in `ChipAuthenticationTests.gmrtdReplay`.
    static func gmrtd() throws -> ChipAuthenticationTranscript {
        let terminal = hex("80EBAFC8A51BECD4D90BB640EE38C9FD5C12748D28AAA37096B98C4533C4F5F5")
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        return ChipAuthenticationTranscript(
            terminalPrivateKey: terminal, terminalPublicKey: try curve.multiplyGenerator(terminal).uncompressed,
            protectedResponse: hex("990290008E0803C4B125B4218CEF9000"),
            responseSSC: [UInt8](repeating: 0, count: 15) + [0x02])
    }

    @Test("the published CA exchange verifies from its transcript")
    func publishedTranscriptVerifies() throws {
        try Self.gmrtd().verify(dg14: ChipAuthenticationTests.gmrtdDG14)
    }

    @Test("forged transcripts are refused: a changed MAC, another SSC, another terminal key, no MAC at all")
    func forgeriesAreRefused() throws {
        var mac = try Self.gmrtd()
        mac.protectedResponse[8] ^= 0x01
        #expect(throws: ChipIDError.self) { try mac.verify(dg14: ChipAuthenticationTests.gmrtdDG14) }
        var ssc = try Self.gmrtd()
        ssc.responseSSC[15] = 0x04
        #expect(throws: ChipIDError.self) { try ssc.verify(dg14: ChipAuthenticationTests.gmrtdDG14) }
        // A forger's own key pair: consistent, but the chip's answer was MACed under other keys.
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        var other = try Self.gmrtd()
        other.terminalPrivateKey = try curve.randomScalar()
        other.terminalPublicKey = try curve.multiplyGenerator(other.terminalPrivateKey).uncompressed
        #expect(throws: ChipIDError.self) { try other.verify(dg14: ChipAuthenticationTests.gmrtdDG14) }
        // A public key that is not the private key's.
        var mismatched = try Self.gmrtd()
        mismatched.terminalPublicKey = other.terminalPublicKey
        #expect(throws: ChipIDError.self) { try mismatched.verify(dg14: ChipAuthenticationTests.gmrtdDG14) }
        var bare = try Self.gmrtd()
        bare.protectedResponse = [0x69, 0x82]
        #expect(throws: ChipIDError.self) { try bare.verify(dg14: ChipAuthenticationTests.gmrtdDG14) }
    }

    @Test(
        "a read against a card keeps a transcript that verifies; a clone keeps none",
        arguments: ["0.4.0.127.0.7.2.2.3.2.2", "0.4.0.127.0.7.2.2.3.2.1"])
    func readerKeepsTheTranscript(oid: String) async throws {
        let cipher: CipherAlgorithm = oid.hasSuffix(".1") ? .tripleDES : .aes128
        for clone in [false, true] {
            let (reader, card) = try ChipAuthenticationTests.sessionPair(cipher)
            let (chip, dg14) = try ChipAuthenticationTests.card(cipherOID: oid, clone: clone, session: card)
            let channel = RekeyableTransport(SecureMessagingTransport(wrapping: chip, session: reader))
            let check = try #require(
                await ChipAuthenticator.chipAuthentication(
                    dg14: dg14, channel: channel, plain: chip, random: SystemRandomSource()))
            if clone {
                #expect(check.outcome == .failed && check.chipAuthenticationTranscript == nil)
            } else {
                #expect(check.outcome == .passed)
                let transcript = try #require(check.chipAuthenticationTranscript)
                try transcript.verify(dg14: dg14)
                #expect(transcript.responseSSC == [UInt8](repeating: 0, count: cipher.blockSize - 1) + [2])
            }
        }
    }
}
