import ArgumentParser
import Foundation
import Messages

/// `stationd simulate ...`: forwarded to `station-simulator` in stationd's own folder, so the shipped daemon does
/// not carry the card simulator. The arguments go through unchanged (`--help` included); the simulator replaces
/// this process (`execv`), so a harness that started `stationd simulate card` stops it by the same PID.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: HelpText.text(.helpDSimulate),
        discussion: """
            Runs station-simulator from stationd's folder with the same arguments, e.g. \
            `stationd simulate card --dataset Devices/cards/nguyen-van-an.json`. A build from source has it; the \
            Debian package does not.
            """,
        subcommands: [SimulateCardForwarder.self]
    )
}

/// `stationd simulate card ...`, as help and completion scripts show it; `Stationd.main()` forwards it before the
/// arguments are parsed, so the simulator's own options and help apply.
struct SimulateCardForwarder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card",
        abstract: HelpText.text(.helpDSimulateCardForwarder),
        discussion: "Options: see `stationd simulate card --help` (station-simulator's)."
    )

    @Argument(parsing: .captureForPassthrough, help: "The simulator's options.") var arguments: [String] = []

    func run() throws { try SimulatorForwarder.forward(["card"] + arguments) }
}

/// Why `stationd simulate` could not start the simulator, with a stable code.
struct SimulatorUnavailable: Error, CustomStringConvertible {
    /// Stable code: the simulator is not installed beside stationd (a production install).
    static let code = "simulate.not_installed"
    /// The path that was looked for.
    let path: String
    /// The system's reason (`errno` text), when the file exists but could not be run.
    let reason: String?

    /// The operator's message.
    var message: Message { Message(.toolSimulatorNotInstalled) }

    var description: String { "\(Self.code): \(path)" + (reason.map { ": \($0)" } ?? "") }
}

enum SimulatorForwarder {
    /// Exit status when the simulator is missing (the shell's "command not found").
    static let notInstalledExit: Int32 = 127

    /// `station-simulator` beside the running stationd (symbolic links resolved, so `/usr/bin/stationd` → its
    /// real folder).
    static func simulatorPath() -> String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("station-simulator")
            .path
    }

    /// Replaces this process with `station-simulator ARGUMENTS`; returns only by throwing (exit 127 and a typed
    /// message on stderr when the simulator is missing or cannot be run).
    static func forward(_ arguments: [String]) throws -> Never {
        let path = simulatorPath()
        var reason: String?
        if FileManager.default.isExecutableFile(atPath: path) {
            let argv = ([path] + arguments).map { strdup($0) } + [nil]
            execv(path, argv)
            reason = String(cString: strerror(errno))
        }
        let error = SimulatorUnavailable(path: path, reason: reason)
        let language = Language(tag: ProcessInfo.processInfo.environment["STATION_LANG"] ?? "vi")
        FileHandle.standardError.write(Data("\(error.message.text(language))\n".utf8))
        FileHandle.standardError.write(Data("\(MessageKey.ctlTechnicalDetail.text(language)): \(error)\n".utf8))
        throw ExitCode(notInstalledExit)
    }
}

extension Stationd {
    /// Forwards `stationd simulate ...` to station-simulator before ArgumentParser sees the arguments (so the
    /// simulator's own help and options apply); every other command runs as usual.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "simulate", arguments.count > 1 {
            do { try SimulatorForwarder.forward(Array(arguments.dropFirst())) } catch { exit(withError: error) }
        }
        await main(nil)
    }
}
