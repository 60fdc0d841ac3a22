import ArgumentParser
import Foundation
import Logging
import Messages
import Station

/// `stationd run`: the station daemon (systemd `Type=notify`), serving the control socket.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: HelpText.text(.helpDDaemon),
        discussion: """
            Configuration: --config FILE (default /etc/stationd/stationd.conf when it exists), then STATIOND_*
            environment overrides (see Devices/config/stationd.conf.example). Exit codes: 0 stopped on
            SIGTERM/SIGINT, 1 failed to start or run, 78 invalid configuration (every problem is printed with
            its key and line).
            """)

    @Option(help: "Configuration file.") var config: String?
    @Flag(help: "Validate the configuration, print the effective values and exit.") var checkConfig =
        false

    static let defaultFile = "/etc/stationd/stationd.conf"

    func run() async throws {
        let file =
            config ?? (FileManager.default.fileExists(atPath: Self.defaultFile) ? Self.defaultFile : nil)
        let configuration: StationConfiguration
        do {
            configuration = try StationConfiguration.load(file: file)
        } catch {
            for problem in error.errors {
                FileHandle.standardError.write(Data("<3>stationd: configuration: \(problem)\n".utf8))
            }
            throw ExitCode(78)
        }
        if checkConfig {
            print("configuration OK: \(file ?? "(defaults)")")
            for key in ConfigurationKey.all {
                print("\(key.name) (\(configuration.sources[key.name] ?? "default"))")
            }
            let anchors = configuration.trustList.certificates.count
            print(
                "trust anchors: \(anchors) CSCA"
                    + (anchors == 0 ? " (none installed: card chains are \"unknown\")" : "")
                    + configuration.trustList.sources.map { "\n  \($0)" }.joined())
            return
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { JournalLogHandler(label: $0, level: level) }
        let logger = Logger(label: "stationd")
        do {
            try await StationDaemon.run(configuration: configuration, logger: logger)
        } catch {
            logger.critical("stationd failed", metadata: ["error": "\(Self.code(of: error))"])
            let english = ProcessInfo.processInfo.environment["STATION_LANG"] == "en"
            for line in StartupAdvice.lines(for: error, english: english) ?? [] {
                FileHandle.standardError.write(Data("<3>stationd: \(line)\n".utf8))
            }
            throw ExitCode(1)
        }
    }

    /// A loggable description of a start-up failure (error codes only; module errors carry no personal data).
    static func code(of error: any Error) -> String { String(describing: error) }
}
