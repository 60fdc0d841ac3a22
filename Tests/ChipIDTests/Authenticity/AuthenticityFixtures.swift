import Foundation

@testable import ChipID

/// Reference sets for the authenticity tests (skipped with a message when `../shared/fixtures` is missing).
enum AuthenticityFixtures {
    /// The BSI TR-03105-5 folder, or nil.
    static var bsiFolder: URL? { fixturesFolder("lds/bsi-tr03105-5") }

    /// The BSI TR-03105-5 files by LDS file, or nil.
    static var bsiFiles: [LDSFile: [UInt8]]? {
        guard let folder = bsiFolder else { return nil }
        return try? LDSFolder.load(folder)
    }

    /// The Netherlands' master list of 2021-12-07, or nil.
    static var netherlandsMasterList: [UInt8]? { fixture("lds/masterlist", "NL_MASTERLIST_20211207.mls") }

    /// The SOD hashes ICAO-VECTORS.md §7.5/§9 lists for the TR-03105-5 LDSSecurityObject (published data).
    static let bsiHashes: [Int: String] = [
        1: "4170CA879FCE6A22FFEF1567FF88079F415C66EAD250AB5F23781AC2CDBF42B6",
        2: "A9A1B09DFD598087AB3FCE4AE2EC65B1A1525BD258BFC27DF4419F8A65E54745",
        3: "403E4D17C26EBC832411898161D8FD5D99C58EE865CB3759B529AA782C7EDE00",
        14: "CF5004FFCCD64E1A8BD3A42FD53814EC3D4481640BE1906D0ECFEB016EF6A6AE",
        4: "4C7A0F0DDAA473123834F1B0713ED9453D1D1D58BCE447FB1736D40A0761C17B",
    ]

    /// A fresh temporary folder (removed by the caller).
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("chipid-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a command line tool; returns exit status, stdout and stderr.
    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], input: [UInt8]? = nil, in directory: URL? = nil,
        environment: [String: String]? = nil
    ) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        if input != nil { process.standardInput = inputPipe }
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input))
            try inputPipe.fileHandleForWriting.close()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: outData, as: UTF8.self),
            String(decoding: errData, as: UTF8.self)
        )
    }

    /// The `openssl` command line tool, or nil (with a message).
    static var openssl: String? {
        let candidates = ["/usr/bin/openssl", "/usr/local/bin/openssl"]
        if let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return path }
        print("ChipIDTests: openssl command line tool missing; skipping the OpenSSL cross-checks")
        return nil
    }
}
