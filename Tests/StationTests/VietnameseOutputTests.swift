import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing
import Uplink

/// `stationctl`'s Vietnamese text output names states, verdicts, bundles and phases in Vietnamese: no English
/// vocabulary word may appear, whatever the applications' states.
@Suite(.serialized)
struct VietnameseOutputTests {
    /// The wire values people must never read in Vietnamese output (queue, central, upload and session states,
    /// verdicts, bundles).
    static let englishWords = [
        "captured", "ready", "batched", "uploaded", "held", "needsAttention", "cancelled", "exported", "unknown",
        "received", "accepted", "rejected", "resend", "activated", "idle", "uploading", "offline", "failed",
        "notEnrolled", "notConfigured", "genuine", "noTrustAnchor", "untrustedSigner", "notChecked", "utility",
        "2in1", "3in1", "4in1", "cardRead", "biometrics", "review", "committed", "abandoned", "daily", "weekly",
    ]

    /// The English words of `text`, matched as whole words.
    static func englishWords(in text: String) -> [String] {
        let words = Set(text.split { !($0.isLetter || $0.isNumber) }.map(String.init))
        return englishWords.filter(words.contains)
    }

    @Test func everyCommandSpeaksVietnamese() throws {
        let daemon = try DaemonUnderTest(name: "vietnamese")
        try daemon.start()
        let stopped = daemon.stop()
        #expect(stopped == 0, "\(daemon.log)")
        // Applications in most states, written straight into the daemon's store while it is stopped.
        var ids: [ApplicationID] = []
        do {
            let queue = try ApplicationQueue(
                configuration: .init(
                    databasePath: daemon.directory.path + "/state/queue.sqlite",
                    keyFilePath: daemon.directory.path + "/state/queue.key", minimumFreeBytes: 1 << 20))
            let states: [ApplicationStatus] = [
                .init(local: .captured, central: .unknown), .init(local: .ready, central: .unknown),
                .init(local: .held, central: .unknown), .init(local: .cancelled, central: .unknown),
            ]
            for (index, citizen) in SampleApplications.citizens(states.count, start: 31_000).enumerated() {
                let application = SampleApplications.application(for: citizen, biometricBytes: 2_000, seed: index)
                try queue.commit(application, by: .system)
                if states[index].local != .captured {
                    try queue.transition(application.id, to: states[index], by: .system)
                }
                ids.append(application.id)
            }
        }
        try daemon.start()
        defer { _ = daemon.stop() }
        let commands: [[String]] = [
            ["status"], ["devices"], ["queue", "ls"], ["queue", "show", ids[2].text], ["queue", "show", ids[3].text],
            ["queue", "release", ids[2].text], ["upload", "--status"], ["report", "daily", "--table", "intake"],
            ["report", "weekly"], ["exceptions", "ls"],
        ]
        for command in commands {
            let result = try daemon.stationctl(command)
            let found = Self.englishWords(in: result.output)
            #expect(found.isEmpty, "stationctl \(command.joined(separator: " ")): \(found)\n\(result.output)")
        }
        // The same commands in English do use the words (the check above can fail).
        let english = try daemon.stationctl(["queue", "ls", "--lang", "en"])
        #expect(!Self.englishWords(in: english.output).isEmpty, "\(english.output)")
        // Times are Vietnam time.
        let listing = try daemon.stationctl(["queue", "ls"]).output
        #expect(!listing.contains("Z\n") && !listing.contains("T0"), "\(listing)")
    }
}
