import CentralAPI
import CentralEvidence
import ChipID
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

// central-receiver: a stand-in for C06 on loopback (plain HTTP; requests are Ed25519-signed, items HPKE-sealed).
//
//   central-receiver serve --data DIR [--host 127.0.0.1] [--port 0] [--token T]... [--population CSV] [--approval-delay S]
//       [--activation-delay S] [--activation-rate R] [--error-rate R] [--latency-ms N] [--drop-rate R]
//       [--partial-ack-rate R] [--bytes-per-second N] [--retry-after S] [--part-max-age S] [--bad-signature-rate R]
//   central-receiver import --data DIR EXPORT_DIR
//   central-receiver provision --data DIR --station ID --endpoint URL --out FILE [--tls-ca PEM] [--valid-days N]
//   central-receiver fingerprint --data DIR
//
// `serve` prints `central fingerprint: HEX` (what a station's technician confirms at enrollment), then
// `listening on port N` once bound; `fingerprint` prints the fingerprint only. Admin routes answer loopback only
// (and each `--admin-peer IP`, e.g. the bench's side of a veth link).

/// The usage `--help` prints (exit 0), and a wrong command line prints to standard error (exit 2).
let usage = """
    USAGE: central-receiver serve --data DIR [--host 127.0.0.1] [--port 0] [--token T]... [--population CSV]
               [--tls-cert PEM --tls-key PEM] [--approval-delay S] [--activation-delay S] [--activation-rate R]
               [--error-rate R] [--latency-ms N] [--drop-rate R] [--partial-ack-rate R] [--bytes-per-second N]
               [--retry-after S] [--part-max-age S] [--trust DIR] [--masterlist FILE] [--deliver-masterlist FILE]
           central-receiver import --data DIR EXPORT_DIR
           central-receiver provision --data DIR --station ID --endpoint URL --out FILE [--tls-ca PEM]
               [--valid-days 30]
           central-receiver --help

    A stand-in for the central server (C06) for tests, training and demonstrations: it enrolls stations, takes
    their signed uploads and exported batches, and answers status like the central would. Not part of a station.

    serve   Listen on HOST:PORT (plain HTTP, or TLS with --tls-cert/--tls-key); prints `listening on port N`.
    import  Import a folder written by `stationctl export --to DIR`; exit 1 if any item is refused.
    provision
            Write a provisioning file for one station (offline enrollment: `stationctl enroll --from-file`): the
            central's keys, the endpoint, the TLS CA (--tls-ca) and a fresh one-time token, each field signed;
            0600, never over an existing file. Prints the central's fingerprint and the file's id, never the token.

    OPTIONS:
      --data DIR             Folder of the receiver's store (created if missing). Required.
      --token T              An enrollment token stations may use (repeatable).
      --population CSV       The stand-in population database (Devices/central/population.csv).
      --trust DIR            CSCA trust anchors (certificates, CRLs, master lists): every packet's chip evidence
                             is re-verified (Passive Authentication, CA/AA transcript); a failing or missing one is
                             refused with CHIP_EVIDENCE_INVALID.
      --masterlist FILE      An ICAO CSCA master list (signature verified) added to the anchors.
      --deliver-masterlist FILE
                             An ICAO CSCA master list every status answer delivers to the stations, signed
                             with the receiver's signing key (`POST /admin/masterlist` replaces it at run time).
      -h, --help             Show this help.

    """

if CommandLine.arguments.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" })
    || CommandLine.arguments.dropFirst().first == "help"
{
    print(usage, terminator: "")
    exit(0)
}

let (command, options, positional) = { () -> (String, [String: [String]], [String]) in
    var arguments = Array(CommandLine.arguments.dropFirst())
    let command = arguments.isEmpty ? "serve" : arguments.removeFirst()
    var options: [String: [String]] = [:]
    var positional: [String] = []
    while !arguments.isEmpty {
        let argument = arguments.removeFirst()
        if argument.hasPrefix("--"), !arguments.isEmpty {
            options[String(argument.dropFirst(2)), default: []].append(arguments.removeFirst())
        } else {
            positional.append(argument)
        }
    }
    return (command, options, positional)
}()
func option(_ name: String) -> String? { options[name]?.last }
func number(_ name: String, _ fallback: Double) -> Double { option(name).flatMap(Double.init) ?? fallback }

guard let dataDirectory = option("data") else {
    FileHandle.standardError.write(Data("central-receiver: --data DIR is required\n\n\(usage)".utf8))
    exit(2)
}
let store = try ReceiverStore(directory: dataDirectory, tokens: options["token"] ?? [])
var initialFaults = Faults()
initialFaults.errorRate = number("error-rate", 0)
initialFaults.latencyMilliseconds = Int(number("latency-ms", 0))
initialFaults.dropRate = number("drop-rate", 0)
initialFaults.partialAckRate = number("partial-ack-rate", 0)
initialFaults.bytesPerSecond = Int(number("bytes-per-second", 0))
initialFaults.retryAfterSeconds = Int(number("retry-after", 0))
initialFaults.badSignatureRate = number("bad-signature-rate", 0)
let core = ReceiverCore(
    store: store, population: try Population(path: option("population")), faults: initialFaults,
    approvalDelay: number("approval-delay", 1), activationDelay: number("activation-delay", 1),
    activationRate: number("activation-rate", 0.5), partMaxAge: number("part-max-age", 86_400))
core.adminPeers = Set(options["admin-peer"] ?? [])
if option("trust") != nil || option("masterlist") != nil {
    var trust = CSCATrustList()
    if let folder = option("trust") { trust = try CSCATrustList.load(folder: URL(fileURLWithPath: folder)) }
    if let file = option("masterlist") { try trust.addMasterList(file: URL(fileURLWithPath: file)) }
    core.chipCheck = ChipEvidenceCheck(trustList: trust)
}
if let file = option("deliver-masterlist") {
    guard let list = FileManager.default.contents(atPath: file) else {
        FileHandle.standardError.write(Data("central-receiver: cannot read --deliver-masterlist \(file)\n".utf8))
        exit(2)
    }
    core.delivery = MasterListDelivery(list: list)
}

switch command {
case "fingerprint":
    print(store.publicKeys.fingerprint)
case "import":
    guard let directory = positional.first else {
        FileHandle.standardError.write(Data("central-receiver import: EXPORT_DIR is required\n".utf8))
        exit(2)
    }
    do {
        let results = try core.importDirectory(directory)
        let refused = results.filter { $0.outcome == .refused }.count
        print("imported \(results.count) items: \(core.stats.itemsStored) new, \(refused) refused")
        exit(refused == 0 ? 0 : 1)
    } catch {
        FileHandle.standardError.write(Data("central-receiver import: \(error)\n".utf8))
        exit(1)
    }
case "provision":
    exit(provision(store: store, option: option))
case "serve":
    FileHandle.standardOutput.write(Data("central fingerprint: \(store.publicKeys.fingerprint)\n".utf8))
    let router = Router(context: ReceiverContext.self)
    ReceiverRoutes(core: core).register(router)
    var server: HTTPServerBuilder = .http1()
    if let certificate = option("tls-cert"), let key = option("tls-key") {
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        server = try .tls(.http1(), tlsConfiguration: tls)
    }
    let app = Application(
        router: router, server: server,
        configuration: .init(address: .hostname(option("host") ?? "127.0.0.1", port: Int(number("port", 0)))),
        onServerRunning: { channel in
            FileHandle.standardOutput.write(Data("listening on port \(channel.localAddress?.port ?? 0)\n".utf8))
        })
    try await app.runService()
default:
    FileHandle.standardError.write(Data("central-receiver: unknown command \(command)\n\n\(usage)".utf8))
    exit(2)
}
