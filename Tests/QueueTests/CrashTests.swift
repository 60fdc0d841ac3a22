import Foundation
import GRDB
import Intake
import Queue
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Kills `queue-crash-probe` with SIGKILL at random moments while it commits and moves applications, and
/// checks after each kill that every change it acknowledged (printed after `commit`/`transition` returned)
/// is in the store exactly once, every row opens, and the audit chain is intact.
///
/// SIGKILL tests the process dying, not the machine losing power: the latter is what `synchronous=FULL` is
/// for, and needs a power-cut rig (or dm-flakey) that this test does not have.
@Suite(.serialized) struct CrashTests {
    static var probePath: String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        var directory = (exe as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            let candidate = directory + "/queue-crash-probe"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    struct Acknowledged {
        var commits: [String] = []
        var transitions: [(id: String, status: String)] = []
        var ready = false
        var killed = false
    }

    /// Runs the probe once and kills it after `delay` microseconds; returns what it acknowledged.
    static func runOnce(probe: String, dir: TemporaryDirectory, delay: useconds_t, early: Bool) throws -> Acknowledged {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: probe)
        process.arguments = [dir.database, dir.keyFile] + (early ? ["--ack-before-commit"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        var acknowledged = Acknowledged()
        acknowledged.killed = process.terminationReason == .uncaughtSignal
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            switch parts.first {
            case "R": acknowledged.ready = true
            case "C" where parts.count == 2: acknowledged.commits.append(String(parts[1]))
            case "T" where parts.count == 3: acknowledged.transitions.append((String(parts[1]), String(parts[2])))
            default: Issue.record("unexpected probe output line")
            }
        }
        return acknowledged
    }

    /// What a soak found.
    struct Findings {
        var kills = 0
        var killsAfterOpen = 0
        var probeExitedByItself = 0
        var acknowledgedCommits: Set<String> = []
        var moved: Set<String> = []
        var rowsChecked = 0
        var lostCommits = 0
        var lostTransitions = 0
        var duplicatedRows = 0
        var unreadableRows = 0
        var statusAuditMismatches = 0
        var counterMismatches = 0
        var brokenAuditAfterKill: Int?
        var integrityFailures = 0
    }

    static func soak(probe: String, kills: Int, early: Bool) throws -> Findings {
        let dir = TemporaryDirectory()
        var findings = Findings()
        var checked: Set<String> = []
        for round in 0..<kills {
            // Mostly mid-loop, sometimes during start-up, key creation or migration.
            let delay = useconds_t(round % 10 == 0 ? Int.random(in: 0...15_000) : Int.random(in: 20_000...250_000))
            let acknowledged = try runOnce(probe: probe, dir: dir, delay: delay, early: early)
            findings.kills += 1
            if acknowledged.ready { findings.killsAfterOpen += 1 }
            if !acknowledged.killed { findings.probeExitedByItself += 1 }
            findings.acknowledgedCommits.formUnion(acknowledged.commits)

            let queue = try openQueue(dir)
            let db = try DatabaseQueue(path: dir.database)
            let rows = try db.read { db in
                try Row.fetchAll(db, sql: "SELECT id, COUNT(*) AS n FROM application GROUP BY id")
            }
            var present: [String: Int] = [:]
            for row in rows { present[row["id"]] = row["n"] }
            let total = try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM application") ?? 0 }
            findings.duplicatedRows += total - present.count + present.values.filter { $0 != 1 }.count
            findings.lostCommits += findings.acknowledgedCommits.filter { present[$0] == nil }.count
            findings.acknowledgedCommits.subtract(findings.acknowledgedCommits.filter { present[$0] == nil })
            // Every row, acknowledged or not, must open: nothing half-written.
            for id in present.keys where !checked.contains(id) {
                if (try? queue.application(ApplicationID(id)!))?.id.text != id { findings.unreadableRows += 1 }
                checked.insert(id)
            }
            for (id, status) in acknowledged.transitions {
                findings.moved.insert(id)
                let trail = (try? queue.auditTrail(for: ApplicationID(id)!)) ?? []
                if !trail.contains(where: { $0.to == status }) { findings.lostTransitions += 1 }
            }
            for id in findings.moved.shuffled().prefix(5) {
                let trail = try queue.auditTrail(for: ApplicationID(id)!)
                if try queue.status(of: ApplicationID(id)!).description != trail.last?.to {
                    findings.statusAuditMismatches += 1
                }
            }
            if try queue.summary() != queue.countedSummary() { findings.counterMismatches += 1 }
            if findings.brokenAuditAfterKill == nil, !(try queue.verifyAudit().isIntact) {
                findings.brokenAuditAfterKill = round
            }
            if round % 50 == 49, try queue.pragma("integrity_check") != "ok" { findings.integrityFailures += 1 }
        }
        findings.rowsChecked = checked.count
        return findings
    }

    @Test(.timeLimit(.minutes(5))) func acknowledgedWorkSurvivesSIGKILL() throws {
        guard let probe = Self.probePath else {
            Issue.record("queue-crash-probe not found beside the test binary; build with --build-tests")
            return
        }
        let kills = Int(ProcessInfo.processInfo.environment["STATION_SOAK_KILLS"] ?? "") ?? 200
        let started = Date()
        let findings = try Self.soak(probe: probe, kills: kills, early: false)
        print(
            "CrashTests: \(findings.kills) SIGKILLs (\(findings.killsAfterOpen) after open) in "
                + "\(Int(Date().timeIntervalSince(started))) s; \(findings.acknowledgedCommits.count) acknowledged "
                + "commits, \(findings.moved.count) applications moved, \(findings.rowsChecked) rows checked")
        #expect(findings.lostCommits == 0)
        #expect(findings.lostTransitions == 0)
        #expect(findings.duplicatedRows == 0)
        #expect(findings.unreadableRows == 0)
        #expect(findings.statusAuditMismatches == 0)
        #expect(findings.counterMismatches == 0, "status counters disagree with the rows")
        #expect(findings.brokenAuditAfterKill == nil)
        #expect(findings.integrityFailures == 0)
        #expect(findings.probeExitedByItself == 0, "the probe failed on its own")
        #expect(findings.acknowledgedCommits.count > kills / 2, "too little progress to test anything")
        #expect(findings.moved.count > kills / 4, "too few applications moved to test transitions")
        #expect(findings.killsAfterOpen > kills / 2)
    }

    /// The same harness against a probe that acknowledges before committing must find losses: proof that the
    /// check above can fail.
    @Test(.timeLimit(.minutes(3))) func harnessCatchesAcknowledgementBeforeCommit() throws {
        guard let probe = Self.probePath else {
            Issue.record("queue-crash-probe not found beside the test binary")
            return
        }
        // Rounds of 20 kills until a loss shows (usually in the first or second), at most 300 kills.
        var lost = 0
        var kills = 0
        while lost == 0, kills < 300 {
            lost += try Self.soak(probe: probe, kills: 20, early: true).lostCommits
            kills += 20
        }
        print("CrashTests negative control: \(lost) acknowledged-but-lost commits in \(kills) kills")
        #expect(lost > 0)
    }
}
