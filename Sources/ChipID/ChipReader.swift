import SmartCard

/// How the reader got access to the chip.
public enum AccessProtocol: Sendable, Hashable, CustomStringConvertible {
    /// PACE with the given info (its OID names mapping and cipher).
    case pace(PACEInfo)
    /// Basic Access Control.
    case bac

    public var description: String {
        switch self {
        case .pace(let info): "PACE \(info)"
        case .bac: "BAC"
        }
    }
}

/// Everything read from a chip: typed values plus the raw bytes of every file (for Passive Authentication).
public struct ChipRead: Sendable, CustomStringConvertible {
    /// PACE or BAC.
    public var accessProtocol: AccessProtocol
    /// EF.COM, when the card has it.
    public var com: EFCOM?
    /// DG1; nil only when the read profile skipped it because DG13 was read (`ChipReader.dg1OnlyWithoutDG13`).
    public var dg1: DG1?
    /// DG2 face, when read and decoded.
    public var dg2: DG2?
    /// DG13 citizen data, when read.
    public var dg13: CitizenInfo?
    /// Raw bytes of every file read, EF.CardAccess included when present.
    public var files: [LDSFile: LDSFileBytes]
    /// Files asked for that the card does not have.
    public var missingFiles: [LDSFile]
    /// DG1 vs DG13 disagreements (empty when they agree, or either was not read).
    public var mismatches: [DataMismatch]
    /// APDUs exchanged for the whole read (access control included).
    public var apduCount: Int
    /// Passive Authentication and Chip/Active Authentication results, when `ChipReader.authentication` is set.
    public var authenticity: AuthenticityFindings? = nil
    /// Where the time went (for technicians and benchmarks; no personal data).
    public var timings = ReadTimings()
    /// Why DG2 was read but could not be decoded (its bytes are still in `files`, so Passive Authentication covers
    /// them): the identity stands without the portrait.
    public var portraitError: ChipIDError? = nil

    /// What became of the portrait.
    public var portrait: PortraitStatus {
        if dg2 != nil { return .present }
        if let portraitError { return .unreadable(portraitError) }
        return .notRead
    }

    /// Raw DG14 (Chip Authentication infos), when read.
    public var dg14: [UInt8]? { files[.dg(14)]?.bytes }
    /// Raw DG15 (Active Authentication key), when read.
    public var dg15: [UInt8]? { files[.dg(15)]?.bytes }
    /// Raw EF.SOD, when read.
    public var sod: [UInt8]? { files[.sod]?.bytes }

    /// Shape only, no personal data.
    public var description: String {
        "ChipRead(\(accessProtocol), files \(files.keys.sorted().map(\.description)), missing \(missingFiles), "
            + "\(mismatches.count) mismatch(es), \(apduCount) APDUs)"
    }
}

/// The portrait (DG2) of a read.
public enum PortraitStatus: Sendable, Hashable {
    /// Decoded: `ChipRead.dg2` has it.
    case present
    /// Read, but it does not decode: the error names the file and why (no image bytes).
    case unreadable(ChipIDError)
    /// Not asked for, or not on the card.
    case notRead

    /// `present`, `unreadable` or `notRead` (wire and JSON value).
    public var name: String {
        switch self {
        case .present: "present"
        case .unreadable: "unreadable"
        case .notRead: "notRead"
        }
    }
}

/// The wall time of each phase of a chip read, in seconds.
public struct ReadTimings: Sendable, Hashable, CustomStringConvertible {
    /// EF.CardAccess, PACE or BAC, SELECT of the application.
    public var accessControl: Double = 0
    /// READ BINARY of the files (Chip Authentication excluded).
    public var files: Double = 0
    /// Chip Authentication, or Active Authentication when it ran instead.
    public var cloneCheck: Double = 0
    /// Passive Authentication (hashes, SOD signature, chain).
    public var passiveAuthentication: Double = 0
    /// The whole read, parsing included.
    public var total: Double = 0

    /// All phases zero.
    public init() {}

    public var description: String {
        String(
            format: "access %.1f ms, files %.1f ms, CA/AA %.1f ms, PA %.1f ms, total %.1f ms", accessControl * 1000,
            files * 1000, cloneCheck * 1000, passiveAuthentication * 1000, total * 1000)
    }

    /// Seconds since `start` on the monotonic clock.
    static func since(_ start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Reads an eMRTD / CCCD chip end to end over any `CardTransport`: PACE when EF.CardAccess offers a supported
/// variant (else BAC), SELECT of the eMRTD application, then the files, parsed and cross-checked.
public struct ChipReader: Sendable {
    /// Progress of the whole read, per file: file, bytes read, total.
    public typealias Progress = FileReader.Progress

    /// The card.
    public let transport: any CardTransport
    /// The files to read, in order. DG1 is required; data groups EF.COM does not list are skipped, and files the
    /// card does not have (or refuses with `6982`, e.g. EAC-protected DG3) are recorded in `missingFiles`.
    public var files: [LDSFile] = [.com, .dg(1), .dg(2), .dg(13), .dg(14), .dg(15), .sod]
    /// Randomness for BAC/PACE.
    public var random: any RandomSource = SystemRandomSource()
    /// Whether to try PACE at all (turn off for chips whose PACE is broken).
    public var allowPACE = true
    /// When set: Chip Authentication right after DG14 (secure messaging continues under its keys), else Active
    /// Authentication, then Passive Authentication; the verdict is in `ChipRead.authenticity`.
    public var authentication: AuthenticationOptions?
    /// DG1 only if DG13 is absent (the health desk's profile: DG13 carries the identity, so DG1's reads are
    /// saved). DG13 takes DG1's place in the order (read before Chip Authentication); when the chip turns out to
    /// have no DG13 (missing, or not listed in EF.COM), DG1 is read right then, so the identity still comes from
    /// the chip. Off: DG1 is required, as everywhere else.
    public var dg1OnlyWithoutDG13 = false

    /// Builds a reader for one card session.
    public init(transport: any CardTransport) {
        self.transport = transport
    }

    /// Runs access control and reads the files.
    public func read(key: AccessKey, progress: Progress? = nil) async throws(ChipIDError) -> ChipRead {
        let counter = CountingTransport(wrapping: transport)
        var rawFiles: [LDSFile: LDSFileBytes] = [:]
        var timings = ReadTimings()
        let started = ContinuousClock.now

        // 1. EF.CardAccess, plain, at MF level (no SELECT MF: CCCD chips answer 6D00).
        var pace: PACEInfo?
        if allowPACE, let cardAccess = try await readCardAccess(counter) {
            rawFiles[.cardAccess] = cardAccess
            if let infos = try? SecurityInfos(der: cardAccess.bytes) { pace = infos.preferredPACE }
        }

        // 2. Access control.
        let session: SecureMessagingSession
        let accessProtocol: AccessProtocol
        var paceSession: SecureMessagingSession?
        if let pace {
            do {
                paceSession = try await PACEProtocol.run(over: counter, info: pace, key: key, random: random)
            } catch  where error.code == .unsupported && error.status != nil {
                if case .can = key { throw error }  // no BAC with a CAN
            }
        }
        if let paceSession, let pace {
            session = paceSession
            accessProtocol = .pace(pace)
        } else {
            guard case .mrz(let seed) = key else {
                throw ChipIDError(
                    .unsupported,
                    "the chip offers no supported PACE, and BAC needs the MRZ data, not a CAN")
            }
            try await selectApplication(counter)
            session = try await BACProtocol.run(over: counter, seed: seed, random: random)
            accessProtocol = .bac
        }
        let secure = SecureMessagingTransport(wrapping: counter, session: session)
        if case .pace = accessProtocol { try await selectApplication(secure) }
        timings.accessControl = ReadTimings.since(started)

        // 3. Files.
        let filesStarted = ContinuousClock.now
        let channel = RekeyableTransport(secure)
        let reader = FileReader(transport: channel)
        var missing: [LDSFile] = []
        var com: EFCOM?
        var cloneCheck: CloneCheck?
        let deferDG1 = dg1OnlyWithoutDG13 && files.contains(.dg(13)) && files.contains(.dg(1))
        let ordered = deferDG1 ? files.filter { $0 != .dg(1) } : files
        var queue =
            authentication == nil
            ? ordered : Self.chipAuthenticationFirst(ordered, after: deferDG1 ? .dg(13) : .dg(1))
        var next = 0
        while next < queue.count {
            let file = queue[next]
            next += 1
            if let listed = com?.dataGroups, case .dg = file, !listed.contains(file) {
                if deferDG1, file == .dg(13) { queue.insert(.dg(1), at: next) }  // no DG13: DG1 after all
                continue
            }
            do throws(ChipIDError) {
                let bytes: LDSFileBytes
                do {
                    bytes = try await reader.read(file, progress: progress)
                } catch { throw Self.named(error, file) }
                rawFiles[file] = bytes
                if file == .com {
                    do { com = try EFCOM(bytes.bytes) } catch { throw error.about(.com) }
                }
                if file == .dg(14), let options = authentication, options.chipAuthentication {
                    let caStarted = ContinuousClock.now
                    cloneCheck = await ChipAuthenticator.chipAuthentication(
                        dg14: bytes.bytes, channel: channel, plain: counter, random: options.random)
                    timings.cloneCheck = ReadTimings.since(caStarted)
                    // A failed CA leaves no usable channel (the chip cannot follow the new keys): stop reading.
                    if cloneCheck?.outcome == .failed { break }
                    if cloneCheck?.outcome == .error, await Self.isClosed(channel) { break }
                }
            } catch  where error.code == .fileMissing && file != .dg(1) {
                missing.append(file)
                if deferDG1, file == .dg(13) { queue.insert(.dg(1), at: next) }  // no DG13: DG1 after all
            } catch
                where error.code == .cardRefused && error.status == .securityStatusNotSatisfied
                && file != .dg(1) && file != .com
            {
                missing.append(file)  // EAC-protected (DG3/DG4) or otherwise refused: not fatal for optional files
            }
        }
        timings.files = ReadTimings.since(filesStarted) - timings.cloneCheck
        var dg1: DG1?
        if let dg1Bytes = rawFiles[.dg(1)] {
            do { dg1 = try DG1(dg1Bytes.bytes) } catch { throw error.about(.dg(1)) }
        } else if !deferDG1 || rawFiles[.dg(13)] == nil {
            throw ChipIDError(.fileMissing, "DG1 was not read").about(.dg(1))
        }
        // A portrait that does not decode is not fatal: the identity is in DG1/DG13, and DG2's bytes stay in the
        // files Passive Authentication hashes.
        var dg2: DG2?
        var portraitError: ChipIDError?
        if let file = rawFiles[.dg(2)] {
            do { dg2 = try DG2(file.bytes) } catch { portraitError = error.about(.dg(2)) }
        }
        var dg13: CitizenInfo?
        if let file = rawFiles[.dg(13)] {
            do { dg13 = try CitizenInfo(file.bytes) } catch { throw error.about(.dg(13)) }
        }
        var mismatches: [DataMismatch] = []
        if let dg1, let dg13 { mismatches = DataMismatch.crossCheck(mrz: dg1.mrz, citizen: dg13) }
        var authenticity: AuthenticityFindings?
        if let options = authentication {
            authenticity = await authenticate(rawFiles, cloneCheck, channel, options, &timings)
        }
        timings.total = ReadTimings.since(started)
        return ChipRead(
            accessProtocol: accessProtocol, com: com, dg1: dg1, dg2: dg2, dg13: dg13, files: rawFiles,
            missingFiles: missing, mismatches: mismatches, apduCount: await counter.count,
            authenticity: authenticity, timings: timings, portraitError: portraitError)
    }

    /// A file error names its file (malformed, missing, refused); transport errors stay as they are.
    private static func named(_ error: ChipIDError, _ file: LDSFile) -> ChipIDError {
        [.malformedFile, .fileMissing, .cardRefused, .unsupported].contains(error.code) ? error.about(file) : error
    }

    /// AA when CA did not pass and could not, then PA over everything read.
    private func authenticate(
        _ files: [LDSFile: LDSFileBytes], _ chipCheck: CloneCheck?,
        _ channel: RekeyableTransport, _ options: AuthenticationOptions,
        _ timings: inout ReadTimings
    ) async -> AuthenticityFindings {
        var check =
            chipCheck
            ?? CloneCheck(
                method: .none, outcome: .notAvailable,
                detail: "no Chip Authentication in DG14, no DG15")
        let closed = await Self.isClosed(channel)
        let retry = chipCheck == nil || (chipCheck?.outcome == .error && !closed)
        if retry, options.activeAuthentication, let dg15 = files[.dg(15)]?.bytes {
            let aaStarted = ContinuousClock.now
            check = await ChipAuthenticator.activeAuthentication(
                dg15: dg15, dg14: files[.dg(14)]?.bytes,
                channel: channel, random: options.random)
            timings.cloneCheck += ReadTimings.since(aaStarted)
        }
        let paStarted = ContinuousClock.now
        defer { timings.passiveAuthentication = ReadTimings.since(paStarted) }
        do {
            let passive = try PassiveAuthentication.verify(
                files: files.mapValues(\.bytes),
                trustList: options.trustList)
            return AuthenticityFindings(passive: passive, passiveError: nil, cloneCheck: check)
        } catch {
            return AuthenticityFindings(passive: nil, passiveError: error.about(.sod).description, cloneCheck: check)
        }
    }

    /// DG14 right after the identity file (DG1, or DG13 when DG1 is deferred), so Chip Authentication runs early
    /// and the other files are read under its keys; a failed Chip Authentication still leaves the identity read.
    static func chipAuthenticationFirst(_ files: [LDSFile], after anchor: LDSFile = .dg(1)) -> [LDSFile] {
        guard let index = files.firstIndex(of: .dg(14)), let first = files.firstIndex(of: anchor), index > first else {
            return files
        }
        var ordered = files
        ordered.remove(at: index)
        ordered.insert(.dg(14), at: first + 1)
        return ordered
    }

    private static func isClosed(_ channel: RekeyableTransport) async -> Bool {
        guard let secure = await channel.current as? SecureMessagingTransport else { return false }
        return await secure.isClosed
    }

    /// SELECT EF.CardAccess by FID and read it plain; nil when the card has none.
    private func readCardAccess(_ transport: any CardTransport) async throws(ChipIDError) -> LDSFileBytes? {
        var reader = FileReader(transport: transport)
        reader.useShortIDs = false
        do {
            return try await reader.read(.cardAccess)
        } catch  where error.code == .fileMissing || error.code == .cardRefused || error.code == .malformedFile {
            return nil
        }
    }

    private func selectApplication(_ transport: any CardTransport) async throws(ChipIDError) {
        let response = try await BACProtocol.send(FileReader.selectApplication, over: transport)
        guard response.status.isSuccess else {
            throw ChipIDError.status(response.status, doing: "SELECT eMRTD application")
        }
    }
}
