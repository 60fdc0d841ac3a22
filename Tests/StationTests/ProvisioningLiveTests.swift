import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// #23 item 3: enrollment from the central's provisioning file. The central (`central-receiver provision`) writes
/// the file while it is not serving; the station enrolls from it with no network to the central (a changed, a
/// foreign and another station's file refused, naming the field); its first upload works once the central is
/// reachable.
@Suite(.serialized) struct ProvisioningLiveTests {
    static let supervisors = [TestGroups.socket, TestGroups.supervisors]

    @Test(.timeLimit(.minutes(3))) func provisionOfflineThenTheFirstUploadWorks() async throws {
        // The central's folder, and a port it will serve on: started once to learn both, then stopped.
        let first = try CentralReceiverProcess.forStation()
        // Its folder holds the central's data: kept until the end (released, the receiver removes it).
        defer { withExtendedLifetime(first) {} }
        let port = first.port
        let fingerprint = first.fingerprint
        let data = first.directory.appendingPathComponent("data").path
        first.process.stop()
        let url = "http://127.0.0.1:\(port)"
        let station = "station-test-trust"
        // Not the daemon's own folder (DaemonUnderTest "provisioning" makes /tmp/stationd-test-PID-provisioning afresh).
        let work = "/tmp/stationd-test-\(getpid())-provisioning-files"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        chmod(work, 0o755)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let receiver = try Binaries.path("central-receiver")

        // The central writes the file offline: 0600, its fingerprint and the file's id printed, never the token.
        let file = work + "/station.provisioning.json"
        let made = try runTool(
            receiver, ["provision", "--data", data, "--station", station, "--endpoint", url, "--out", file])
        #expect(made.status == 0, "\(made.output)")
        #expect(made.output.contains("central fingerprint: \(fingerprint)"), "\(made.output)")
        var info = stat()
        #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let object = try #require(jsonObject(try String(contentsOfFile: file, encoding: .utf8)))
        let token = try #require(object["token"] as? String)
        let fileID = try #require(object["fileID"] as? String)
        #expect(!made.output.contains(token))
        // Never over an existing file.
        let again = try runTool(
            receiver, ["provision", "--data", data, "--station", station, "--endpoint", url, "--out", file])
        #expect(again.status != 0)
        chmod(file, 0o644)  // the supervisor (nobody in the test) reads it from the stick

        // Refused files: each names its field, nothing is pinned.
        func variant(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
            var copy = object
            change(&copy)
            let path = work + "/" + name
            try JSONSerialization.data(withJSONObject: copy).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o644)
            return path
        }
        let otherData = work + "/other-central"
        let foreignFile = work + "/foreign.json"
        #expect(
            try runTool(
                receiver,
                ["provision", "--data", otherData, "--station", station, "--endpoint", url, "--out", foreignFile]
            ).status == 0)
        chmod(foreignFile, 0o644)
        let otherStationFile = work + "/other-station.json"
        #expect(
            try runTool(
                receiver,
                [
                    "provision", "--data", data, "--station", "station-elsewhere", "--endpoint", url, "--out",
                    otherStationFile,
                ]
            ).status == 0)
        chmod(otherStationFile, 0o644)
        let refusals: [(String, String, String)] = [
            (
                try variant("token.json") { $0["token"] = "prov-" + String(repeating: "0", count: 48) },
                "provisioning.bad_signature", "token"
            ),
            (
                try variant("endpoint.json") { $0["endpoint"] = "http://10.9.9.9:\(port)" },
                "provisioning.bad_signature", "endpoint"
            ),
            (
                try variant("missing.json") { $0.removeValue(forKey: "centralKey") }, "provisioning.malformed",
                "centralKey"
            ),
            (otherStationFile, "provisioning.other_station", "stationID"),
            (foreignFile, "uplink.central_fingerprint_mismatch", "centralSigningKey"),
        ]

        let state = work + "/uplink"
        let daemon = try DaemonUnderTest(
            name: "provisioning",
            extraConfig: CentralTrustLiveTests.uplinkConfig(url: url, token: "unused", fingerprint: nil, state: state))
        // One application waiting to be uploaded.
        let application = SampleApplications.application(
            for: SampleApplications.citizens(1, start: 4_242)[0], biometricBytes: 300, seed: 4)
        do {
            try FileManager.default.createDirectory(
                atPath: daemon.directory.path + "/state", withIntermediateDirectories: true)
            let queue = try ApplicationQueue(
                configuration: .init(
                    databasePath: daemon.directory.path + "/state/queue.sqlite",
                    keyFilePath: daemon.directory.path + "/state/queue.key"))
            try queue.commit(application, by: .system)
        }
        try daemon.start()
        defer { _ = daemon.stop() }

        for (path, code, field) in refusals {
            let refused = try daemon.stationctl(
                ["enroll", "--from-file", path, "--central-fingerprint", fingerprint, "--lang", "en"],
                asGroups: Self.supervisors)
            #expect(refused.status != 0, "\(path): \(refused.output)")
            #expect(refused.output.contains(code), "\(path): \(refused.output)")
            #expect(refused.output.contains(field), "\(path): \(refused.output)")
            #expect(!FileManager.default.fileExists(atPath: state + "/enrollment.json"), "\(path)")
            #expect(!FileManager.default.fileExists(atPath: state + "/provisioning.json"), "\(path)")
        }
        // The right file with a wrong confirmed fingerprint: refused too.
        let wrongFingerprint = try daemon.stationctl(
            ["enroll", "--from-file", file, "--central-fingerprint", String(repeating: "ab", count: 32)],
            asGroups: Self.supervisors)
        #expect(wrongFingerprint.status == 5 && wrongFingerprint.output.contains("fingerprint_mismatch"))

        // The file, the confirmed fingerprint: enrolled with no connection; what to write down is printed.
        let enrolled = try daemon.stationctl(
            ["enroll", "--from-file", file, "--central-fingerprint", fingerprint, "--lang", "en"],
            asGroups: Self.supervisors)
        #expect(enrolled.status == 0, "\(enrolled.output)")
        #expect(enrolled.output.contains("Enrolled \(station)"), "\(enrolled.output)")
        #expect(enrolled.output.contains(fingerprint), "\(enrolled.output)")
        #expect(enrolled.output.contains("provisioning file \(fileID)"), "\(enrolled.output)")
        #expect(!enrolled.output.contains(token))
        #expect(stat(state + "/provisioning.json", &info) == 0 && info.st_mode & 0o777 == 0o600)
        let log = try String(contentsOfFile: daemon.directory.path + "/stationd.log", encoding: .utf8)
        #expect(!log.contains(token))

        // No central yet: the upload fails offline and the token is kept.
        let offline = try daemon.stationctl(["upload", "--wait"], timeout: 60)
        #expect(offline.status == 8, "\(offline.output)")
        #expect(FileManager.default.fileExists(atPath: state + "/provisioning.json"))

        // The central reachable (same folder, same port): the first upload registers the key and sends.
        try FileManager.default.createDirectory(atPath: work + "/central-log", withIntermediateDirectories: true)
        let central = try CentralReceiverProcess(
            directory: URL(fileURLWithPath: work + "/central-log"), dataDirectory: URL(fileURLWithPath: data),
            population: LivePCSC.packageRoot.appendingPathComponent("Devices/central/population.csv").path,
            flags: ["--port", "\(port)", "--activation-rate", "0"])
        defer { central.process.stop() }
        let online = try daemon.stationctl(["upload", "--wait"], timeout: 60)
        #expect(online.status == 0, "\(online.output)\n\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: state + "/provisioning.json"))
        let upload = try #require(try UploadStatusProbe.read(daemon))
        #expect(upload.lastError == nil && upload.lastSyncAt != nil, "\(upload)")
        #expect(upload.centralFingerprint == fingerprint)
        let (_, body) = try daemon.curl("GET", "/v1/queue/\(application.id.text)")
        #expect(body.contains("uploaded"), "\(body)")
    }
}
