import Foundation

/// A folder of raw LDS files, named by file identifier (`011D`, `ef011D.bin`) or as in the public reference
/// sets (`EF_SOD.bin`, `EF_COM.bin`, `Datagroup13.bin`, `DG13.bin`).
public enum LDSFolder {
    /// The file a name stands for, or nil.
    public static func file(named name: String) -> LDSFile? {
        var stem = name.lowercased()
        if let dot = stem.lastIndex(of: "."), stem[dot...].count <= 5 { stem = String(stem[..<dot]) }
        stem = stem.replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ".", with: "")
            .replacingOccurrences(of: "-", with: "")
        if stem.hasPrefix("ef") { stem.removeFirst(2) }
        switch stem {
        case "sod": return .sod
        case "com": return .com
        case "cardaccess": return .cardAccess
        default: break
        }
        for prefix in ["datagroup", "dg"] where stem.hasPrefix(prefix) {
            if let number = Int(stem.dropFirst(prefix.count)), (1...16).contains(number) { return .dg(number) }
        }
        if stem.count == 4, let fid = UInt16(stem, radix: 16) {
            return LDSFile.allCases.first { $0.fileID == fid }
        }
        return nil
    }

    /// Reads every recognised file of `url`. Throws `unreadableInput` when the folder cannot be listed, a file
    /// cannot be read, or no EF.SOD is there.
    public static func load(_ url: URL) throws(ChipIDError) -> [LDSFile: [UInt8]] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() } catch {
            throw ChipIDError(.unreadableInput, "LDS folder cannot be listed: \(url.path)")
        }
        var files: [LDSFile: [UInt8]] = [:]
        for name in names {
            guard let file = file(named: name) else { continue }
            guard let data = FileManager.default.contents(atPath: url.appendingPathComponent(name).path) else {
                throw ChipIDError(.unreadableInput, "cannot read \(name)")
            }
            guard files[file] == nil else { throw ChipIDError(.unreadableInput, "\(file) given twice (\(name))") }
            files[file] = [UInt8](data)
        }
        guard files[.sod] != nil else { throw ChipIDError(.unreadableInput, "no EF.SOD in \(url.path)") }
        return files
    }
}

/// Timing of Passive Authentication itself (hashing, signature, chain), for budgets and `make bench`.
public enum PassiveAuthenticationBenchmark {
    /// One measurement.
    public struct Result: Sendable, CustomStringConvertible {
        /// Runs timed.
        public var iterations: Int
        /// Median wall time of one PA, milliseconds.
        public var medianMilliseconds: Double
        /// Slowest run, milliseconds.
        public var maxMilliseconds: Double
        /// The verdict of the last run (so the work cannot be optimised away).
        public var verdict: PassiveAuthenticationVerdict

        public var description: String {
            "Passive Authentication: median \(String(format: "%.2f", medianMilliseconds)) ms, max "
                + "\(String(format: "%.2f", maxMilliseconds)) ms over \(iterations) runs"
        }
    }

    /// Times `iterations` complete PAs (SOD parse, DG hashes, signature, chain) over `files`.
    public static func run(
        files: [LDSFile: [UInt8]], trustList: CSCATrustList = CSCATrustList(),
        iterations: Int = 20
    ) throws(ChipIDError) -> Result {
        var times: [Double] = []
        var last: PassiveAuthenticationVerdict?
        for _ in 0..<max(1, iterations) {
            let start = ContinuousClock.now
            last = try PassiveAuthentication.verify(files: files, trustList: trustList)
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        times.sort()
        return Result(
            iterations: times.count, medianMilliseconds: times[times.count / 2],
            maxMilliseconds: times.last ?? 0, verdict: last!)
    }

    /// Times PA over an LDS folder (e.g. the BSI TR-03105-5 set).
    public static func run(
        folder: URL, trustList: CSCATrustList = CSCATrustList(),
        iterations: Int = 20
    ) throws(ChipIDError) -> Result {
        try run(files: LDSFolder.load(folder), trustList: trustList, iterations: iterations)
    }
}
