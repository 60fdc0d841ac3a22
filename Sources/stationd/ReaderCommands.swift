import ArgumentParser
import Foundation
import Messages
import SmartCard

/// `stationd readers`: the readers pcscd knows and the cards in them.
struct ReadersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readers", abstract: HelpText.text(.helpDReaders))

    @OptionGroup var output: OutputOptions

    func run() async throws {
        bootstrapToolLogging()
        let monitor = CardReaders().events()
        defer { monitor.stop() }
        // The monitor's first pass reports every reader and card present; collect until it goes quiet.
        var readers: [String] = []
        var cards: [String: ATR] = [:]
        var failure: SmartCardError?
        for await event in monitor.withTimeout(seconds: 0.6) {
            switch event {
            case .readerAdded(let name): readers.append(name)
            case .cardInserted(let reader, let atr): cards[reader] = atr
            case .serviceUnavailable(let error): failure = error
            default: break
            }
            if failure != nil { break }
        }
        if let failure {
            report(failure, output)
            throw ExitCode(ExitStatus.deviceError)
        }
        if output.json {
            printJSON([
                "readers": readers.map { name -> [String: Any] in
                    var entry: [String: Any] = ["name": name, "cardPresent": cards[name] != nil]
                    if let atr = cards[name] { entry["card"] = atrJSON(atr) }
                    return entry
                }
            ])
            return
        }
        if readers.isEmpty {
            print(output.say(.toolNoReaders))
            return
        }
        for (index, name) in readers.enumerated() {
            if let atr = cards[name] {
                print(
                    output.say(.toolReaderWithCard, ["index": "\(index)", "name": name, "atr": describe(atr, output)]))
            } else {
                print(output.say(.toolReaderWithoutCard, ["index": "\(index)", "name": name]))
            }
        }
    }
}

/// `stationd events`: reader and card events as they happen.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: HelpText.text(.helpDEvents))

    @OptionGroup var output: OutputOptions
    @Option(help: "Stop after this many events.") var count: Int?
    @Option(help: "Stop after this many seconds.") var seconds: Double?

    func run() async throws {
        bootstrapToolLogging()
        let monitor = CardReaders().events()
        defer { monitor.stop() }
        var seen = 0
        let stream: AsyncStream<ReaderEvent> =
            seconds.map { monitor.withTimeout(seconds: $0, resetOnEvent: false) }
            ?? AsyncStream { continuation in
                let task = Task {
                    for await event in monitor { continuation.yield(event) }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        for await event in stream {
            if output.json {
                printJSON(eventJSON(event))
            } else {
                print("[\(timestamp())] \(describe(event, output))")
            }
            fflush(nil)
            seen += 1
            if let count, seen >= count { break }
        }
    }

    private func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SSS"
        return formatter.string(from: Date())
    }
}

/// `stationd card ...`: by-hand card operations.
struct CardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card", abstract: HelpText.text(.helpDCard),
        subcommands: [CardAPDUCommand.self, CardReadCommand.self])
}

/// `stationd card apdu`: send APDUs and print the answers.
struct CardAPDUCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apdu",
        abstract: HelpText.text(.helpDCardApdu),
        discussion: "Each APDU is hex, e.g. '00 A4 04 0C 08 F0 53 54 41 54 49 4F 4E'. They run in one transaction.")

    @OptionGroup var output: OutputOptions
    @Option(help: "Reader name (default: the first reader with a card).") var reader: String?
    @Flag(help: "Connect exclusively.") var exclusive = false
    @Argument(help: "APDUs in hex.") var apdus: [String]

    func validate() throws {
        for apdu in apdus {
            guard let bytes = [UInt8](hex: apdu), (try? CommandAPDU(bytes: bytes)) != nil else {
                throw ValidationError(output.say(.toolBadAPDU, ["apdu": apdu]))
            }
        }
    }

    func run() async throws {
        bootstrapToolLogging()
        let readers = CardReaders()
        do {
            let name: String
            if let reader { name = reader } else { name = try await firstReaderWithCard() }
            let connection = try await readers.connect(reader: name, share: exclusive ? .exclusive : .shared)
            let worst = try await connection.withTransaction { () async throws -> Int32 in
                var worst: Int32 = 0
                for apdu in apdus {
                    let command = try CommandAPDU(bytes: [UInt8](hex: apdu)!)
                    let response = try await connection.transmit(command)
                    if output.json {
                        printJSON([
                            "command": command.bytes.hexString, "data": response.data.hexString,
                            "sw": String(format: "%04X", response.status.value), "status": response.status.name,
                        ])
                    } else {
                        print("> \(command.bytes.hexString)")
                        if !response.data.isEmpty { print("< \(response.data.hexString)") }
                        print("< \(String(format: "%04X", response.status.value)) \(response.status.name)")
                    }
                    if !response.status.isSuccess { worst = ExitStatus.cardStatus }
                }
                return worst
            }
            try await connection.disconnect()
            if worst != 0 { throw ExitCode(worst) }
        } catch let error as SmartCardError {
            report(error, output)
            throw ExitCode(ExitStatus.deviceError)
        }
    }

    private func firstReaderWithCard() async throws -> String {
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
}

// MARK: - Presentation

func report(_ error: SmartCardError, _ output: OutputOptions) {
    if output.json {
        printJSON(["error": ["code": error.code.rawValue, "message": error.operatorMessage(language: output.lang)]])
    } else {
        FileHandle.standardError.write(Data((error.operatorMessage(language: output.lang) + " [\(error.code)]\n").utf8))
    }
}

func describe(_ atr: ATR, _ output: OutputOptions) -> String {
    let protocols = atr.protocols.filter { $0 != 15 }.map { "T=\($0)" }.joined(separator: ", ")
    let length = output.say(atr.supportsExtendedLength ? .toolATRExtended : .toolATRShort)
    return "ATR \(atr.bytes.hexString) (\(protocols); \(length))"
}

func describe(_ event: ReaderEvent, _ output: OutputOptions) -> String {
    switch event {
    case .readerAdded(let name): output.say(.toolEventReaderAdded, ["name": name])
    case .readerRemoved(let name): output.say(.toolEventReaderRemoved, ["name": name])
    case .cardInserted(let reader, let atr):
        output.say(.toolEventCardInserted, ["reader": reader, "atr": describe(atr, output)])
    case .cardRemoved(let reader): output.say(.toolEventCardRemoved, ["reader": reader])
    case .serviceUnavailable(let error):
        output.say(.toolEventServiceLost, ["message": error.operatorMessage(language: output.lang)])
    case .serviceRestored: output.say(.toolEventServiceRestored)
    }
}

func atrJSON(_ atr: ATR) -> [String: Any] {
    ["atr": atr.bytes.hexString, "protocols": atr.protocols, "extendedLength": atr.supportsExtendedLength]
}

func eventJSON(_ event: ReaderEvent) -> [String: Any] {
    var object: [String: Any] = ["time": ISO8601DateFormatter().string(from: Date())]
    switch event {
    case .readerAdded(let name):
        object["event"] = "readerAdded"
        object["reader"] = name
    case .readerRemoved(let name):
        object["event"] = "readerRemoved"
        object["reader"] = name
    case .cardInserted(let reader, let atr):
        object["event"] = "cardInserted"
        object["reader"] = reader
        object["card"] = atrJSON(atr)
    case .cardRemoved(let reader):
        object["event"] = "cardRemoved"
        object["reader"] = reader
    case .serviceUnavailable(let error):
        object["event"] = "serviceUnavailable"
        object["code"] = error.code.rawValue
    case .serviceRestored: object["event"] = "serviceRestored"
    }
    return object
}
