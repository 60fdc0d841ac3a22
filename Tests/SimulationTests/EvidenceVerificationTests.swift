import ChipID
import Foundation
import Simulation
import StationTestKit
import Testing

/// The central's re-check of chip evidence (issue 17) over a test CCCD's files, EF.SOD signed by the TEST DS: the
/// files as read verify against the TEST CSCA; DG13 altered after the station's check, an unknown issuer, or a
/// forged AA transcript are refused.
@Suite struct EvidenceVerificationTests {
    static let cards = LivePCSC.packageRoot.appendingPathComponent("Devices/cards")

    func files() throws -> [LDSFile: [UInt8]] {
        let citizen = try CitizenDataSet.load(Self.cards.appendingPathComponent("nguyen-van-an.json"))
        return try SimulatedCCCD.build(citizen, pkiDirectory: Self.cards.appendingPathComponent("pki"))
    }

    func trust() throws -> CSCATrustList {
        try CSCATrustList.load(folder: Self.cards.appendingPathComponent("pki/trust"))
    }

    @Test func theFilesAsReadVerifyAgainstTheCSCA() throws {
        try EvidenceVerification.verify(
            files: try files(), trustList: try trust(), chipAuthentication: nil, activeAuthentication: nil)
    }

    @Test func dg13AlteredAfterTheStationsCheckIsRefused() throws {
        var altered = try files()
        var dg13 = try #require(altered[.dg(13)])
        dg13[dg13.count - 1] ^= 0x01
        altered[.dg(13)] = dg13
        #expect(throws: ChipIDError.self) {
            try EvidenceVerification.verify(
                files: altered, trustList: try trust(), chipAuthentication: nil, activeAuthentication: nil)
        }
    }

    @Test func anIssuerTheCentralDoesNotTrustIsRefused() throws {
        #expect(throws: ChipIDError.self) {
            try EvidenceVerification.verify(
                files: try files(), trustList: CSCATrustList(), chipAuthentication: nil, activeAuthentication: nil)
        }
    }

    @Test func aForgedActiveAuthenticationTranscriptIsRefused() throws {
        let forged = ActiveAuthenticationTranscript(
            challenge: [1, 2, 3, 4, 5, 6, 7, 8], signature: [UInt8](repeating: 0x5A, count: 256))
        #expect(throws: ChipIDError.self) {
            try EvidenceVerification.verify(
                files: try files(), trustList: try trust(), chipAuthentication: nil, activeAuthentication: forged)
        }
    }
}
