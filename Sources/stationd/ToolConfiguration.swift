import ArgumentParser
import Foundation
import Station

/// The configuration `stationd`'s by-hand tools (`store`, `keys`) work on: `--config FILE`, else the installed
/// default when it exists, else the built-in defaults. A configuration with problems prints each one and exits 78
/// (EX_CONFIG), as `stationd run` does.
enum ToolConfiguration {
    static func load(_ config: String?) throws -> StationConfiguration {
        let file =
            config
            ?? (FileManager.default.fileExists(atPath: DaemonCommand.defaultFile) ? DaemonCommand.defaultFile : nil)
        do {
            return try StationConfiguration.load(file: file)
        } catch {
            for problem in error.errors {
                FileHandle.standardError.write(Data("stationd: configuration: \(problem)\n".utf8))
            }
            throw ExitCode(78)
        }
    }
}
