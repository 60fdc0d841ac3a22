import ArgumentParser
import ChipID
import Foundation
import Messages
import SecretInput
import SmartCard

/// `stationd card read`: reads a CCCD / eMRTD chip directly over PC/SC (no daemon) and prints the identity.
struct CardReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: HelpText.text(.helpDCardRead),
        discussion: """
            Give one access key: the CAN (6 digits: the last 6 of the ID number), the MRZ, or the ID number with \
            the dates of birth and expiry (expiry "khong thoi han" for no expiry); with none, the CAN is asked for \
            on the terminal without echo. Each comes from a file (--can-file, --mrz-file, --id-file, --dob-file, \
            --expiry-file) or standard input ('-': one line each in the order CAN, MRZ (the rest of the input), \
            ID, date of birth, expiry). The argument forms (--can, --mrz, --id, --dob, --expiry) are for scripts \
            only: other local users can read them via /proc. The portrait is written only with --photo.
            Every read checks authenticity: Chip Authentication (else Active Authentication) against cloning, and \
            Passive Authentication of EF.SOD against the CSCAs of --trust / --masterlist (none given: the chain is \
            reported "unknown"). One line says whether the card is genuine and why not; --json carries \
            "genuine", "passiveAuthentication" (as lds verify --json) and "cloneCheck".
            Exit codes: 0 read and genuine; 3 read, data intact and signature valid, but not confirmed (no trust \
            anchor configured, the signer not trusted, or the anti-clone check could not run); 5 read but NOT \
            genuine (data altered, SOD signature invalid, or CA/AA failed: suspected clone); 2 device or chip \
            error; 4 access denied (wrong key, or blocked).
            """)

    @OptionGroup var output: OutputOptions
    @Option(
        help: ArgumentHelp(
            SecretField.can.argumentHelp(
                "CAN: 6 digits (a CCCD's is the last 6 digits of the ID number)."))) var can: String?
    @Option(help: ArgumentHelp(SecretField.can.fileHelp)) var canFile: String?
    @Option(
        help: ArgumentHelp(
            SecretField.mrz.argumentHelp(
                "MRZ text (lines separated by newlines or run together), or a file holding it."))) var mrz: String?
    @Option(help: ArgumentHelp(SecretField.mrz.fileHelp)) var mrzFile: String?
    @Option(
        help: ArgumentHelp(
            SecretField.idNumber.argumentHelp(
                "12-digit ID number (with the dates of birth and expiry: BAC / PACE-MRZ key)."))) var id: String?
    @Option(help: ArgumentHelp(SecretField.idNumber.fileHelp)) var idFile: String?
    @Option(help: ArgumentHelp(SecretField.dateOfBirth.argumentHelp("Date of birth, YYMMDD (or dd/MM/yyyy).")))
    var dob: String?
    @Option(help: ArgumentHelp(SecretField.dateOfBirth.fileHelp)) var dobFile: String?
    @Option(
        help: ArgumentHelp(
            SecretField.dateOfExpiry.argumentHelp(
                "Date of expiry, YYMMDD (or dd/MM/yyyy, or 'khong thoi han' for no expiry)."))) var expiry: String?
    @Option(help: ArgumentHelp(SecretField.dateOfExpiry.fileHelp)) var expiryFile: String?
    @Option(help: "Reader name (default: the first reader with a card).") var reader: String?
    @Option(help: "Write the portrait (JPEG / JPEG 2000 as stored on the chip) to this file.") var photo: String?
    @Option(help: "Folder of trusted CSCA certificates (PEM/DER), CRLs, master lists (default none: chain unknown).")
    var trust: String?
    @Option(help: "ICAO CSCA master list file (its signature is verified before use).") var masterlist: String?
    @Flag(help: "Technicians: measure the read against the transport floor instead of printing the identity.")
    var benchmark = false
    @Option(help: "Seconds any one call to the reader may take (a mute card fails after this long).")
    var timeout: Double = 20
    @Option(help: SignerValidityModel.help) var signerValidity: SignerValidityModel = .checkTime

    /// Exit code for a refused access key (documented in the README).
    static let accessDeniedExit: Int32 = 4
    /// Exit code for a card read whose authenticity is not confirmed (intact and signed, chain not trusted).
    static let notConfirmedExit: Int32 = 3
    /// Exit code for a card read that is not genuine (altered data, bad signature, failed CA/AA).
    static let notGenuineExit: Int32 = 5

    /// The exit code a successful read ends with, from its authenticity verdict.
    static func exitCode(_ verdict: AuthenticityFindings?) -> Int32 {
        guard let verdict else { return notConfirmedExit }
        switch CardAuthenticityReport.classify(verdict) {
        case .genuine: return 0
        case .notConfirmed: return notConfirmedExit
        case .notGenuine: return notGenuineExit
        }
    }

    func validate() throws {
        let given = [can != nil || canFile != nil, mrz != nil || mrzFile != nil, id != nil || idFile != nil]
            .filter { $0 }.count
        guard given <= 1 else {
            throw ValidationError(output.say(.toolOneAccessKey))
        }
        if id != nil || idFile != nil, dob == nil && dobFile == nil || expiry == nil && expiryFile == nil {
            throw ValidationError(output.say(.toolIdNeedsDates))
        }
        if given == 0 && !SecretInput.isTerminal {
            throw ValidationError(SecretInput.missing(.can).message(english: !output.lang.hasPrefix("vi")))
        }
    }

    func run() async throws {
        let key: AccessKey
        var trustList = CSCATrustList()
        do {
            key = try accessKey()
            if let trust { trustList = try CSCATrustList.load(folder: URL(fileURLWithPath: trust)) }
            if let masterlist { try trustList.addMasterList(file: URL(fileURLWithPath: masterlist)) }
            trustList.validityModel = signerValidity
        } catch let error as ChipIDError {
            fail(error)
            throw ExitCode.validationFailure
        } catch let error as SecretInputError {
            FileHandle.standardError.write(Data((error.message(english: !output.lang.hasPrefix("vi")) + "\n").utf8))
            throw ExitCode.validationFailure
        }
        bootstrapToolLogging()
        do {
            let name = try await readerName()
            if benchmark {
                let connection = try await CardReaders().connect(reader: name, transmitTimeout: timeout)
                // From a warm reset, as every read (`PCSCChipReading`).
                try await connection.reconnect(initialization: .reset)
                try await runBenchmark(connection, key: key)
                return
            }
            let anchors = trustList
            let showProgress = !output.json && isatty(STDERR_FILENO) == 1
            let language = output
            let progress: ChipReader.Progress = { file, done, total in
                guard showProgress else { return }
                let line =
                    "\r" + language.say(.toolReadingFile, ["file": "\(file)", "done": "\(done)", "total": "\(total)"])
                FileHandle.standardError.write(Data((line + (done == total ? "\n" : "")).utf8))
            }
            // The station's one chip read (warm reset, one transaction, reset after), as intake and the check-in.
            let result = try await PCSCChipReading().read(
                ChipReadRequest(
                    reader: name, key: key, authentication: AuthenticationOptions(trustList: anchors),
                    timeout: timeout, progress: progress))
            try present(result, trustList: anchors)
            let code = Self.exitCode(result.authenticity)
            if code != 0 { throw ExitCode(code) }
        } catch let error as ChipIDError {
            fail(error)
            throw ExitCode(
                [.accessDenied, .accessBlocked].contains(error.code)
                    ? Self.accessDeniedExit
                    : ExitStatus.deviceError)
        } catch let error as SmartCardError {
            reportCard(error)
            throw ExitCode(ExitStatus.deviceError)
        }
    }

    /// A reader error: the operator's message and code, then the technician's reason (`detail` in JSON).
    private func reportCard(_ error: SmartCardError) {
        if output.json {
            printJSON([
                "error": [
                    "code": error.code.rawValue, "message": error.operatorMessage(language: output.lang),
                    "detail": error.reason,
                ]
            ])
        } else {
            report(error, output)
            technicianLine(error.reason)
        }
    }

    /// The second line on stderr, for technicians: which file or step and why (never personal data).
    private func technicianLine(_ detail: String) {
        let line = output.say(.ctlTechnicalDetail) + ": \(detail)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private func runBenchmark(_ connection: CardConnection, key: AccessKey) async throws {
        let figures: ChipReadBenchmark
        do {
            figures = try await connection.withTransaction {
                try await ChipReadBenchmark.run(transport: connection, key: key)
            }
        } catch {
            try? await connection.disconnect(.reset)
            throw error
        }
        try? await connection.disconnect(.reset)
        if output.json {
            printJSON([
                "roundTripMs": figures.roundTrip * 1000, "chunkSize": figures.chunkSize,
                "fileBytes": figures.fileBytes, "minimumFileAPDUs": figures.minimumFileAPDUs,
                "fileAPDUs": figures.fileAPDUs, "totalAPDUs": figures.totalAPDUs,
                "fileMs": figures.fileSeconds * 1000, "floorMs": figures.floorSeconds * 1000,
                "totalMs": figures.totalSeconds * 1000, "apduRatio": figures.apduRatio,
                "wallRatio": figures.wallRatio, "accessProtocol": figures.accessProtocol,
            ])
        } else {
            print(figures.description)
        }
    }

    /// The access key from the arguments, files, standard input (in that order of options) or, when none is
    /// given, a CAN typed at the terminal without echo.
    private func accessKey() throws -> AccessKey {
        let english = !output.lang.hasPrefix("vi")
        var can = try SecretInput.read(.can, argument: self.can, file: canFile)
        let mrz = try SecretInput.read(.mrz, argument: self.mrz, file: mrzFile)
        let id = try SecretInput.read(.idNumber, argument: self.id, file: idFile)
        let dob = try SecretInput.read(.dateOfBirth, argument: self.dob, file: dobFile)
        let expiry = try SecretInput.read(.dateOfExpiry, argument: self.expiry, file: expiryFile)
        if can == nil && mrz == nil && id == nil {
            can = try SecretInput.read(.can, argument: nil, file: nil, prompt: true, english: english)
        }
        if let can { return try AccessKey.can(digits: can) }
        if let mrz {
            var text = mrz
            if FileManager.default.fileExists(atPath: mrz),
                let contents = try? String(
                    contentsOfFile: mrz,
                    encoding: .utf8)
            {
                text = contents
            }
            do {
                return .mrz(try MRZ(text.trimmingCharacters(in: .whitespacesAndNewlines)).keySeed)
            } catch {
                throw ChipIDError(.invalidAccessKey, "the MRZ does not parse: \(error)")
            }
        }
        guard let id, let dob, let expiry else { throw ChipIDError(.invalidAccessKey, "no access key") }
        return try AccessKey.cccd(citizenID: id, dateOfBirth: dob, dateOfExpiry: expiry).mrz
    }

    private func readerName() async throws -> String {
        if let reader { return reader }
        let monitor = CardReaders().events()
        defer { monitor.stop() }
        for await event in monitor.withTimeout(seconds: 0.6) {
            switch event {
            case .cardInserted(let reader, _): return reader
            case .serviceUnavailable(let error): throw error
            default: continue
            }
        }
        throw SmartCardError(.noCard, reason: "no reader has a card")
    }

    private func fail(_ error: ChipIDError) {
        // A reader error under the chip's (a mute card, a reader gone) is reported with the reader's own code.
        if error.code == .transport, let card = error.smartCardError {
            reportCard(card)
            return
        }
        if output.json {
            let message = error.operatorMessage(Language(tag: output.lang))
            var object: [String: Any] = [
                "code": error.code.rawValue, "message": message,
                "detail": error.detail,
            ]
            if let attempts = error.attemptsLeft { object["attemptsLeft"] = attempts }
            if let status = error.status { object["sw"] = String(format: "%04X", status.value) }
            if let file = error.file { object["file"] = file.description }
            printJSON(["error": object])
        } else {
            let message = error.operatorMessage(Language(tag: output.lang))
            FileHandle.standardError.write(Data("\(message) [\(error.code.rawValue)]\n".utf8))
            if error.code != .accessDenied && error.code != .invalidAccessKey { technicianLine(error.detail) }
        }
    }

    // MARK: - Output

    private func present(_ read: ChipRead, trustList: CSCATrustList) throws {
        var photoWritten: String?
        if let photo, let face = read.dg2?.faces.first {
            try Data(face.imageData).write(to: URL(fileURLWithPath: photo))
            photoWritten = photo
        }
        if output.json {
            var object = CardReadReport.json(read, photoFile: photoWritten)
            if let verdict = read.authenticity {
                object.merge(CardAuthenticityReport.json(verdict, trust: trustList)) { _, new in new }
            }
            printJSON(object)
            return
        }
        if let verdict = read.authenticity {
            print(
                output.say(
                    .toolCardAuthenticity, ["verdict": CardAuthenticityReport.line(verdict, trust: trustList, output)]))
        }
        for (label, value) in CardReadReport.lines(read, output) { print("\(label): \(value)") }
        if let photoWritten { print(output.say(.toolPortraitSaved, ["file": photoWritten])) }
        if case .unreadable(let problem) = read.portrait {
            print(output.say(.toolPortraitUnreadable, ["detail": problem.detail]))
        }
    }
}

/// The operator's view of a chip read: labelled lines (Vietnamese or English) and a JSON object. Never the image.
enum CardReadReport {
    static func lines(_ read: ChipRead, _ output: OutputOptions) -> [(String, String)] {
        let citizen = read.dg13
        let mrz = read.dg1?.mrz  // always read here (`stationd card read` does not defer DG1)
        var rows: [(String, String)] = []
        func add(_ label: MessageKey, _ value: String?) {
            if let value, !value.isEmpty { rows.append((output.say(label), value)) }
        }
        add(.toolFieldIdNumber, citizen?.idNumber ?? mrz?.citizenIDNumber ?? mrz?.documentNumber)
        add(.toolFieldFullName, citizen?.fullName ?? mrz.map { "\($0.primaryIdentifier) \($0.secondaryIdentifier)" })
        add(.toolFieldDateOfBirth, citizen?.dateOfBirth ?? mrz?.dateOfBirth)
        add(.toolFieldSex, citizen?.sex ?? mrz.map { String($0.sex) })
        add(.toolFieldNationality, citizen?.nationality ?? mrz?.nationality)
        add(.toolFieldEthnicity, citizen?.ethnicity)
        add(.toolFieldReligion, citizen?.religion)
        add(.toolFieldPlaceOfOrigin, citizen?.placeOfOrigin)
        add(.toolFieldPlaceOfResidence, citizen?.placeOfResidence)
        add(.toolFieldIdentifyingMarks, citizen?.identifyingMarks)
        add(.toolFieldDateOfIssue, citizen?.dateOfIssue)
        add(.toolFieldDateOfExpiry, citizen?.dateOfExpiry ?? mrz?.dateOfExpiry)
        add(.toolFieldFather, citizen?.fatherName)
        add(.toolFieldMother, citizen?.motherName)
        add(.toolFieldSpouse, citizen?.spouseName)
        add(.toolFieldOldIdNumber, citizen?.oldIDNumber)
        add(.toolFieldDocumentNumber, mrz?.documentNumber)
        if let face = read.dg2?.faces.first {
            let kind = face.encoding == .jpeg ? "JPEG" : "JPEG 2000"
            add(.toolFieldPortrait, "\(kind) \(face.width)×\(face.height), \(face.imageData.count) byte")
        }
        add(.toolFieldAccessProtocol, protocolName(read.accessProtocol))
        for mismatch in read.mismatches {
            add(.toolFieldMismatch, mismatch.description)
        }
        return rows
    }

    /// "PACE ECDH-GM AES-128" or "BAC".
    static func protocolName(_ access: AccessProtocol) -> String {
        guard case .pace(let info) = access else { return "BAC" }
        return ["PACE", info.mapping?.rawValue, info.cipher?.description].compactMap { $0 }.joined(separator: " ")
    }

    static func json(_ read: ChipRead, photoFile: String?) -> [String: Any] {
        var object: [String: Any] = [
            "accessProtocol": protocolName(read.accessProtocol),
            "apduCount": read.apduCount,
            "files": Dictionary(uniqueKeysWithValues: read.files.map { ($0.key.description, $0.value.bytes.count) }),
            "missingFiles": read.missingFiles.map(\.description),
            "mismatches": read.mismatches.map(\.description),
        ]
        if let mrz = read.dg1?.mrz {
            object["mrz"] =
                [
                    "format": mrz.format.rawValue, "documentCode": mrz.documentCode, "issuingState": mrz.issuingState,
                    "documentNumber": mrz.documentNumber, "dateOfBirth": mrz.dateOfBirth, "sex": String(mrz.sex),
                    "dateOfExpiry": mrz.dateOfExpiry, "nationality": mrz.nationality,
                    "primaryIdentifier": mrz.primaryIdentifier, "secondaryIdentifier": mrz.secondaryIdentifier,
                    "citizenIDNumber": mrz.citizenIDNumber as Any,
                ] as [String: Any]
        }
        if let citizen = read.dg13 {
            var fields: [String: Any] = [:]
            let pairs: [(String, String?)] = [
                ("idNumber", citizen.idNumber), ("fullName", citizen.fullName), ("dateOfBirth", citizen.dateOfBirth),
                ("sex", citizen.sex), ("nationality", citizen.nationality), ("ethnicity", citizen.ethnicity),
                ("religion", citizen.religion), ("placeOfOrigin", citizen.placeOfOrigin),
                ("placeOfResidence", citizen.placeOfResidence), ("identifyingMarks", citizen.identifyingMarks),
                ("dateOfIssue", citizen.dateOfIssue), ("dateOfExpiry", citizen.dateOfExpiry),
                ("fatherName", citizen.fatherName), ("motherName", citizen.motherName),
                ("spouseName", citizen.spouseName), ("oldIDNumber", citizen.oldIDNumber),
            ]
            for (key, value) in pairs { if let value { fields[key] = value } }
            fields["noExpiry"] = citizen.hasNoExpiry
            object["citizen"] = fields
        }
        object["portrait"] = read.portrait.name
        if case .unreadable(let problem) = read.portrait { object["portraitProblem"] = problem.detail }
        if let face = read.dg2?.faces.first {
            var photo: [String: Any] = [
                "encoding": face.encoding.rawValue, "width": face.width, "height": face.height,
                "bytes": face.imageData.count,
            ]
            if let photoFile { photo["file"] = photoFile }
            object["photo"] = photo
        }
        return object
    }
}
