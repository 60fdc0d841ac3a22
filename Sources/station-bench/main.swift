import Biometrics
import ChipID
import Foundation
import Queue
import Simulation
import SmartCard
import StationBenchmarks
import StationTestKit

/// `station-bench`: speed figures, each printed beside a floor measured in the same run. Not a test: it asserts
/// nothing, it reports. `make bench` runs it on a release build.
///
/// Usage: station-bench [apdu|sm|biometrics|portrait|pa|evidence|queue|report|daemon|listener|console|desk|uplink|
///     intake|all]
///     [--iterations N] [--applications N] [--checks N] [--intakes N] [--portrait webcam|phone]

struct Statistics {
    let samples: [Double]
    init(_ samples: [Double]) { self.samples = samples.sorted() }
    func percentile(_ p: Double) -> Double {
        samples[min(samples.count - 1, Int((Double(samples.count - 1) * p).rounded()))]
    }
    var median: Double { percentile(0.5) }
    var p99: Double { percentile(0.99) }
    var mean: Double { samples.reduce(0, +) / Double(samples.count) }
}

func microseconds(_ seconds: Double) -> String { String(format: "%.0f µs", seconds * 1e6) }

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// The transport floor: a trivial APDU's round trip through pcscd → vpcd → simulated card.
func apduRoundTrip(iterations: Int) async throws {
    print("== APDU round trip: client → pcscd → vpcd → simulated card (the transport floor)")
    // One pcscd for the whole run: libpcsclite reads its socket path once per process (see `LivePCSC`).
    let lease = try await LivePCSC.acquire()
    let harness = lease.harness
    let card = try harness.startCard(slot: 0)
    defer { card.stop() }
    var connection: CardConnection?
    let deadline = Date(timeIntervalSinceNow: 10)
    while connection == nil {
        do {
            connection = try await CardReaders().connect(reader: harness.readerName())
        } catch  where Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
    }
    let link = connection!
    let challenge = CommandAPDU(ins: 0x84, p1: 0, p2: 0, le: 8)
    for _ in 0..<50 { _ = try await link.transmit(challenge) }  // warm up
    var samples: [Double] = []
    samples.reserveCapacity(iterations)
    for _ in 0..<iterations {
        let start = now()
        _ = try await link.transmit(challenge)
        samples.append(now() - start)
    }
    let stats = Statistics(samples)
    print(
        "GET CHALLENGE ×\(iterations): median \(microseconds(stats.median)), p99 \(microseconds(stats.p99)), "
            + "mean \(microseconds(stats.mean))")
    // The same exchange through the raw transmit path (no 61xx/6Cxx handling), to show what our layer costs.
    var raw: [Double] = []
    for _ in 0..<iterations {
        let start = now()
        _ = try await link.transmitRaw(challenge.bytes)
        raw.append(now() - start)
    }
    let rawStats = Statistics(raw)
    print(
        "raw SCardTransmit ×\(iterations): median \(microseconds(rawStats.median)), "
            + "p99 \(microseconds(rawStats.p99)); our transmit = "
            + String(format: "%.2f", stats.median / rawStats.median) + "× raw")
    // A whole 4 KiB file in one extended-length APDU, against the floor.
    _ = try await link.transmit(CommandAPDU(ins: 0xA4, p1: 4, p2: 0x0C, data: [0xF0] + Array("STATION".utf8)))
    var large: [Double] = []
    for _ in 0..<200 {
        let start = now()
        _ = try await link.transmit(CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0, le: 65_536))
        large.append(now() - start)
    }
    let largeStats = Statistics(large)
    print(
        "READ BINARY 4,096 B extended ×200: median \(microseconds(largeStats.median)) = "
            + String(format: "%.2f", largeStats.median / stats.median) + "× the floor")
    try await link.disconnect()
    card.stop()

    // Secure messaging's own cost per protected READ BINARY, both ends in this process (no transport): what a
    // protected APDU adds to the floor, before TLV parsing and file assembly.
    try secureMessagingCost(floor: stats.median)

    // A full CCCD read on the same reader, against the floor measured on it in the same run.
    print("== Full CCCD read (COM, DG1, DG2, DG13, DG14, DG15, SOD) with PACE-CAN, against the transport floor")
    let dataset = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json").path
    let cccd = try harness.startCard(slot: 1, arguments: ["--dataset", dataset], label: "bench-cccd")
    defer { cccd.stop() }
    var chip: CardConnection?
    let chipDeadline = Date(timeIntervalSinceNow: 10)
    while chip == nil {
        do {
            chip = try await CardReaders().connect(reader: harness.readerName(slot: 1))
        } catch  where Date() < chipDeadline {
            try await Task.sleep(for: .milliseconds(50))
        }
    }
    var reads: [ChipReadBenchmark] = []
    for _ in 0..<15 {
        let read = try await ChipReadBenchmark.run(transport: chip!, key: try AccessKey.can(digits: "012345"))
        print(read)
        reads.append(read)
        try await chip!.reconnect(initialization: .reset)
    }
    // One read is at the mercy of one scheduling hiccup on a ~10 ms phase: the median of fifteen is the figure.
    let ratios = reads.map(\.wallRatio).sorted()
    let apduRatios = reads.map(\.apduRatio).sorted()
    print(
        String(
            format: "full read, median of %d: file APDUs %.2f× the minimum (goal ≤ 1.1×), file phase %.2f× the "
                + "transport floor (goal ≤ 1.2×; range %.2f–%.2f×)", reads.count, apduRatios[reads.count / 2],
            ratios[reads.count / 2], ratios.first!, ratios.last!))

    // The health check-in read (DG1 + DG13 + DG14 + SOD + PA + CA, no DG2; ChipReader needs DG1 for its DG13
    // cross-check) against the full authenticated read, same reader.
    print("== Health check-in read (DG1, DG13, DG14, SOD, PA + Chip Authentication) vs the full authenticated read")
    let trust = try CSCATrustList.load(folder: LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki/trust"))
    func timedRead(_ files: [LDSFile]) async throws -> (Double, Double, ReadTimings) {
        var reader = ChipReader(transport: chip!)
        reader.files = files
        reader.authentication = AuthenticationOptions(trustList: trust)
        let start = now()
        let read = try await reader.read(key: try AccessKey.can(digits: "012345"))
        let total = now() - start
        guard let verdict = read.authenticity, verdict.passive?.signatureValid == true else {
            throw HarnessError("the benchmark card did not verify")
        }
        // Passive Authentication alone over the same files (hashing + signature + chain).
        let files = read.files.mapValues(\.bytes)
        let pa = try PassiveAuthenticationBenchmark.run(files: files, trustList: trust, iterations: 5)
        try await chip!.reconnect(initialization: .reset)
        return (total, pa.medianMilliseconds, read.timings)
    }
    var full: [Double] = []
    var health: [Double] = []
    var paTimes: [Double] = []
    var fullPhases: [ReadTimings] = []
    var healthPhases: [ReadTimings] = []
    for _ in 0..<9 {
        let (fullSeconds, _, fullTimings) = try await timedRead([.com, .dg(1), .dg(2), .dg(13), .dg(14), .dg(15), .sod])
        full.append(fullSeconds)
        fullPhases.append(fullTimings)
        let (seconds, pa, timings) = try await timedRead([.dg(1), .dg(13), .dg(14), .sod])
        health.append(seconds)
        paTimes.append(pa)
        healthPhases.append(timings)
    }
    func medianPhases(_ all: [ReadTimings]) -> ReadTimings {
        var phases = ReadTimings()
        phases.accessControl = Statistics(all.map(\.accessControl)).median
        phases.files = Statistics(all.map(\.files)).median
        phases.cloneCheck = Statistics(all.map(\.cloneCheck)).median
        phases.passiveAuthentication = Statistics(all.map(\.passiveAuthentication)).median
        phases.total = Statistics(all.map(\.total)).median
        return phases
    }
    print("full read phases (median): \(medianPhases(fullPhases))")
    print("health read phases (median): \(medianPhases(healthPhases))")
    let fullMedian = Statistics(full).median
    let healthMedian = Statistics(health).median
    print(
        String(
            format: "full read %.1f ms, health check-in read %.1f ms = %.0f%% of the full read (goal ≤ 40%%); "
                + "PA itself %.2f ms (goal ≤ 50 ms)", fullMedian * 1000, healthMedian * 1000,
            healthMedian / fullMedian * 100, Statistics(paTimes).median))
    try await chip!.disconnect()
}

/// Reader protect → card unprotect → card protect (223 plain bytes) → reader unprotect, AES-128, per APDU.
func secureMessagingCost(floor: Double?, rounds: Int = 5000) throws {
    let key = [UInt8](repeating: 0x2B, count: 16)
    var reader = try SecureMessagingSession(algorithm: .aes128, encryptionKey: key, macKey: key.reversed())
    var card = try SecureMessagingSession(algorithm: .aes128, encryptionKey: key, macKey: key.reversed())
    let read = CommandAPDU(ins: 0xB0, p1: 0x00, p2: 0x00, le: 223)
    let answer = ResponseAPDU(data: [UInt8](repeating: 0x5A, count: 223), status: .success)
    func cycle() throws {
        let command = try card.unprotectCommand(try reader.protect(read))
        precondition(command.le == 223)
        let plain = try reader.unprotect(try card.protectResponse(answer))
        precondition(plain.data.count == 223)
    }
    for _ in 0..<200 { try cycle() }
    let start = now()
    for _ in 0..<rounds { try cycle() }
    let perAPDU = (now() - start) / Double(rounds)
    let share = floor.map { String(format: " = %.0f%% of the floor", perAPDU / $0 * 100) } ?? ""
    print(
        "secure messaging per READ BINARY (223 B, AES-128, reader + card ends, in process): "
            + String(format: "%.1f µs", perAPDU * 1e6) + share)
}

/// The same full read with the simulated card in this process (no PC/SC): the software's own cost per APDU, both
/// ends, TLV parsing and file assembly included.
func inProcessRead() async throws {
    let dataset = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
    let parts = try SimulatedCCCD.make(dataSet: dataset)
    var results: [ChipReadBenchmark] = []
    for _ in 0..<7 {
        let transport = DirectCardTransport(card: parts.card)  // powers the card on afresh
        results.append(try await ChipReadBenchmark.run(transport: transport, key: try AccessKey.can(digits: "012345")))
    }
    let median = results.sorted { $0.fileSeconds < $1.fileSeconds }[results.count / 2]
    print(
        String(
            format: "in process (no transport): file phase %.2f ms for %d APDUs = %.1f µs per APDU; "
                + "whole read %.1f ms", median.fileSeconds * 1000, median.fileAPDUs,
            median.fileSeconds / Double(median.fileAPDUs) * 1e6, median.totalSeconds * 1000))
}

func passiveAuthentication() throws {
    print("== Passive Authentication over the BSI TR-03105-5 set (hashing + signature + chain)")
    let folder = LivePCSC.packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/lds/bsi-tr03105-5")
    guard FileManager.default.fileExists(atPath: folder.path) else {
        print("skipped: \(folder.path) not found (the shared fixtures sit beside the checkout)")
        return
    }
    print(try PassiveAuthenticationBenchmark.run(folder: folder))
}

func queue(applications: Int) throws {
    print("== Queue with \(applications) applications (synchronous=FULL)")
    let directory = LivePCSC.packageRoot.appendingPathComponent(".build/station-bench/queue-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    print(try QueueBenchmark.run(directory: directory, applications: applications))
}

let arguments = CommandLine.arguments.dropFirst()
let which = arguments.first { !$0.hasPrefix("-") } ?? "all"
let iterations = arguments.firstIndex(of: "--iterations").flatMap { Int(arguments[$0 + 1]) } ?? 1000
do {
    if which == "apdu" || which == "all" { try await apduRoundTrip(iterations: iterations) }
    if which == "sm" {
        try secureMessagingCost(floor: nil, rounds: arguments.contains("--iterations") ? iterations : 5000)
        try await inProcessRead()
    }
    if which == "biometrics" || which == "all" { try await BiometricsBench.run(iterations: min(iterations, 20)) }
    if which == "portrait" || which == "all" { try await PortraitBench.run(iterations: min(iterations, 50)) }
    if which == "pa" || which == "all" { try passiveAuthentication() }
    if which == "evidence" || which == "all" { try await EvidenceBench.run(commits: min(iterations, 200)) }
    if which == "uplink" || which == "all" { try await uplinkBench(arguments: Array(arguments)) }
    if which == "queue" || which == "all" {
        let count = arguments.firstIndex(of: "--applications").flatMap { Int(arguments[$0 + 1]) } ?? 100_000
        try queue(applications: count)
    }
    if which == "report" || which == "all" {
        let count = arguments.firstIndex(of: "--applications").flatMap { Int(arguments[$0 + 1]) } ?? 100_000
        try await ReportBench.run(applications: count, runs: min(iterations, 50))
    }
    if which == "listener" || which == "all" { try await ListenerBench.run(runs: min(iterations, 500)) }
    if which == "console" || which == "all" {
        try await ConsoleBench.run(loads: min(iterations, 40), rounds: min(iterations, 8))
    }
    if which == "desk" || which == "all" {
        try await DeskBench.run(checks: arguments.firstIndex(of: "--checks").flatMap { Int(arguments[$0 + 1]) } ?? 100)
    }
    if which == "intake" || which == "all" {
        let portrait = arguments.firstIndex(of: "--portrait").flatMap {
            IntakeBenchmark.Portrait(rawValue: arguments[$0 + 1])
        }
        try await IntakeBench.run(
            intakes: arguments.firstIndex(of: "--intakes").flatMap { Int(arguments[$0 + 1]) } ?? min(iterations, 100),
            portrait: portrait ?? .webcam)
    }
    if which == "daemon" || which == "all" {
        let count = arguments.firstIndex(of: "--applications").flatMap { Int(arguments[$0 + 1]) } ?? 100_000
        try await DaemonBench.run(applications: count, runs: min(iterations, 200))
    }
} catch {
    FileHandle.standardError.write(Data("station-bench: \(error)\n".utf8))
    exit(1)
}
