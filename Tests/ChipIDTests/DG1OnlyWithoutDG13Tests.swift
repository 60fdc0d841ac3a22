import SmartCard
import Testing

@testable import ChipID

/// The health desk's read profile (`ChipReader.dg1OnlyWithoutDG13`): DG13 carries the identity, so DG1 is read
/// only when the chip has no DG13; intake's default (DG1 required) is unchanged.
@Suite("Read profile: DG1 only if DG13 is absent")
struct DG1OnlyWithoutDG13Tests {
    /// The desk's files (`DeskVerification.files`).
    static let deskFiles: [LDSFile] = [.dg(1), .dg(13), .dg(14), .dg(15), .sod]

    func read(
        _ files: [LDSFile: [UInt8]], deferDG1: Bool
    ) async throws -> (ChipRead, [CommandAPDU]) {
        let card = try ChipReaderTests.card(cardAccess: TestDataSet.cardAccess, files: files)
        var reader = ChipReader(transport: card)
        reader.files = Self.deskFiles
        reader.dg1OnlyWithoutDG13 = deferDG1
        let read = try await reader.read(key: .can("012345"))
        #expect(await card.commandCount == read.apduCount)
        return (read, await card.received)
    }

    @Test("with DG13: DG1 is never selected nor read, its APDUs are saved, everything else is the same")
    func dg13Present() async throws {
        let files = TestDataSet.files()
        let (full, _) = try await read(files, deferDG1: false)
        let (desk, commands) = try await read(files, deferDG1: true)
        #expect(full.dg1 != nil && desk.dg1 == nil)
        #expect(desk.files[.dg(1)] == nil)
        // No READ BINARY by DG1's short identifier (01); files are read by short identifier, so no SELECT either.
        #expect(!commands.contains { $0.ins == 0xB0 && $0.p1 == 0x81 })
        let dg1Cost = ChipReaderTests.cost(try #require(files[.dg(1)]).count, chunk: 223)
        #expect(dg1Cost >= 1)
        #expect(full.apduCount - desk.apduCount == dg1Cost, "full \(full.apduCount), desk \(desk.apduCount)")
        // The identity and every other file as before.
        #expect(desk.dg13 == full.dg13)
        #expect(desk.dg13?.idNumber == "001099012345")
        for file in Self.deskFiles where file != .dg(1) { #expect(desk.files[file] == full.files[file], "\(file)") }
        #expect(desk.missingFiles == full.missingFiles)
        #expect(desk.mismatches.isEmpty)
    }

    @Test("without DG13: DG1 is read after all and carries the identity; the read is the full one's")
    func dg13Absent() async throws {
        var files = TestDataSet.files()
        files[.dg(13)] = nil
        let (full, _) = try await read(files, deferDG1: false)
        let (desk, commands) = try await read(files, deferDG1: true)
        #expect(desk.dg1?.mrz.citizenIDNumber == "001099012345")
        #expect(desk.dg1?.mrz == full.dg1?.mrz)
        #expect(desk.dg13 == nil && desk.missingFiles == [.dg(13)])
        #expect(commands.contains { $0.ins == 0xB0 && $0.p1 == 0x81 })
        #expect(desk.apduCount == full.apduCount)
    }

    @Test("off (intake's default): DG1 is required as before; a chip without DG1 is still an error")
    func requiredByDefault() async throws {
        var files = TestDataSet.files()
        files[.dg(1)] = nil
        let card = try ChipReaderTests.card(cardAccess: TestDataSet.cardAccess, files: files)
        var reader = ChipReader(transport: card)
        reader.files = Self.deskFiles
        do {
            _ = try await reader.read(key: .can("012345"))
            Issue.record("read without DG1 succeeded")
        } catch {
            #expect(error.code == .fileMissing)
        }
        // With the desk's profile the same chip is read from DG13.
        var desk = ChipReader(transport: try ChipReaderTests.card(cardAccess: TestDataSet.cardAccess, files: files))
        desk.files = Self.deskFiles
        desk.dg1OnlyWithoutDG13 = true
        let read = try await desk.read(key: .can("012345"))
        #expect(read.dg1 == nil && read.dg13?.idNumber == "001099012345")
    }

    @Test("with Chip Authentication: DG13 takes DG1's place before it, so a clone still gives the identity")
    func chipAuthenticationOrder() async throws {
        for clone in [false, true] {
            let (chip, _) = try ChipReaderAuthenticationTests.card(clone: clone)
            var reader = ChipReader(transport: chip)
            reader.files = [.dg(1), .dg(13), .dg(2), .dg(14), .dg(15), .sod]
            reader.authentication = AuthenticationOptions()
            reader.dg1OnlyWithoutDG13 = true
            let read = try await reader.read(key: .mrz(try TestCCCD.seed))
            let reads = await chip.unwrappedCommands.filter { $0.ins == 0xB0 && $0.p1 & 0x80 != 0 }.map { $0.p1 & 0x1F }
            #expect(reads.prefix(2) == [0x0D, 0x0E], "\(reads)")  // DG13, then DG14 (Chip Authentication)
            #expect(!reads.contains(0x01))
            #expect(read.dg13?.idNumber == "001099012345")
            #expect(read.authenticity?.cloneCheck.outcome == (clone ? .failed : .passed))
        }
    }
}
