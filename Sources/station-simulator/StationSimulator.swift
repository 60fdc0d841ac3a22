import ArgumentParser
import Messages

/// `station-simulator`: simulated devices for training, the demo and tests. Not in the Debian package; a build
/// from source has it beside `stationd`, which forwards `stationd simulate ...` to it.
@main
struct StationSimulator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station-simulator",
        abstract: HelpText.text(.helpSimStationSimulator),
        discussion: "Also reached as `stationd simulate ...` (stationd runs this program from its own folder).",
        subcommands: [SimulateCardCommand.self]
    )
}

/// Exit codes (the same as stationd's device tools).
enum ExitStatus {
    /// A device or service error (message printed).
    static let deviceError: Int32 = 2
}
