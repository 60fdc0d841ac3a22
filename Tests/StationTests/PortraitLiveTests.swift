import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

@testable import Station

/// A webcam's landscape PNG through the daemon's API becomes the session's portrait; a file that is no photo is
/// refused with its reason in Vietnamese, and the session stays as it was.
@Suite(.serialized)
struct PortraitLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test func landscapeWebcamPNGIsAcceptedAsThePortrait() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let daemon = try DaemonUnderTest(name: "portrait", environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let card = try harness.startCardReported(arguments: ["--dataset", url.path])
        defer { card.stop() }
        let deadline = Date(timeIntervalSinceNow: 15)
        while try !daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let client = daemon.client(language: "vi")
        let session = try client.request("POST", "/v1/intake", body: Data("{}".utf8)).decode(IntakeSessionWire.self)
        let read = try client.request(
            "POST", "/v1/intake/\(session.id)/card", body: Data(#"{"can":"\#(set.can)"}"#.utf8))
        #expect(read.status == 200, "\(String(decoding: read.body, as: UTF8.self))")

        // Not a photo: 422 with the code and what to do, in Vietnamese; no portrait kept.
        let refused = try client.request(
            "PUT", "/v1/intake/\(session.id)/portrait", body: Data("not a photo".utf8), contentType: "image/jpeg")
        #expect(refused.status == 422)
        #expect(refused.error?.code == "intake.portrait_not_image")
        #expect(refused.error?.message.contains("không phải là ảnh") == true, "\(refused.error?.message ?? "")")
        let unchanged = try client.request("GET", "/v1/intake/\(session.id)").decode(IntakeSessionWire.self)
        #expect(unchanged.portrait == false)

        // A 1280×720 webcam frame as PNG: accepted (normalised to a 3:4 JPEG).
        let frame = SamplePhoto(width: 1280, height: 720).png()
        let attached = try client.request(
            "PUT", "/v1/intake/\(session.id)/portrait", body: frame, contentType: "image/png")
        #expect(attached.status == 200, "\(String(decoding: attached.body, as: UTF8.self))")
        #expect(try attached.decode(IntakeSessionWire.self).portrait == true)
        #expect(try client.request("DELETE", "/v1/intake/\(session.id)").status < 300)
    }
}
