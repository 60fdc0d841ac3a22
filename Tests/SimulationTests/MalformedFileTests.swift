import ChipID
import Foundation
import SmartCard
import Testing

@testable import Simulation

/// Each file of the simulated CCCD fed a malformed variant (EF.SOD signed over it, so Passive Authentication still
/// covers it): the verdict, the file the error names, and what is still shown. In memory (no PC/SC); the same cards
/// through pcscd are in `CardFaultLiveTests` (Tests/StationTests).
@Suite("Malformed chip files: which file, why, and what is still shown")
struct MalformedFileTests {
    static let dataSet = CCCDPaths.cards.appendingPathComponent("nguyen-van-an.json")
    static let trust = CCCDPaths.pki.appendingPathComponent("trust")

    func read(malformed file: LDSFile) async throws -> ChipRead {
        let set = try CitizenDataSet.load(Self.dataSet)
        let parts = try SimulatedCCCD.make(dataSet: Self.dataSet, variant: CCCDVariant(malformed: file))
        var reader = ChipReader(transport: DirectCardTransport(card: parts.card))
        reader.authentication = AuthenticationOptions(trustList: try CSCATrustList.load(folder: Self.trust))
        return try await reader.read(key: try AccessKey.can(digits: set.can))
    }

    @Test(
        "DG1, DG13 and EF.COM that do not parse are fatal and named, with the reason",
        arguments: [(LDSFile.dg(1), "DG1: MRZ of 50 characters"), (.dg(13), "DG13: "), (.com, "EF.COM: LDS version")])
    func fatal(file: LDSFile, reason: String) async throws {
        do {
            let read = try await read(malformed: file)
            Issue.record("a malformed \(file) was accepted: \(read)")
        } catch let error as ChipIDError {
            #expect(error.code == .malformedFile, "\(error)")
            #expect(error.file == file)
            #expect(error.detail.hasPrefix(reason), "\(error.detail)")
            #expect(error.operatorMessage.contains("(\(file))"), "\(error.operatorMessage)")
            // No personal data in what a technician sees: the data set's name and ID number are not in it.
            let set = try CitizenDataSet.load(Self.dataSet)
            #expect(!error.description.contains(set.idNumber) && !error.description.contains(set.fullName))
        }
    }

    @Test("a portrait that does not decode: the identity stands, portrait unreadable with the reason, DG2 still hashed")
    func unreadablePortrait() async throws {
        let read = try await read(malformed: .dg(2))
        let set = try CitizenDataSet.load(Self.dataSet)
        #expect(read.dg13?.idNumber == set.idNumber)
        #expect(read.dg13?.fullName == set.fullName)
        #expect(read.dg2 == nil)
        guard case .unreadable(let problem) = read.portrait else {
            Issue.record("portrait is \(read.portrait.name)")
            return
        }
        #expect(read.portrait.name == "unreadable")
        #expect(problem.file == .dg(2))
        #expect(problem.detail == "DG2: facial information block length too small", "\(problem.detail)")
        let verdict = try #require(read.authenticity)
        let passive = try #require(verdict.passive, "\(verdict.passiveError ?? "")")
        #expect(passive.dataGroups[2] == .intact, "Passive Authentication still covers DG2's hash")
        #expect(passive.isGenuine, "\(passive.chainReason)")
        #expect(verdict.cloneCheck.outcome == .passed)
    }

    @Test(
        "a DG14, DG15 or EF.SOD that does not parse costs the check it feeds, not the identity",
        arguments: [LDSFile.dg(14), .dg(15), .sod])
    func authenticationFiles(file: LDSFile) async throws {
        let read = try await read(malformed: file)
        let set = try CitizenDataSet.load(Self.dataSet)
        #expect(read.dg13?.idNumber == set.idNumber)
        #expect(read.portrait.name == "present")
        let verdict = try #require(read.authenticity)
        switch file {
        case .sod:
            #expect(verdict.passive == nil)
            #expect(verdict.passiveError?.contains("EF.SOD") == true, "\(verdict.passiveError ?? "")")
        case .dg(14):
            // No Chip Authentication infos: Active Authentication (DG15) stands in; DG14's hash is still checked.
            #expect(verdict.cloneCheck.method == .activeAuthentication, "\(verdict.cloneCheck)")
            #expect(verdict.passive?.dataGroups[14] == .intact)
        default:
            // Chip Authentication (DG14) does not need DG15: DG15 is only hashed.
            #expect(verdict.cloneCheck.method == .chipAuthentication, "\(verdict.cloneCheck)")
            #expect(verdict.passive?.dataGroups[15] == .intact)
        }
    }
}
