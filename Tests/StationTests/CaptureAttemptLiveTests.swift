import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

/// The capture flow's advice reaches the officer live (issue 19 item 5, issue 21 item 3): through the real daemon,
/// pcscd → vpcd → the simulated CCCD and the simulated fingerprint module scripted poor-then-good, each attempt of
/// an intake's finger is a `capture.attempt` event on `/v1/events` as soon as it is decided — the poor one with
/// its advice, the good one accepted — received before the capture's POST answers; `stationctl watch` says it in
/// Vietnamese (English on request), the finger by name.
@Suite(.serialized)
struct CaptureAttemptLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    /// What the stream brought, and when it arrived.
    final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [(StationEvent, Date)] = []
        func add(_ event: StationEvent) { lock.withLock { events.append((event, Date())) } }
        var all: [(StationEvent, Date)] { lock.withLock { events } }
    }

    @Test(.timeLimit(.minutes(10))) func eachAttemptIsPublishedWithItsAdviceBeforeTheCaptureAnswers() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let daemon = try DaemonUnderTest(name: "capture-attempts", environment: harness.clientEnvironment)
        daemon.base.fingerprintSimulator = "partial,good"
        try daemon.start()
        defer { _ = daemon.stop() }
        let card = try harness.startCardReported(arguments: ["--dataset", url.path])
        defer { card.stop() }

        let client = daemon.client()
        let session = try client.request("POST", "/v1/intake", body: Data("{}".utf8)).decode(IntakeSessionWire.self)
        let read = try client.request(
            "POST", "/v1/intake/\(session.id)/card", body: Data(#"{"can":"\#(set.can)"}"#.utf8))
        #expect(read.status == 200, "\(String(decoding: read.body, as: UTF8.self))")

        // Subscribed before the capture: a reader of the stream and two `stationctl watch` (Vietnamese, English).
        let received = Received()
        let subscriber = daemon.client()
        Thread {
            _ = try? subscriber.events { type, data in
                guard type == StationEvent.captureAttemptType,
                    let event = try? ControlJSON.decoder().decode(StationEvent.self, from: Data(data.utf8))
                else { return true }
                received.add(event)
                return event.accepted != true
            }
        }.start()
        let watches = Received.Watches()
        // Vietnamese: the two attempts, then the session's state and the finger taken (the coordinator's events).
        for (language, count) in [("vi", 4), ("en", 2)] {
            Thread {
                let result = try? daemon.stationctl(
                    ["watch", "--count", "\(count)", "--lang", language], timeout: 60)
                watches.set(language, result?.output ?? "")
            }.start()
        }
        let subscribed = Date(timeIntervalSinceNow: 15)
        while Date() < subscribed {
            let metrics = try daemon.curl("GET", "/metrics").1
            if metrics.split(separator: "\n").contains(where: { $0.hasPrefix("stationd_event_subscribers 3") }) {
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }

        let captured = try client.request(
            "POST", "/v1/intake/\(session.id)/fingers", json: FingerRequest(finger: 2))
        let answered = Date()
        #expect(captured.status == 200, "\(String(decoding: captured.body, as: UTF8.self))")

        let attempts = received.all
        #expect(attempts.map(\.0.attempt) == [1, 2], "\(attempts.map(\.0))")
        #expect(attempts.map(\.0.accepted) == [false, true])
        #expect(attempts.allSatisfy { $0.0.session == session.id && $0.0.finger == 2 })
        let poor = try #require(attempts.first?.0)
        #expect(poor.advice?.contains("move-to-centre") == true && (poor.quality ?? 100) < 50, "\(poor)")
        #expect(attempts.last?.0.advice == [] && (attempts.last?.0.quality ?? 0) >= 50)
        #expect(attempts.allSatisfy { $0.0.decidedAtMillis != nil })
        // Both were in the officer's hands before the capture's answer.
        #expect(attempts.allSatisfy { $0.1 < answered }, "\(attempts.map(\.1)) vs \(answered)")

        // stationctl watch: the finger by name, the quality and the advice; Vietnamese has no English word and no
        // finger number.
        let done = Date(timeIntervalSinceNow: 20)
        while watches.count < 2 && Date() < done { try await Task.sleep(for: .milliseconds(100)) }
        let vietnamese = watches.output("vi")
        let english = watches.output("en")
        print("watch vi:\n\(vietnamese)\nwatch en:\n\(english)")
        let quality = try #require(poor.quality)
        #expect(
            vietnamese.contains("lấy vân tay ngón trỏ tay phải: lần 1, chất lượng \(quality) — đặt ngón tay vào giữa"))
        #expect(vietnamese.contains("ngón trỏ tay phải: lần 2, chất lượng") && vietnamese.contains("— đạt"))
        #expect(vietnamese.contains("đã lấy vân tay ngón trỏ tay phải"), "\(vietnamese)")
        for word in ["capture", "attempt", "finger", "quality", "centre", "accepted", "move-to"] {
            #expect(!vietnamese.contains(word), "\(word) in \(vietnamese)")
        }
        #expect(english.contains("right index finger: attempt 1, quality \(quality) — move your finger to the centre"))
        #expect(english.contains("attempt 2") && english.contains("— accepted"))
        #expect(!daemon.log.contains(set.idNumber))
    }
}

extension CaptureAttemptLiveTests.Received {
    /// Each watch's output by its language.
    final class Watches: @unchecked Sendable {
        private let lock = NSLock()
        private var outputs: [String: String] = [:]
        func set(_ language: String, _ output: String) { lock.withLock { outputs[language] = output } }
        func output(_ language: String) -> String { lock.withLock { outputs[language] ?? "" } }
        var count: Int { lock.withLock { outputs.count } }
    }
}
