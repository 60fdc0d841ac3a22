import ArgumentParser
import ChipID
import Foundation
import Messages
import SecretInput
import Simulation
import SmartCard

/// `stationd simulate card`: a card connected to vpcd, so it appears in a real PC/SC reader.
struct SimulateCardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card",
        abstract: HelpText.text(.helpSimSimulateCard),
        discussion: """
            The card connects to vpcd (vsmartcard's reader driver inside pcscd) and stays inserted until this \
            process ends (SIGTERM or Ctrl-C removes it). If pcscd restarts, the card reconnects by itself.
            Without --dataset or --lds it is the demo card. --dataset FILE is a simulated CCCD built from a data set \
            (Devices/cards/*.json; PACE with the CAN or the MRZ, and BAC). --lds DIR --mrz MRZ is an eMRTD from raw \
            LDS files (EF_COM.bin, Datagroup1.bin, EF_SOD.bin, EF_CardAccess.bin or ef011E.bin / 011E); without \
            EF.CardAccess it is BAC-only.
            """
    )

    @Option(help: "vpcd host.") var host = "127.0.0.1"
    @Option(help: "vpcd port: 35963 is 'Virtual PCD 00 00', 35964 is '00 01'.") var port: UInt16 = 35963
    @Option(
        help: ArgumentHelp(
            "Misbehave on purpose: garbage (no status word), truncated (answer cut short, then "
                + "removed), mute, or bad-mac[:N] (eMRTD cards: tamper the MAC of protected response N, default 3)."))
    var fault: String?
    @Option(help: "Simulate a CCCD built from this data set (JSON, Devices/cards/).") var dataset: String?
    @Option(help: "Test PKI folder for --dataset (default: the 'pki' folder next to the data set).") var pki: String?
    @Option(help: "Simulate an eMRTD from this folder of raw LDS files.") var lds: String?
    @Option(
        help: ArgumentHelp(
            SecretField.mrz.argumentHelp(
                "The MRZ of the --lds document (TD1 or TD3; lines "
                    + "separated by newlines or run together), or a file holding it."))) var mrz: String?
    @Option(help: ArgumentHelp(SecretField.mrz.fileHelp)) var mrzFile: String?
    @Option(
        help: ArgumentHelp(
            SecretField.can.argumentHelp(
                "The CAN of the --lds document (default: last 6 digits of a CCCD's ID number)."))) var can: String?
    @Option(help: ArgumentHelp(SecretField.can.fileHelp)) var canFile: String?
    @Option(
        help: ArgumentHelp(
            "ATR: cccd (the real chip's, short APDUs) or extended (extended length). "
                + "Default: cccd for --dataset, extended otherwise.")) var atr: String?
    @Option(help: "Send responses longer than N bytes in pieces with 61xx / GET RESPONSE.")
    var getResponseChunk: Int?
    @Flag(help: "Answer GET CHALLENGE with Le other than 8 by 6C08.") var strictLe = false
    @Option(help: "Answer SELECT MF with this status word, e.g. 6D00 as the real CCCD does.")
    var selectMfStatus: String?
    @Option(
        help: ArgumentHelp(
            "Answer READ BINARY past the end of a file with this status word and no data (e.g. "
                + "6700: a strict card); default: the bytes that exist with 6282."))
    var readPastEndStatus: String?
    @Option(help: "Remove the card and exit when the process with this PID ends (used by test harnesses).")
    var watchPid: Int32?
    @Flag(
        help: ArgumentHelp(
            "--dataset negative case: DG13 changed after EF.SOD was signed (hash mismatch). "
                + "Other cases: --pki Devices/cards/pki/untrusted-csca or .../expired-ds.")) var alterDg13 = false
    @Flag(help: "--dataset negative case: a clone whose DG14/DG15 keys do not match its private keys (CA/AA fail).")
    var clone = false
    @Flag(help: "--dataset: no Chip/Active Authentication (static DG14/DG15 without private keys, as before).")
    var noChipAuthentication = false
    @Flag(help: "--dataset: DG14 offers no Chip Authentication, so a reader runs Active Authentication (DG15).")
    var activeAuthenticationOnly = false
    @Option(
        help: ArgumentHelp(
            "--dataset negative case: this file does not parse (com, dg1, dg2, dg13, dg14, dg15 or "
                + "sod); EF.SOD is signed over it, so Passive Authentication still covers it."))
    var malformed: String?
    @Option(
        help: ArgumentHelp(
            "Answer no sooner than a real contactless chip: contactless (defaults) or "
                + "contactless:bitrate=106000,overhead_ms=2,ec_ms=50,rsa_ms=250 (see ContactlessTiming for each figure's source)."
        ))
    var timing: String?

    func validate() throws {
        if let timing, ContactlessTiming(parsing: timing) == nil {
            throw ValidationError("--timing is contactless or contactless:bitrate=N,overhead_ms=N,ec_ms=N,rsa_ms=N")
        }
        if dataset != nil && lds != nil { throw ValidationError("--dataset and --lds exclude each other") }
        if lds != nil && mrz == nil && mrzFile == nil {
            throw ValidationError("--lds needs the document's MRZ (--mrz-file FILE)")
        }
        if let atr, !["cccd", "extended"].contains(atr) { throw ValidationError("--atr is cccd or extended") }
        if let fault, CardBehaviour.Fault(rawValue: fault) == nil, emrtdFault == nil {
            throw ValidationError(
                "--fault must be one of: \(CardBehaviour.Fault.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let malformed, CCCDVariant.file(named: malformed) == nil {
            throw ValidationError(
                "--malformed takes one of: "
                    + CCCDVariant.malformableFiles.map(CCCDVariant.optionName).joined(separator: ", "))
        }
        if malformed != nil && dataset == nil { throw ValidationError("--malformed needs --dataset") }
        if let selectMfStatus, UInt16(selectMfStatus, radix: 16) == nil {
            throw ValidationError("--select-mf-status takes 4 hex digits, e.g. 6D00")
        }
        if let readPastEndStatus, UInt16(readPastEndStatus, radix: 16) == nil {
            throw ValidationError("--read-past-end-status takes 4 hex digits, e.g. 6700")
        }
    }

    func run() throws {
        let behaviour = CardBehaviour(
            getResponseChunk: getResponseChunk, strictLe: strictLe,
            selectMasterFileStatus: selectMfStatus.flatMap { UInt16($0, radix: 16) }.map(StatusWord.init),
            readPastEndStatus: readPastEndStatus.flatMap { UInt16($0, radix: 16) }.map(StatusWord.init),
            fault: fault.flatMap(CardBehaviour.Fault.init(rawValue:)))
        let card: ISO7816Card
        do {
            card = try makeCard(behaviour: behaviour)
        } catch {
            FileHandle.standardError.write(Data("cannot build the simulated card: \(error)\n".utf8))
            throw ExitCode(ExitStatus.deviceError)
        }
        let timed: any SimulatedCard =
            timing.flatMap(ContactlessTiming.init(parsing:)).map {
                ContactlessTimedCard(card, timing: $0)
            } ?? card
        let link = VPCDLink(card: timed, host: host, port: port)
        let endpoint = "\(host):\(port)"
        link.onConnectionChange = { connected in
            print(
                connected
                    ? "card inserted (connected to vpcd at \(endpoint))"
                    : "card removed (vpcd at \(endpoint) closed the connection); reconnecting")
            fflush(nil)
        }
        print("simulated card waiting for vpcd at \(endpoint), ATR \(card.atr.hexString)")
        fflush(nil)
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler {
                link.stop()
                print("card removed (stopped)")
                fflush(nil)
                Foundation.exit(0)
            }
            source.resume()
            SignalSources.keep(source)
        }
        if let watchPid {
            Thread.detachNewThread {
                while kill(watchPid, 0) == 0 || errno == EPERM { usleep(500_000) }
                link.stop()
                Foundation.exit(0)
            }
        }
        link.run()
    }
}

extension SimulateCardCommand {
    /// The eMRTD fault named by --fault, if it is one.
    var emrtdFault: EMRTDFault? {
        guard let fault, fault == "bad-mac" || fault.hasPrefix("bad-mac:") else { return nil }
        let number = fault == "bad-mac" ? 3 : Int(fault.dropFirst("bad-mac:".count))
        return number.map { .badResponseMAC(atResponse: $0) }
    }

    /// The demo card, a data-set CCCD or an LDS-folder eMRTD.
    func makeCard(behaviour: CardBehaviour) throws -> ISO7816Card {
        var cardBehaviour = behaviour
        if behaviour.selectMasterFileStatus == nil, dataset != nil || lds != nil {
            cardBehaviour.selectMasterFileStatus = EMRTDCard.cccdBehaviour.selectMasterFileStatus
        }
        if let dataset {
            let atrBytes = atr == "extended" ? ISO7816Card.defaultATR : EMRTDCard.cccdATR
            return try SimulatedCCCD.make(
                dataSet: URL(fileURLWithPath: dataset),
                pkiDirectory: pki.map { URL(fileURLWithPath: $0) }, atr: atrBytes,
                behaviour: cardBehaviour, fault: emrtdFault,
                variant: CCCDVariant(
                    alterDG13AfterSigning: alterDg13, clone: clone,
                    chipAuthentication: !noChipAuthentication,
                    malformed: malformed.flatMap(CCCDVariant.file),
                    activeAuthenticationOnly: activeAuthenticationOnly)
            ).card
        }
        if let lds, let mrz = try SecretInput.read(.mrz, argument: mrz, file: mrzFile) {
            let can = try SecretInput.read(.can, argument: can, file: canFile)
            let atrBytes = atr == "cccd" ? EMRTDCard.cccdATR : ISO7816Card.defaultATR
            return try SimulatedCCCD.make(
                ldsDirectory: URL(fileURLWithPath: lds), mrz: SimulatedCCCD.mrz(from: mrz),
                can: can, atr: atrBytes, behaviour: cardBehaviour, fault: emrtdFault
            ).card
        }
        return DemoCard.make(behaviour: behaviour)
    }
}

/// Keeps signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    static func keep(_ source: DispatchSourceSignal) { sources.append(source) }
}
