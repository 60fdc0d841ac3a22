import ArgumentParser
import Foundation
import Messages
import Station

#if canImport(Glibc)
    import Glibc
#endif

/// `stationd store`: repairing the application store by hand (the daemon stopped).
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: HelpText.text(.helpDStore),
        subcommands: [Reinitialize.self])

    /// `stationd store reinitialize --i-understand-data-loss`.
    struct Reinitialize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reinitialize",
            abstract: HelpText.text(.helpDReinitialize),
            discussion: """
                For a supervisor, when `stationd run` refuses to start with queue.store_missing or
                queue.store_damaged and no backup can be restored. The old database, its WAL and the key file are
                not deleted: they are renamed with the suffix .retired-YYYYMMDDTHHMMSS beside the originals. The new
                store's audit log starts with a `store_reinitialized` entry naming who ran it (the sudo user) and
                the problem code. Refused while a daemon runs on the same state directory. Run as root (sudo) or
                as the stationd user. Exit codes: 0 done, 1 refused or failed, 64 without the confirmation flag.
                """)

        @Option(help: "Configuration file.") var config: String?
        @Flag(name: .customLong("i-understand-data-loss"), help: "Confirm: applications not uploaded are lost.")
        var confirmed = false

        func run() throws {
            guard confirmed else {
                // Both languages: the supervisor repairing a store may have either.
                let required = MessageKey.toolStoreConfirmRequired
                FileHandle.standardError.write(
                    Data((required.text(.vietnamese) + "\n" + required.text(.english) + "\n").utf8))
                throw ExitCode(64)
            }
            let configuration = try ToolConfiguration.load(config)
            let environment = ProcessInfo.processInfo.environment
            let person =
                environment["SUDO_USER"]
                ?? (getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) }
                    ?? "uid:\(getuid())")
            do {
                let moved = try StoreMaintenance.reinitialize(configuration, by: person, uid: getuid())
                let made = MessageKey.toolStoreReinitialized
                print(made.text(.vietnamese) + " / " + made.text(.english) + ":")
                for path in moved { print("  \(path)") }
            } catch {
                FileHandle.standardError.write(Data("stationd: \(error)\n".utf8))
                for line in StartupAdvice.lines(for: error)?.dropFirst() ?? [] {
                    FileHandle.standardError.write(Data("stationd: \(line)\n".utf8))
                }
                throw ExitCode(1)
            }
        }
    }
}
