import Foundation
import Intake
import Station
import Testing

@Suite struct QuotaConfigurationTests {
    @Test func quotasAndPhasesAreRead() throws {
        let file = try temporaryFile(
            """
            [quota]
            commune_daily = 500
            commune_daily_by_code = 16001:40, 16002:0
            phases = gd2:2023-05-01..2023-06-15:80000; gd1:2023-04-15..2023-04-30:50000;gd3:2023-06-16..2023-11-15:50000
            """)
        let quotas = try StationConfiguration.load(file: file, environment: [:]).quotas
        #expect(quotas.daily(for: "16000") == 500)
        #expect(quotas.daily(for: "16001") == 40)
        #expect(quotas.daily(for: "16002") == 0)
        #expect(quotas.phases.map(\.name) == ["gd1", "gd2", "gd3"])
        #expect(quotas.phases.map(\.target) == [50_000, 80_000, 50_000])
        #expect(quotas.phase(on: CalendarDate(iso: "2023-04-30")!)?.name == "gd1")
        #expect(quotas.phase(on: CalendarDate(iso: "2023-05-01")!)?.name == "gd2")
        #expect(quotas.phase(on: CalendarDate(iso: "2023-11-16")!) == nil)
        #expect(try StationConfiguration.load(file: nil, environment: [:]).quotas == .none)
    }

    @Test func nonsenseQuotasAreRefusedWithKeyAndLine() throws {
        let file = try temporaryFile(
            """
            [station]
            profile = intake
            [quota]
            commune_daily = -5
            commune_daily_by_code = 16001:-1
            phases = gd1:2023-04-15..2023-04-30:50000; gd2:2023-04-30..2023-06-15:80000
            """)
        do {
            _ = try StationConfiguration.load(file: file, environment: [:])
            Issue.record("nonsense quotas accepted")
        } catch {
            let found = error.errors.map { "\($0.line ?? 0) \($0.key ?? "-") \($0.code)" }
            #expect(
                found == [
                    "4 quota.commune_daily config.invalid_value", "5 quota.commune_daily_by_code config.invalid_value",
                    "6 quota.phases config.invalid_value",
                ])
            #expect(error.errors[0].reason.contains("negative"))
            #expect(error.errors[2].reason.contains("overlap"))
        }
        for (value, reason) in [
            ("gd1:2023-04-30..2023-04-15:1", "ends before it starts"), ("gd1:2023-04-15..2023-04-30:-1", "negative"),
            ("gd1:15/4/2023..30/4/2023:1", "YYYY-MM-DD"), ("gd1:2023-04-15..2023-04-30", "expected NAME"),
        ] {
            let bad = try temporaryFile("[quota]\nphases = \(value)\n")
            #expect(throws: ConfigurationErrors.self) { try StationConfiguration.load(file: bad, environment: [:]) }
            do { _ = try StationConfiguration.load(file: bad, environment: [:]) } catch {
                #expect(error.errors.first?.reason.contains(reason) == true, "\(value): \(error)")
                #expect(error.errors.first?.line == 2)
            }
        }
        // From the environment: the key named, no line.
        do {
            _ = try StationConfiguration.load(file: nil, environment: ["STATIOND_QUOTA_COMMUNE_DAILY": "-1"])
            Issue.record("negative quota from the environment accepted")
        } catch {
            #expect(error.errors.first?.key == "quota.commune_daily" && error.errors.first?.line == nil)
        }
    }
    @Test func quotasPerTeamAndOfficialAreReadAndNonsenseRefusedWithKeyAndLine() throws {
        let file = try temporaryFile("[quota]\nteam_daily = 150\nofficer_daily = 20..50\n")
        let quotas = try StationConfiguration.load(file: file, environment: [:]).quotas
        #expect(quotas.teamDaily == 150 && quotas.officerDaily == 20...50)
        let single = try temporaryFile("[quota]\nofficer_daily = 30\nteam_daily = 0\n")
        let plain = try StationConfiguration.load(file: single, environment: [:]).quotas
        #expect(plain.officerDaily == 30...30 && plain.teamDaily == nil)
        #expect(try StationConfiguration.load(file: nil, environment: [:]).quotas.officerDaily == nil)
        for (key, value, reason) in [
            ("officer_daily", "50..20", "above the most"), ("officer_daily", "-5", "negative"),
            ("officer_daily", "-5..20", "negative"), ("officer_daily", "20-50", "MIN..MAX"),
            ("officer_daily", "1..2..3", "MIN..MAX"), ("team_daily", "-1", "negative"), ("team_daily", "many", "whole"),
        ] {
            let bad = try temporaryFile("[station]\nprofile = intake\n[quota]\n\(key) = \(value)\n")
            do {
                _ = try StationConfiguration.load(file: bad, environment: [:])
                Issue.record("quota.\(key) = \(value) accepted")
            } catch {
                let found = error.errors.map { "\($0.line ?? 0) \($0.key ?? "-") \($0.code)" }
                #expect(found == ["4 quota.\(key) config.invalid_value"], "\(value)")
                #expect(error.errors.first?.reason.contains(reason) == true, "\(value): \(error)")
            }
        }
    }
}
