import ChipID
import Foundation
import SmartCard
import Testing

@testable import Simulation

/// The simulated chip's side of Chip Authentication v1 and Active Authentication, in memory (no PC/SC): the
/// reader's real CA/AA code against the applet.
@Suite("Simulated CCCD: card-side Chip/Active Authentication (in memory)")
struct EMRTDChipAuthenticationTests {
    static let dataSet = CCCDPaths.cards.appendingPathComponent("nguyen-van-an.json")

    func read(_ parts: EMRTDCard.Parts, bac: Bool = false, activeOnly: Bool = false) async throws -> ChipRead {
        let set = try CitizenDataSet.load(Self.dataSet)
        var reader = ChipReader(transport: DirectCardTransport(card: parts.card))
        reader.allowPACE = !bac
        var options = AuthenticationOptions(
            trustList: try CSCATrustList.load(folder: CCCDPaths.pki.appendingPathComponent("trust")))
        options.chipAuthentication = !activeOnly
        reader.authentication = options
        return try await reader.read(key: bac ? mrzKey(set) : .can(digits: set.can))
    }

    @Test("AES CA (MSE:Set AT + GENERAL AUTHENTICATE) under PACE and under BAC: keys switch once, read continues")
    func aesChipAuthentication() async throws {
        for bac in [false, true] {
            let parts = try SimulatedCCCD.make(dataSet: Self.dataSet)
            let read = try await read(parts, bac: bac)
            let verdict = try #require(read.authenticity)
            #expect(verdict.cloneCheck.outcome == .passed, "\(verdict.cloneCheck)")
            #expect(parts.applet.chipAuthentications == 1)
            #expect(verdict.passive?.isGenuine == true)
            #expect(read.dg13 != nil && read.sod != nil)
        }
    }

    @Test("3DES CA (MSE:Set KAT with 91 point): DG14 announcing CA-ECDH-3DES passes")
    func tripleDESChipAuthentication() async throws {
        let genuine = try SimulatedCCCD.make(dataSet: Self.dataSet)
        let keys = try #require(genuine.applet.chipKeys)
        var files = try CCCDFiles.build(
            try CitizenDataSet.load(Self.dataSet),
            signer: DocumentSigner.load(directory: CCCDPaths.pki), published: keys,
            variant: CCCDVariant())
        // id-CA-ECDH-AES-CBC-CMAC-128 (…3.2.2) → id-CA-ECDH-3DES-CBC-CBC (…3.2.1); the SOD no longer covers DG14.
        let aes: [UInt8] = [0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02]
        var dg14 = try #require(files[.dg(14)])
        let start = try #require((0...(dg14.count - aes.count)).first { Array(dg14[$0..<$0 + aes.count]) == aes })
        dg14[start + aes.count - 1] = 0x01
        files[.dg(14)] = dg14
        let set = try CitizenDataSet.load(Self.dataSet)
        let seed = try MRZKeySeed(
            documentNumber: String(set.idNumber.suffix(9)), dateOfBirth: set.dateOfBirthYYMMDD,
            dateOfExpiry: set.dateOfExpiryYYMMDD)
        let parts = EMRTDCard.make(files: files, cardAccess: EMRTDCard.cccdCardAccess, mrz: seed, can: set.can)
        parts.applet.chipKeys = keys
        let read = try await read(parts)
        let verdict = try #require(read.authenticity)
        #expect(verdict.cloneCheck.method == .chipAuthentication)
        #expect(verdict.cloneCheck.outcome == .passed, "\(verdict.cloneCheck)")
        #expect(
            verdict.cloneCheck.detail.contains("3DES") || verdict.cloneCheck.detail.contains("3.2.1"),
            "\(verdict.cloneCheck.detail)")
        #expect(parts.applet.chipAuthentications == 1)
        #expect(verdict.passive?.mismatchedDataGroups == [14])
    }

    @Test("AA: INTERNAL AUTHENTICATE signs with ISO 9796-2 scheme 1 / SHA-256; a clone's signature fails")
    func activeAuthentication() async throws {
        let genuine = try await read(try SimulatedCCCD.make(dataSet: Self.dataSet), activeOnly: true)
        #expect(genuine.authenticity?.cloneCheck.method == .activeAuthentication)
        #expect(genuine.authenticity?.cloneCheck.outcome == .passed)
        let clone = try await read(
            try SimulatedCCCD.make(dataSet: Self.dataSet, variant: CCCDVariant(clone: true)),
            activeOnly: true)
        #expect(clone.authenticity?.cloneCheck.outcome == .failed)
        // A signature by the card's key recovers to a SHA-256 scheme-1 representative (trailer 34 CC).
        let keys = try EMRTDChipKeys.generate()
        let challenge: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let key = try ActiveAuthentication.publicKey(
            dg15: CCCDFiles.dg15(try #require(keys.aaSubjectPublicKeyInfo)))
        let signature = try #require(try keys.activeAuthenticationSignature(challenge: challenge))
        #expect(signature.count == 256)
        #expect(try ActiveAuthentication.verify(key: key, challenge: challenge, signature: signature))
        #expect(try !ActiveAuthentication.verify(key: key, challenge: challenge.reversed(), signature: signature))
    }

    @Test("without chip keys (--no-chip-authentication) the chip refuses CA/AA: 6D00 under SM, never a false pass")
    func noKeys() async throws {
        let parts = try SimulatedCCCD.make(dataSet: Self.dataSet, variant: CCCDVariant(chipAuthentication: false))
        #expect(parts.applet.chipKeys == nil)
        let read = try await read(parts, activeOnly: true)
        let check = try #require(read.authenticity?.cloneCheck)
        #expect(check.outcome != .passed, "\(check)")
        #expect(parts.applet.chipAuthentications == 0)
    }

    @Test("DG13 altered after signing: same length, one byte differs, still parses")
    func alteredDG13() throws {
        let set = try CitizenDataSet.load(Self.dataSet)
        let original = CCCDFiles.dg13(set)
        let altered = CCCDVariant.altered(dg13: original)
        #expect(altered.count == original.count)
        #expect(zip(altered, original).filter { $0 != $1 }.count == 1)
        #expect(try CitizenInfo(altered).idNumber == set.idNumber)
    }
}
