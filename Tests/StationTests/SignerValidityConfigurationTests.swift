import ChipID
import Foundation
import Station
import StationTestKit
import Testing

/// `trust.signer_validity`: the document signer validity model travels with the daemon's trust anchors.
@Suite struct SignerValidityConfigurationTests {
    @Test func checkTimeByDefaultSigningTimeOnRequestAnythingElseRefused() throws {
        let trust = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki/trust").path
        let plain = try StationConfiguration.load(
            file: try temporaryFile("[trust]\nfolder = \(trust)\n"), environment: [:])
        #expect(plain.signerValidity == .checkTime)
        #expect(plain.trustList.validityModel == .checkTime && plain.trustList.certificates.count == 1)
        let icao = try StationConfiguration.load(
            file: try temporaryFile("[trust]\nfolder = \(trust)\nsigner_validity = signingTime\n"), environment: [:])
        #expect(icao.trustList.validityModel == .signingTime)
        let wrong = try temporaryFile("[trust]\nsigner_validity = whenever\n")
        do {
            _ = try StationConfiguration.load(file: wrong, environment: [:])
            Issue.record("an unknown validity model was accepted")
        } catch {
            #expect(error.errors.first?.key == "trust.signer_validity")
            #expect(error.errors.first?.line == 2)
        }
    }
}
