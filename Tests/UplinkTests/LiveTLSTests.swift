import CentralAPI
import Foundation
import StationTestKit
import Testing
import Uplink

/// TLS with the central's CA pinned from configuration: a test PKI made with the `openssl` tool.
@Suite(.serialized) struct LiveTLSTests {
    struct PKI {
        let directory: String
        var ca: String { directory + "/ca.pem" }
        var otherCA: String { directory + "/other-ca.pem" }
        var certificate: String { directory + "/server.pem" }
        var key: String { directory + "/server.key" }
    }

    static func makePKI() throws -> PKI? {
        let openssl = "/usr/bin/openssl"
        guard FileManager.default.isExecutableFile(atPath: openssl) else {
            print("skipping TLS test: /usr/bin/openssl not installed")
            return nil
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        func run(_ arguments: [String]) throws {
            let result = try runTool(openssl, arguments, timeout: 30)
            guard result.status == 0 else { throw HarnessError("openssl \(arguments.first ?? ""): \(result.output)") }
        }
        for name in ["ca", "other-ca"] {
            try run(
                ["req", "-x509"] + ec + [
                    "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem",
                    "-days", "2", "-subj", "/CN=Test \(name)",
                ])
        }
        try run(
            ["req"] + ec + [
                "-keyout", "\(directory)/server.key", "-out", "\(directory)/server.csr",
                "-subj", "/CN=127.0.0.1",
            ])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/ext.cnf", atomically: true, encoding: .utf8)
        try run([
            "x509", "-req", "-in", "\(directory)/server.csr", "-CA", "\(directory)/ca.pem", "-CAkey",
            "\(directory)/ca.key", "-CAcreateserial", "-out", "\(directory)/server.pem", "-days", "2",
            "-extfile", "\(directory)/ext.cnf",
        ])
        return PKI(directory: directory)
    }

    @Test(.timeLimit(.minutes(3))) func uploadsOverTLSOnlyToThePinnedCA() async throws {
        guard let pki = try Self.makePKI() else { return }
        defer { try? FileManager.default.removeItem(atPath: pki.directory) }
        let citizens = SampleApplications.citizens(5, start: 60_000)
        let receiver = try ReceiverProcess(
            citizens: citizens, flags: ["--tls-cert", pki.certificate, "--tls-key", pki.key])
        // Pinned to another CA: the handshake fails, nothing is enrolled.
        let wrong = CentralClient(baseURL: "https://127.0.0.1:\(receiver.port)", timeout: 2, pinnedCA: pki.otherCA)
        #expect(await wrong.probe(timeout: 2) == false)
        let credentials = try StationCredentials.load(directory: pki.directory + "/station", stationID: "tls-station")
        // Reported as a TLS failure with its own code, not as "offline".
        let failure = await wrong.probeFailure(timeout: 2)
        #expect(failure?.error.code == .tlsUntrusted, "\(String(describing: failure))")
        #expect(failure?.error.reason.contains("not the pinned one") == true)
        do {
            _ = try await Uploader.enroll(
                client: wrong, credentials: credentials, token: receiver.token,
                centralFingerprint: receiver.fingerprint)
            Issue.record("enrolled through a certificate that is not the pinned one")
        } catch let error as UplinkError {
            #expect(error.central?.code == .tlsUntrusted, "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: pki.directory + "/station/enrollment.json"))
        // Pinned to the right CA: enrollment, upload and status sync work over TLS.
        receiver.pinnedCA = pki.ca
        #expect(await receiver.client.probe())
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens)
        try await station.uploader(receiver).drain(until: Date().addingTimeInterval(20))
        #expect(Set(try await receiver.items()) == Set(ids.map(\.text)))
        // Plain HTTP to the TLS port does not work either.
        #expect(
            await CentralClient(baseURL: "http://127.0.0.1:\(receiver.port)", timeout: 2).probe(timeout: 2) == false)
    }
}
