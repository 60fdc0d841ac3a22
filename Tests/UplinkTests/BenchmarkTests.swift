import Foundation
import Testing
import Uplink

@Suite(.serialized) struct BenchmarkTests {
    /// The `station-bench` entry point, small: drain vs one plain upload of the same bytes, on loopback.
    /// `STATION_UPLINK_BENCH_APPLICATIONS` makes it bigger (for `make bench`).
    @Test(.timeLimit(.minutes(10))) func benchmarkEntryPointReportsGoodputAgainstRawThroughput() async throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["STATION_UPLINK_BENCH_APPLICATIONS"].flatMap(Int.init) ?? 100
        // STATION_UPLINK_BENCH_LINK=BYTES_PER_SECOND[,LATENCY_MS] shapes the receiver's side like a slow 3G link
        // (user-space: the receiver reads bodies at that rate and adds latency per request).
        var flags: [String] = []
        if let link = environment["STATION_UPLINK_BENCH_LINK"]?.split(separator: ",") {
            flags += ["--bytes-per-second", String(link[0])]
            if link.count > 1 { flags += ["--latency-ms", String(link[1])] }
        }
        // STATION_UPLINK_BENCH_URL + STATION_UPLINK_BENCH_TOKEN: a receiver started elsewhere (e.g. in a network
        // namespace behind a tbf-shaped veth, see Devices/central/shaped-bench.sh).
        if let url = environment["STATION_UPLINK_BENCH_URL"], let token = environment["STATION_UPLINK_BENCH_TOKEN"] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let report = try await UplinkBenchmark.run(
                baseURL: url, token: token, directory: directory.path, applications: count)
            print(report)
            #expect(report.applications == count && report.goodput > 0 && report.raw > 0)
            return
        }
        let receiver = try ReceiverProcess(flags: flags)
        let directory = receiver.directory.appendingPathComponent("bench").path
        let report = try await UplinkBenchmark.run(
            baseURL: receiver.baseURL, token: receiver.token, directory: directory, applications: count)
        print(report)
        #expect(report.applications == count)
        #expect(report.payloadBytes > count * 20_000)
        #expect(report.goodput > 0 && report.raw > 0)
        #expect(try await receiver.items().count == count)
        let stats = try await receiver.stats()
        #expect(stats.payloadBytesKept == report.payloadBytes)
    }
}
