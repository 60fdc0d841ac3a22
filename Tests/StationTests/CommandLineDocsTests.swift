import Foundation
import StationTestKit
import Testing

/// The man pages and shell completions come from the same ArgumentParser definitions as the commands
/// (`make man`, `make completions`); these tests generate them from the built binaries and check what an operator
/// or technician would look for.
@Suite struct CommandLineDocsTests {
    /// `generate-manual`: swift-argument-parser's tool behind its GenerateManual plugin. `make test` builds it
    /// (`swift build --product generate-manual`) before the tests run.
    static func generateManual() throws -> String {
        do { return try Binaries.path("generate-manual") } catch {
            throw HarnessError(
                "generate-manual is not built: run `swift build --product generate-manual` "
                    + "(make test does) — \(error)")
        }
    }

    @Test("bash, zsh and fish completions of stationctl know every subcommand and option")
    func completions() throws {
        let stationctl = try Binaries.path("stationctl")
        let bash = try runTool(stationctl, ["--generate-completion-script", "bash"])
        #expect(bash.status == 0)
        for word in [
            "status", "devices", "intake", "queue", "upload", "export", "verify", "report", "watch", "config",
            "--json", "--lang", "--socket", "--wait",
        ] {
            #expect(bash.output.contains(word), "bash completion lacks \(word)")
        }
        let zsh = try runTool(stationctl, ["--generate-completion-script", "zsh"])
        #expect(zsh.status == 0 && zsh.output.hasPrefix("#compdef stationctl"))
        let fish = try runTool(stationctl, ["--generate-completion-script", "fish"])
        #expect(fish.status == 0 && fish.output.contains("complete -c 'stationctl'"))
        let stationd = try runTool(try Binaries.path("stationd"), ["--generate-completion-script", "bash"])
        for word in ["readers", "card", "simulate", "fingerprint", "run", "--can", "--trust"] {
            #expect(stationd.output.contains(word), "stationd completion lacks \(word)")
        }
    }

    @Test("the man page of stationctl documents each subcommand, its options and the exit codes")
    func manPage() throws {
        let tool = try Self.generateManual()
        let output = LivePCSC.packageRoot.appendingPathComponent(".build/test-man-\(getpid())")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try runTool(
            tool,
            [try Binaries.path("stationctl"), "--output-directory", output.path, "--authors", "issuance-station"],
            environment: ProcessInfo.processInfo.environment.merging(["STATION_LANG": "en"]) { $1 },  // English help
            timeout: 60)
        #expect(result.status == 0, "\(result.output)")
        let page = try String(contentsOf: output.appendingPathComponent("stationctl.1"), encoding: .utf8)
        #expect(page.contains(".Dt STATIONCTL 1"))
        #expect(page.lowercased().contains("control the station daemon"))  // the catalog capitalises it
        for subcommand in ["status", "intake", "queue", "upload", "export", "verify", "report", "watch"] {
            #expect(page.contains(subcommand), "man page lacks \(subcommand)")
        }
        #expect(page.contains("--json") || page.contains("json"))
        #expect(page.contains("78"), "the exit codes are in the page")
    }
}
