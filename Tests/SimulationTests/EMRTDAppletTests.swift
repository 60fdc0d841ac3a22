import ChipID
import Foundation
import SmartCard
import StationTestKit
import Testing

@testable import Simulation

/// The simulated eMRTD applet in memory: ChipReader against the card through `DirectCardTransport` (no PC/SC).
@Suite("Simulated CCCD chip (in memory)")
struct EMRTDAppletTests {
    static let firstSet = CCCDPaths.cards.appendingPathComponent("nguyen-van-an.json")

    func card(_ url: URL = firstSet, fault: EMRTDFault? = nil) throws -> EMRTDCard.Parts {
        try SimulatedCCCD.make(dataSet: url, fault: fault)
    }

    @Test("every data set reads back with PACE-CAN, PACE-MRZ and BAC", arguments: CCCDPaths.dataSets)
    func readsBack(_ url: URL) async throws {
        let set = try CitizenDataSet.load(url)
        for mode in ["can", "mrz", "bac"] {
            let parts = try card(url)
            var reader = ChipReader(transport: DirectCardTransport(card: parts.card))
            reader.allowPACE = mode != "bac"
            let key = mode == "can" ? try AccessKey.can(digits: set.can) : try mrzKey(set)
            let read = try await reader.read(key: key)
            if mode == "bac" {
                #expect(read.accessProtocol == .bac)
            } else {
                #expect(read.accessProtocol.description.hasPrefix("PACE"))
            }
            let citizen = try #require(read.dg13)
            #expect(actualCitizen(citizen) == expectedCitizen(set), "\(mode)")
            #expect(read.dg1?.mrz.lines == CCCDMRZ.lines(for: set))
            #expect(read.dg1?.mrz.citizenIDNumber == set.idNumber)
            #expect(read.dg1?.mrz.documentNumber == String(set.idNumber.suffix(9)))
            #expect(read.dg1?.mrz.dateOfExpiry == set.dateOfExpiryYYMMDD)
            #expect(read.mismatches.isEmpty, "\(read.mismatches)")
            let face = try #require(read.dg2?.face)
            #expect(face.encoding == .jpeg)
            #expect(face.imageData.starts(with: [0xFF, 0xD8, 0xFF, 0xE0]))
            #expect(face.imageData.suffix(2) == [0xFF, 0xD9])
            #expect(face.width == set.photo?.width && face.height == set.photo?.height)
            if let size = set.photo?.bytes { #expect(face.imageData.count == size) }
            #expect(read.missingFiles.isEmpty)
            #expect(read.dg14 != nil && read.dg15 != nil && read.sod != nil)
        }
    }

    @Test("the MRZ of CCCD-CHIP.md §2's synthetic example")
    func mrzExample() throws {
        let set = CitizenDataSet(
            note: nil, idNumber: "001099012345", fullName: "Nguyễn Văn A",
            dateOfBirth: "1999-01-01", sex: "M", dateOfIssue: "2021-01-01",
            dateOfExpiry: "2024-01-01")
        #expect(
            CCCDMRZ.lines(for: set) == [
                "IDVNM0990123459001099012345<<0", "9901018M2401014VNM<<<<<<<<<<<2",
                "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<",
            ])
        #expect(CCCDMRZ.nameLine("Đặng Thị Ánh Tuyết") == "DANG<<THI<ANH<TUYET<<<<<<<<<<<")
        #expect(CCCDMRZ.nameLine("Công Tôn Nữ Huyền Trân Khánh Ngọc Phượng Hoàng").count == 30)
        let noExpiry = CitizenDataSet(
            note: nil, idNumber: "036055001122", fullName: "Phạm Văn Đức",
            dateOfBirth: "1955-08-02", sex: "M", dateOfIssue: "2021-03-20", dateOfExpiry: nil)
        let mrz = try MRZ(CCCDMRZ.lines(for: noExpiry).joined(separator: "\n"))
        #expect(mrz.hasNoExpiry)
        #expect(CitizenDataSet.yymmdd("2012-05-20") == "120520")
    }

    @Test("EF.SOD: SHA-256 hashes of every data group, and OpenSSL verifies the CMS signature under the test CSCA")
    func sod() throws {
        let set = try CitizenDataSet.load(Self.firstSet)
        let files = try SimulatedCCCD.build(set, pkiDirectory: CCCDPaths.pki)
        let sod = try #require(files[.sod])
        let contentInfo = try TLV.single(sod, expecting: 0x77, "SOD").value
        // The LDSSecurityObject lists exactly the data groups, each with SHA-256 of the file.
        let lso = try SODBuilder.securityObject(
            dataGroups: files.compactMap { file, bytes in
                if case .dg(let n) = file { (n, bytes) } else { nil }
            })
        #expect(contentInfo.firstRange(of: lso) != nil)
        for (file, bytes) in files {
            guard case .dg = file else { continue }
            #expect(contentInfo.firstRange(of: Hashing.sha256(bytes)) != nil, "\(file) hash in SOD")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sod-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cms = folder.appendingPathComponent("sod.der")
        try Data(contentInfo).write(to: cms)
        let out = folder.appendingPathComponent("content.der")
        let result = try runProcess(
            "/usr/bin/openssl",
            [
                "cms", "-verify", "-inform", "DER", "-in", cms.path,
                "-CAfile",
                CCCDPaths.pki.appendingPathComponent(
                    "csca-TEST-ONLY.cert.pem"
                ).path,
                "-purpose", "any", "-out", out.path,
            ])
        #expect(result.status == 0, "\(result.output)")
        #expect(try [UInt8](Data(contentsOf: out)) == lso)
        let signer = try DocumentSigner.load(directory: CCCDPaths.pki)
        #expect(signer.description.contains("redacted"))
        let details = try runProcess(
            "/usr/bin/openssl",
            ["cms", "-cmsout", "-print", "-inform", "DER", "-in", cms.path])
        #expect(details.output.contains("ecdsa-with-SHA256"))
        #expect(details.output.contains("brainpoolP384r1") || details.output.contains("1.3.36.3.3.2.8.1.1.11"))
    }

    @Test("secure messaging: a bad command MAC gets 6988 and drops the session; a replayed SSC too")
    func badCommandMAC() async throws {
        let set = try CitizenDataSet.load(Self.firstSet)
        for replay in [false, true] {
            let parts = try card()
            let transport = DirectCardTransport(card: parts.card)
            let info = try #require(try SecurityInfos(der: EMRTDCard.cccdCardAccess).preferredPACE)
            var session = try await PACEProtocol.run(over: transport, info: info, key: try .can(digits: set.can))
            #expect(session.algorithm == .aes128)
            #expect(parts.applet.hasSession)
            var command = try session.protect(FileReader.selectApplication)
            if replay {
                var answer = try await transport.transmit(command)
                _ = try session.unprotect(answer)
                answer = try await transport.transmit(command)  // same SSC again
                #expect(answer.status == .smObjectsIncorrect)
            } else {
                command.data[command.data.count - 1] ^= 0x80
                #expect(try await transport.transmit(command).status == .smObjectsIncorrect)
            }
            #expect(!parts.applet.hasSession)
            // The session is gone: a well-formed protected command now gets 6987.
            let next = try session.protect(CommandAPDU(ins: 0xB0, p1: 0x81, p2: 0, le: 8))
            #expect(try await transport.transmit(next).status == .smObjectsMissing)
            #expect(parts.applet.rejectedCommands == 1)
        }
    }

    @Test("CCCD quirks: SELECT MF 6D00, files only under SM, DG3 6982, unknown DG 6A82, ATR")
    func quirks() async throws {
        let set = try CitizenDataSet.load(Self.firstSet)
        let parts = try card()
        #expect(parts.card.atr == [0x3B, 0x89, 0x80, 0x01, 0x4D, 0x4B, 0x6A, 0x43, 0x4F, 0x53, 0x2D, 0x33, 0x37, 0x12])
        let transport = DirectCardTransport(card: parts.card)
        let mf = try await transport.transmit(CommandAPDU(ins: 0xA4, p1: 0, p2: 0x0C, data: [0x3F, 0x00]))
        #expect(mf.status == StatusWord(0x6D00))
        let cardAccess = try await transport.transmit(FileReader.selectEF(0x011C))
        #expect(cardAccess.status == .success)
        let access = try await transport.transmit(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 256))
        #expect(access.data == EMRTDCard.cccdCardAccess)
        #expect(try await transport.transmit(FileReader.selectApplication).status == .success)
        #expect(
            try await transport.transmit(CommandAPDU(ins: 0xB0, p1: 0x81, p2: 0, le: 8)).status
                == .securityStatusNotSatisfied)
        #expect(try await transport.transmit(FileReader.selectEF(0x0101)).status == .securityStatusNotSatisfied)
        // Under BAC secure messaging: DG3 refused, DG11 absent, DG1 by FID and by SFI, odd INS.
        let session = try await BACProtocol.run(
            over: transport,
            seed: {
                if case .mrz(let seed) = try mrzKey(set) { return seed }
                throw SimulationError("no seed")
            }())
        let secure = SecureMessagingTransport(wrapping: transport, session: session)
        #expect(try await secure.transmit(FileReader.selectEF(0x0103)).status == .securityStatusNotSatisfied)
        #expect(try await secure.transmit(FileReader.selectEF(0x010B)).status == .fileNotFound)
        #expect(try await secure.transmit(FileReader.selectEF(0x0101)).status == .success)
        let byFID = try await secure.transmit(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 5))
        #expect(byFID.data == [0x61, 0x5D, 0x5F, 0x1F, 0x5A])
        let bySFI = try await secure.transmit(CommandAPDU(ins: 0xB0, p1: 0x8D, p2: 0, le: 4))
        #expect(bySFI.data.first == 0x6D)
        let odd = try await secure.transmit(CommandAPDU(ins: 0xB1, p1: 0, p2: 0, data: [0x54, 0x01, 0x02], le: 10))
        #expect(odd.status == .success && odd.data.first == 0x53)
        #expect(parts.applet.hasSession)
        // A plain command ends secure messaging.
        _ = try await transport.transmit(FileReader.selectEF(0x011C))
        #expect(!parts.applet.hasSession)
    }

    @Test("wrong CAN: access denied with a counting-down attempt counter; wrong MRZ with BAC: access denied")
    func wrongKeys() async throws {
        let set = try CitizenDataSet.load(Self.firstSet)
        let parts = try card()
        let transport = DirectCardTransport(card: parts.card)
        for expected in [2, 1] {
            do {
                _ = try await ChipReader(transport: transport).read(key: try .can(digits: "000000"))
                Issue.record("a wrong CAN was accepted")
            } catch {
                #expect(error.code == .accessDenied)
                #expect(error.attemptsLeft == expected)
            }
        }
        // A right CAN resets the counter.
        _ = try await ChipReader(transport: transport).read(key: try .can(digits: set.can))
        #expect(parts.applet.paceAttemptsLeft == 3)
        var bac = ChipReader(transport: DirectCardTransport(card: try card().card))
        bac.allowPACE = false
        let wrong = try AccessKey.cccd(citizenID: set.idNumber, dateOfBirth: "990102", dateOfExpiry: "390101").mrz
        do {
            _ = try await bac.read(key: wrong)
            Issue.record("a wrong MRZ was accepted")
        } catch {
            #expect(error.code == .accessDenied)
            #expect(error.status == StatusWord(0x6300))
        }
    }

    @Test("bad-mac fault: the reader gets a typed error and its session is closed")
    func badResponseMAC() async throws {
        let set = try CitizenDataSet.load(Self.firstSet)
        let parts = try card(fault: .badResponseMAC(atResponse: 3))
        do {
            _ = try await ChipReader(transport: DirectCardTransport(card: parts.card)).read(key: .can(digits: set.can))
            Issue.record("a tampered MAC was accepted")
        } catch {
            #expect(error.code == .badMAC)
        }
    }

    @Test("extended length and odd-INS READ BINARY above 32 KiB")
    func extendedAndOddINS() async throws {
        var set = try CitizenDataSet.load(Self.firstSet)
        set.photo = .init(width: 480, height: 640, gray: 100, bytes: 40_000)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("big.json")
        try JSONEncoder().encode(set).write(to: url)
        let parts = try SimulatedCCCD.make(dataSet: url, pkiDirectory: CCCDPaths.pki, atr: ISO7816Card.defaultATR)
        let limits = TransportLimits(extendedLength: true, maxCommandData: 65_535, maxResponseData: 65_536)
        let read = try await ChipReader(transport: DirectCardTransport(card: parts.card, limits: limits))
            .read(key: .can(digits: set.can))
        #expect(read.dg2?.face.imageData.count == 40_000)
        #expect(read.dg2?.face.imageData == CCCDFiles.portrait(set))
    }

    @Test("LDS folder file names")
    func ldsNames() {
        #expect(LDSDirectory.file(named: "EF_COM.bin") == .com)
        #expect(LDSDirectory.file(named: "Datagroup14.bin") == .dg(14))
        #expect(LDSDirectory.file(named: "EF_SOD.bin") == .sod)
        #expect(LDSDirectory.file(named: "EF_CardAccess.bin") == .cardAccess)
        #expect(LDSDirectory.file(named: "ef011E.bin") == .com)
        #expect(LDSDirectory.file(named: "0102") == .dg(2))
        #expect(LDSDirectory.file(named: "011C.bin") == .cardAccess)
        #expect(LDSDirectory.file(named: "README.md") == nil)
    }

    @Test("an LDS folder named by FID, with EF.CardAccess: PACE with the TD3 MRZ (given as a file) reads every file")
    func ldsFolderByFID() async throws {
        guard let bsi = CCCDPaths.bsi else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lds-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = try LDSDirectory.load(bsi)
        for (file, bytes) in original {
            let name = String(format: file == .dg(2) ? "%04X" : "ef%04X.bin", file.fileID)
            try Data(bytes).write(to: folder.appendingPathComponent(name))
        }
        try Data(EMRTDCard.cccdCardAccess).write(to: folder.appendingPathComponent("EF_CardAccess.bin"))
        let mrzFile = folder.appendingPathComponent("mrz.txt")
        let mrzText = try CCCDPaths.bsiMRZ(bsi)
        try (String(mrzText.prefix(44)) + "\n" + String(mrzText.suffix(44)) + "\n").write(
            to: mrzFile, atomically: true,
            encoding: .utf8)
        let mrz = try SimulatedCCCD.mrz(from: mrzFile.path)
        #expect(mrz.format == .td3 && mrz.documentNumber == "C11T002JM")
        let parts = try SimulatedCCCD.make(ldsDirectory: folder, mrz: mrz)
        let read = try await ChipReader(transport: DirectCardTransport(card: parts.card)).read(key: .mrz(mrz.keySeed))
        #expect(read.accessProtocol.description.hasPrefix("PACE"))
        for (file, bytes) in read.files where file != .cardAccess { #expect(bytes.bytes == original[file], "\(file)") }
        #expect(read.files[.dg(2)]?.bytes.count == 15_083)
        // PACE with a CAN is refused: the TD3 document has none.
        do {
            _ = try await ChipReader(transport: DirectCardTransport(card: parts.card)).read(key: .can(digits: "123456"))
            Issue.record("a CAN was accepted by a chip without one")
        } catch {
            #expect(error.code != .badMAC)
        }
    }

    @Test("synthetic JPEG: markers in order, sizes as asked")
    func jpeg() {
        let image = SyntheticJPEG.make(width: 240, height: 320, level: 150, totalSize: 5_000)
        #expect(image.count == 5_000)
        #expect(image.starts(with: [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00]))
        var markers: [UInt8] = []
        var index = 2
        while index + 4 <= image.count, image[index] == 0xFF, image[index + 1] != 0xDA {
            markers.append(image[index + 1])
            index += 2 + (Int(image[index + 2]) << 8 | Int(image[index + 3]))
        }
        #expect(markers == [0xE0, 0xDB, 0xC0, 0xC4, 0xC4, 0xFE])
        #expect(image[index + 1] == 0xDA)
        #expect(image.suffix(2) == [0xFF, 0xD9])
        // SOF0 carries the size: height 320, width 240.
        let sof = image.firstRange(of: [0xFF, 0xC0])!.lowerBound
        #expect(Array(image[(sof + 5)..<(sof + 9)]) == [0x01, 0x40, 0x00, 0xF0])
    }

    @Test("synthetic JPEG decodes with libjpeg to the asked size and grey level")
    func jpegDecodes() throws {
        guard FileManager.default.fileExists(atPath: "/usr/include/jpeglib.h"),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/cc")
        else {
            print("skipped: libjpeg-dev or cc missing, the synthetic JPEG is not decoded")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jpeg-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = """
            #include <stdio.h>
            #include <jpeglib.h>
            int main(int argc, char **argv) {
                FILE *f = fopen(argv[1], "rb"); struct jpeg_decompress_struct d; struct jpeg_error_mgr e;
                d.err = jpeg_std_error(&e); jpeg_create_decompress(&d); jpeg_stdio_src(&d, f);
                jpeg_read_header(&d, TRUE); jpeg_start_decompress(&d);
                unsigned char row[4096]; JSAMPROW rows[1] = { row }; long sum = 0, n = 0; int lo = 255, hi = 0;
                while (d.output_scanline < d.output_height) {
                    jpeg_read_scanlines(&d, rows, 1);
                    for (unsigned i = 0; i < d.output_width; i++) {
                        sum += row[i]; n++; if (row[i] < lo) lo = row[i]; if (row[i] > hi) hi = row[i];
                    }
                }
                printf("%u %u %d %ld %d %d\\n", d.output_width, d.output_height, d.output_components, sum / n, lo, hi);
                jpeg_finish_decompress(&d); return e.num_warnings != 0;
            }
            """
        try source.write(to: folder.appendingPathComponent("decode.c"), atomically: true, encoding: .utf8)
        let compiled = try runProcess(
            "/usr/bin/cc",
            [
                folder.appendingPathComponent("decode.c").path, "-ljpeg", "-o",
                folder.appendingPathComponent("decode").path,
            ])
        try #require(compiled.status == 0, "\(compiled.output)")
        for (level, size) in [(150, 5_000), (40, nil), (128, nil)] as [(Int, Int?)] {
            let file = folder.appendingPathComponent("image.jpg")
            try Data(SyntheticJPEG.make(width: 240, height: 320, level: level, totalSize: size)).write(to: file)
            let decoded = try runProcess(folder.appendingPathComponent("decode").path, [file.path])
            #expect(decoded.status == 0, "\(decoded.output)")
            #expect(
                decoded.output.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "240 320 1 \(level) \(level) \(level)")
        }
    }
}

/// Runs a tool and returns its exit status and combined output.
func runProcess(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
