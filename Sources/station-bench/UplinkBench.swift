import Foundation
import StationBenchmarks
import StationTestKit
import Uplink

/// `station-bench uplink [--applications N] [--loopback]`: the issue-8 benchmark. A `central-receiver` in a
/// network namespace behind a veth pair shaped to 1 Mbit/s each way with 1 % of packets dropped each way (tbf +
/// nft), 100 ms each way added by a user-space delay proxy; drains N applications (default 500), then uploads
/// the same bytes as one plain PUT over the same path, then cuts one more batch half-way. Without root or nft it
/// runs on loopback through the delay proxy and says so.
func uplinkBench(arguments: [String]) async throws {
    let which = arguments.first { !$0.hasPrefix("-") } ?? "all"
    let requested = arguments.firstIndex(of: "--applications").flatMap { Int(arguments[$0 + 1]) }
    let applications = which == "uplink" ? requested ?? 500 : 500
    print(
        "== Uplink: drain \(applications) applications through a 1 Mbit/s, 100 ms, 1 % loss link, "
            + "against one plain upload of the same bytes")
    let executable =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
    let receiver = URL(fileURLWithPath: executable).deletingLastPathComponent()
        .appendingPathComponent("central-receiver").path
    guard FileManager.default.isExecutableFile(atPath: receiver) else {
        print("skipped: \(receiver) is not built (swift build --product central-receiver, same configuration)")
        return
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-bench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }

    var reason = arguments.contains("--loopback") ? "--loopback given" : ShapedLink.unavailableReason()
    var link: ShapedLink?
    if reason == nil {
        do { link = try ShapedLink(rate: "1mbit", lossPerMille: 10) } catch { reason = "\(error)" }
    }
    defer { link?.teardown() }
    let token = "bench-\(UUID().uuidString)"
    let host = link?.namespaceAddress ?? "127.0.0.1"
    var argv = [
        receiver, "serve", "--data", directory + "/central", "--host", host,
        "--port", link == nil ? "0" : "8480", "--token", token, "--approval-delay", "3600",
    ]
    if let link { argv += ["--admin-peer", link.hostAddress] }
    if let link { argv = link.command(argv) }
    let process = try ManagedProcess(
        "central-receiver", executable: argv[0], arguments: Array(argv.dropFirst()),
        logFile: URL(fileURLWithPath: directory + "/receiver.log"))
    defer { process.stop() }
    guard let port = process.listeningPort() else {
        throw HarnessError("central-receiver did not start: \(process.output)")
    }
    let fingerprint =
        process.output.split(separator: "\n").first { $0.hasPrefix("central fingerprint: ") }
        .map { String($0.dropFirst("central fingerprint: ".count)) } ?? ""

    let description =
        link.map {
            "veth in a netns: tbf \($0.rate) each way, nft \(Double($0.lossPerMille) / 10) % loss each way, "
                + "100 ms each way by a user-space delay proxy"
        } ?? "loopback (\(reason ?? "")): 100 ms each way by a user-space delay proxy, no rate limit, no loss"
    var options = UplinkBenchmark.Options(applications: applications)
    options.delay = 0.1
    var wire: (@Sendable () -> Int)?
    if let link { wire = { link.wireBytes() } }
    let report = try await UplinkBenchmark.run(
        receiverURL: "http://\(host):\(port)", token: token, centralFingerprint: fingerprint,
        directory: directory + "/station", options: options,
        link: description, wireBytes: wire)
    print(report)
}
