import Foundation
import StationBenchmarks
import StationTestKit
import Testing
import Uplink

@Suite(.serialized) struct BenchmarkTests {
    /// A bounded slice of `station-bench uplink`: 20 applications through the delay proxy, over a shaped link
    /// (1 Mbit/s, 1 % loss each way: netns + tbf + nft) when this machine can build one, else on loopback; the
    /// same bytes as one plain upload; then a batch cut half-way by the proxy. Asserts behaviour, not speed:
    /// exactly once, the cut resumes instead of starting over, the figures are counted.
    /// `STATION_UPLINK_BENCH_APPLICATIONS` makes it bigger.
    @Test(.timeLimit(.minutes(3))) func benchmarkSliceThroughDelayProxyIsExactlyOnce() async throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["STATION_UPLINK_BENCH_APPLICATIONS"].flatMap(Int.init) ?? 20
        var link: ShapedLink?
        if let reason = ShapedLink.unavailableReason() {
            print("uplink bench slice on loopback: no shaped link (\(reason))")
        } else {
            link = try ShapedLink(rate: "1mbit", lossPerMille: 10)
        }
        defer { link?.teardown() }
        let receiver = try ReceiverProcess(flags: ["--approval-delay", "3600"], link: link)
        var options = UplinkBenchmark.Options(applications: count)
        options.delay = link == nil ? 0.02 : 0.1
        options.cutApplications = 10
        var wire: (@Sendable () -> Int)?
        if let link { wire = { link.wireBytes() } }
        let report = try await UplinkBenchmark.run(
            receiverURL: receiver.baseURL, token: receiver.token, centralFingerprint: receiver.fingerprint,
            directory: receiver.directory.appendingPathComponent("station").path, options: options,
            link: link == nil ? "loopback" : "shaped veth", wireBytes: wire)
        print(report)
        #expect(report.applications == count)
        #expect(report.payloadBytes > count * 20_000)
        #expect(report.receiverItems == count + 10 && report.receiverStored == count + 10)
        #expect(Set(try await receiver.items()).count == count + 10)
        #expect(report.wireBytesDrain > report.payloadBytes)
        #expect(report.cuts == 1 && report.cutBatchBytes > 0)
        // The receiver keeps what arrived before the cut: it reads no payload byte twice (durable every 64 KiB,
        // and what it read is kept), and less than the batch crosses the link again.
        #expect(report.cutReread == 0)
        #expect(report.cutResent < report.cutBatchBytes)
        #expect(try receiver.partFiles().isEmpty)
        #expect(report.goodput > 0 && report.raw > 0)
    }
}
