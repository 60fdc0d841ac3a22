import ArgumentParser
import Biometrics
import Foundation
import Messages

/// `stationd fingerprint …`: the USB fingerprint modules, by hand (technicians, demos).
struct FingerprintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: HelpText.text(.helpDFingerprint),
        subcommands: [FingerprintListCommand.self, FingerprintCaptureCommand.self]
    )
}

/// Options shared by the fingerprint commands.
struct FingerprintSourceOptions: ParsableArguments {
    @Option(help: "Directory of device profiles (default: Devices/biometric near the executable).")
    var profiles: String?

    @Option(help: "Use the simulated scanner with these conditions in order (good,dry,wet,partial,smudged,blank).")
    var simulate: String?

    @Flag(help: "Do not use USB scanners.")
    var noUsb = false

    /// The configuration; a bad option is refused in `language`.
    func configuration(seed: String? = nil, language: Language) throws -> BiometricsConfiguration {
        var configuration = BiometricsConfiguration.fromEnvironment()
        if let profiles { configuration.profilesDirectory = URL(fileURLWithPath: profiles) }
        if let simulate {
            let conditions = simulate.split(separator: ",").map(String.init)
            let parsed = conditions.compactMap(SyntheticCondition.init(rawValue:))
            guard parsed.count == conditions.count else {
                let names = SyntheticCondition.allCases.map(\.rawValue).joined(separator: ",")
                throw ValidationError(MessageKey.toolBadSimulate.text(language, ["names": names]))
            }
            configuration.simulator = parsed
        }
        if noUsb { configuration.useUSB = false }
        if let seed {
            guard let value = UInt32(seed.replacingOccurrences(of: "0x", with: ""), radix: 16) else {
                throw ValidationError(MessageKey.toolBadSeed.text(language))
            }
            configuration.seeds = [value]
        }
        return configuration
    }
}

/// `stationd fingerprint list`: supported scanners attached now.
struct FingerprintListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: HelpText.text(.helpDFingerprintList))

    @OptionGroup var source: FingerprintSourceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        bootstrapToolLogging()
        do {
            let station = try FingerprintStation(configuration: try source.configuration(language: output.language))
            let scanners = try await station.scanners()
            if output.json {
                printJSON(["scanners": scanners.map { ["id": $0.id, "name": $0.name, "driver": $0.driver] }])
            } else if scanners.isEmpty {
                print(output.say(.toolNoScanners))
            } else {
                for scanner in scanners { print("\(scanner.id)  \(scanner.name)  [\(scanner.driver)]") }
            }
        } catch let error as BiometricError {
            reportFingerprint(error, output)
            throw ExitCode(ExitStatus.deviceError)
        }
    }
}

/// `stationd fingerprint capture`: one finger, with quality retries, to PNG and/or an ISO 19794-4 record.
struct FingerprintCaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture", abstract: HelpText.text(.helpDFingerprintCapture))

    @OptionGroup var source: FingerprintSourceOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Scanner id from `fingerprint list` (default: the first one).") var device: String?
    @Option(help: "Finger: right-thumb … right-little, left-thumb … left-little.") var finger = "right-index"
    @Option(help: "Write the image as PNG to this file.") var out: String?
    @Option(help: "Write the ISO/IEC 19794-4 record (JPEG 2000 lossless) to this file.") var iso: String?
    @Flag(help: "Write the 2005 edition instead of 2011.") var iso2005 = false
    @Option(help: "Frame-key seed in hex (U.are.U; for replaying recordings).") var seed: String?
    @Option(help: "Quality threshold 0–100.") var threshold = 50
    @Option(help: "Attempts before giving up.") var attempts = 3
    @Option(help: "Seconds to wait for a finger.") var timeout = 30
    @Option(help: "Seconds to wait for the finger to be lifted after an image (a finger left on keeps the image).")
    var removalTimeout = 10

    func run() async throws {
        bootstrapToolLogging()
        guard let position = FingerPositionCode(name: finger) else {
            throw ValidationError(output.say(.toolUnknownFinger, ["finger": finger]))
        }
        do {
            var configuration = try source.configuration(seed: seed, language: output.language)
            configuration.policy = CapturePolicy(
                threshold: threshold, maxAttempts: attempts,
                fingerTimeout: .seconds(timeout),
                removalTimeout: .seconds(removalTimeout))
            configuration.edition = iso2005 ? .iso2005 : .iso2011
            let station = try FingerprintStation(configuration: configuration)
            let owner = ClaimOwner(session: "cli-\(getpid())", pid: getpid())
            let lang = output
            if !output.json { print(output.say(.toolPlaceFinger)) }
            // The flow returns with the image and its quality; the ISO record is still encoding on the station's
            // record thread and is awaited only where it is needed (the file, the hash).
            let pending = try await station.beginCapture(
                for: owner, deviceID: device,
                finger: position
            ) { advice in
                if !lang.json {
                    for item in advice { print(item.message.text(lang.language)) }
                }
            }
            let outcome = pending.outcome
            if let out { try Data(PNGCodec.encode(outcome.image)).write(to: URL(fileURLWithPath: out)) }
            let capture = try await pending.record()
            if let iso { try Data(capture.isoRecord).write(to: URL(fileURLWithPath: iso)) }
            if output.json {
                printJSON([
                    "device": capture.deviceID, "finger": finger, "quality": capture.quality,
                    "attempts": outcome.attempts, "meetsThreshold": outcome.meetsThreshold,
                    "fingerLifted": outcome.fingerLifted,
                    "timestamp": capture.timestampISO8601, "hash": capture.hash,
                    "previousHash": capture.previousHash,
                ])
            } else {
                print(
                    output.say(
                        .toolCaptureResult,
                        [
                            "quality": "\(capture.quality)", "attempts": "\(outcome.attempts)",
                            "device": capture.deviceID, "hash": capture.hash,
                        ]))
                if !outcome.meetsThreshold { print(output.say(.toolBelowThreshold)) }
                if !outcome.fingerLifted { print(output.say(.toolFingerNotLifted)) }
            }
            await station.endSession(owner.session)
        } catch let error as BiometricError {
            reportFingerprint(error, output)
            throw ExitCode(ExitStatus.deviceError)
        }
    }
}

/// Prints a fingerprint error for a person (text) or a program (JSON).
func reportFingerprint(_ error: BiometricError, _ output: OutputOptions) {
    if output.json {
        printJSON(["error": error.code.rawValue, "reason": error.reason])
    } else {
        let message = error.operatorMessage(Language(tag: output.lang)) + " (\(error.code))\n"
        FileHandle.standardError.write(Data(message.utf8))
    }
}
