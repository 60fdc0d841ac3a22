import Foundation
import Intake
import Station
import StationTestKit
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsWithoutAFile() throws {
        let configuration = try StationConfiguration.load(file: nil, environment: [:])
        #expect(configuration.profile == .intake)
        #expect(configuration.socketPath == "/run/stationd/control.sock")
        #expect(configuration.maxBodyBytes == 2_097_152)
        #expect(configuration.policy.requiredFingers == [.rightIndex, .leftIndex])
        #expect(configuration.simulator == nil)
        #expect(configuration.uplinkURL == nil)
        #expect(ConfigurationKey.all.allSatisfy { configuration.sources[$0.name] == "default" })
    }

    @Test func everyProblemNamesKeyAndLine() throws {
        let file = try temporaryFile(
            """
            [station]
            profile = clinic
            [control]
            socket = relative/path
            bogus = 1
            socket = /run/x.sock
            this line has no equals sign
            [intake]
            required_fingers = 2,11
            """)
        do {
            _ = try StationConfiguration.load(file: file, environment: [:])
            Issue.record("invalid configuration accepted")
        } catch {
            let found = Set(error.errors.map { "\($0.line ?? 0) \($0.key ?? "-") \($0.code)" })
            #expect(found.contains("2 station.profile config.invalid_value"))
            #expect(found.contains("5 control.bogus config.unknown_key"))
            #expect(found.contains("6 control.socket config.duplicate_key"))
            #expect(found.contains("7 - config.syntax"))
            #expect(found.contains("9 intake.required_fingers config.invalid_value"))
            #expect(found.contains("4 control.socket config.invalid_value"))
            #expect(error.errors.count == 6)
        }
    }

    @Test func environmentOverridesTheFile() throws {
        let file = try temporaryFile("[station]\nprofile = intake\n[point]\nname = \"Xã Đông Hòa\"\n")
        let configuration = try StationConfiguration.load(
            file: file,
            environment: ["STATIOND_STATION_PROFILE": "health", "STATION_FINGERPRINT_SIMULATOR": "1"])
        #expect(configuration.profile == .health)
        #expect(configuration.sources["station.profile"] == "env")
        #expect(configuration.point.placeName == "Xã Đông Hòa")
        #expect(configuration.sources["point.name"] == "file:4")
        #expect(configuration.simulator == [.good])
        do {
            _ = try StationConfiguration.load(file: nil, environment: ["STATIOND_LOG_LEVEL": "loud"])
            Issue.record("bad environment value accepted")
        } catch {
            #expect(error.errors.first?.key == "log.level")
            #expect(error.errors.first?.line == nil)
            #expect(error.errors.first?.reason.contains("environment") == true)
        }
    }

    @Test func exampleFileDocumentsEveryKeyWithItsDefault() throws {
        let path = LivePCSC.packageRoot.appendingPathComponent("Devices/config/stationd.conf.example")
            .path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var section = ""
        var seen: [String: String] = [:]
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("[") { section = String(line.dropFirst().dropLast()) }
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") { value = String(value.dropFirst().dropLast()) }
            seen["\(section).\(line[..<equals].trimmingCharacters(in: .whitespaces))"] = value
        }
        for key in ConfigurationKey.all {
            #expect(seen[key.name] == key.defaultValue, "\(key.name)")
        }
        #expect(seen.count == ConfigurationKey.all.count)
        _ = try StationConfiguration.load(file: path, environment: [:])
    }
}

/// Writes a configuration text to a fresh temporary file and returns its path.
func temporaryFile(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("stationd-\(UUID()).conf").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// `[authenticity]`: the four verdict lists, their defaults and the combinations refused.
@Suite struct AuthenticityConfigurationTests {
    @Test func defaultsAreTheStandardPolicy() throws {
        let configuration = try StationConfiguration.load(file: nil, environment: [:])
        #expect(configuration.policy.authenticity == .standard)
    }

    @Test func listsAreReadPerKey() throws {
        let path = try temporaryFile(
            "[station]\nprofile = health\n[authenticity]\noperator_commits = genuine\n"
                + "supervisor_overrides = verifiedOffline, notChecked\nhealth_accepts = genuine\n")
        let policy = try StationConfiguration.load(file: path, environment: [:]).policy.authenticity
        #expect(policy.operatorCommits == [.genuine])
        #expect(policy.supervisorOverrides == [.verifiedOffline, .notChecked])
        #expect(policy.healthAccepts == [.genuine])
        #expect(!policy.healthAccepts(.verifiedOffline))
    }

    @Test func badListsNameTheKeyAndLine() throws {
        let cases: [(String, String, String)] = [
            (
                "[authenticity]\noperator_commits = genuine, clone\n", "authenticity.operator_commits",
                "authenticity.never_acceptable"
            ),
            (
                "[authenticity]\nhealth_accepts = hashMismatch\n", "authenticity.health_accepts",
                "authenticity.never_acceptable"
            ),
            (
                "[authenticity]\nsupervisor_overrides = genuine\n", "authenticity.supervisor_overrides",
                "authenticity.overlap"
            ),
            (
                "[authenticity]\nsupervisor_overrides = unconfirmed\nnever_accepted = unconfirmed\n",
                "authenticity.never_accepted", "authenticity.overlap"
            ),
            (
                "[authenticity]\noperator_commits = genuine, noTrustAnchor\n", "authenticity.operator_commits",
                "invalid value"
            ),
        ]
        for (text, key, reason) in cases {
            let path = try temporaryFile(text)
            do {
                _ = try StationConfiguration.load(file: path, environment: [:])
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.errors.map(\.key) == [key], "\(text)")
                #expect(error.errors.first?.line != nil, "\(text)")
                #expect(error.errors.first?.description.contains(reason) == true, "\(error)")
            }
        }
        // The default never-list yields to an accepting list written in the file.
        let relaxed = try temporaryFile("[authenticity]\nsupervisor_overrides = unconfirmed, notChecked\n")
        #expect(
            try StationConfiguration.load(file: relaxed, environment: [:]).policy.authenticity
                .decision(for: .notChecked) == .supervisorOverride)
    }
}
