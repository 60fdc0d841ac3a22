import Foundation
import Testing

@testable import Biometrics

@Suite struct ProfileTests {
    @Test func catalogueLoadsEveryFamily() throws {
        let catalog = try DeviceProfileCatalog(directory: Fixtures.profiles)
        #expect(catalog.profiles.count == 8)
        #expect(catalog.profile(vendor: 0x05BA, product: 0x000A)?.driver == "uru4000")
        #expect(catalog.profile(vendor: 0x298D, product: 0x1010)?.driver == "nb1010")
        #expect(catalog.profile(vendor: 0x045E, product: 0x00CA)?.has("challenge-response") == true)
        #expect(catalog.profile(vendor: 0x1234, product: 0x5678) == nil)
        #expect(
            DeviceProfileCatalog.defaultDirectory(
                executable: Fixtures.packageRoot
                    .appendingPathComponent(".build-x/debug/tool").path
            ).path.hasSuffix("Devices/biometric"))
    }

    @Test func duplicateUSBIdIsAConfigurationError() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try String(contentsOf: Fixtures.profiles.appendingPathComponent("nb1010.json"), encoding: .utf8)
        try one.write(to: dir.appendingPathComponent("a.json"), atomically: true, encoding: .utf8)
        try one.write(to: dir.appendingPathComponent("b.json"), atomically: true, encoding: .utf8)
        #expect {
            _ = try DeviceProfileCatalog(directory: dir)
        } throws: { ($0 as? BiometricError)?.code == .configuration }
    }

    /// Every profile has exactly one udev rule (group stationd, MODE 0660) and every rule has a profile.
    @Test func udevRulesAgreeWithProfiles() throws {
        let catalog = try DeviceProfileCatalog(directory: Fixtures.profiles)
        let text = try String(contentsOf: Fixtures.udevRules, encoding: .utf8)
        var ruleIDs: [String] = []
        let ruleLines = text.split(separator: "\n")
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        for line in ruleLines {
            func value(_ key: String) -> String? {
                guard let range = line.range(of: key + "==\"") ?? line.range(of: key + "=\"") else { return nil }
                return String(line[range.upperBound...].prefix { $0 != "\"" })
            }
            let vendor = try #require(value("ATTR{idVendor}"), "rule without idVendor: \(line)")
            let product = try #require(value("ATTR{idProduct}"), "rule without idProduct: \(line)")
            #expect(value("GROUP") == "stationd", "\(line)")
            #expect(value("MODE") == "0660", "\(line)")
            #expect(value("SUBSYSTEM") == "usb", "\(line)")
            ruleIDs.append("\(vendor):\(product)")
        }
        let profileIDs = catalog.profiles.map { "\($0.vendorID.lowercased()):\($0.productID.lowercased())" }
        #expect(ruleIDs.sorted() == profileIDs.sorted())
        #expect(Set(ruleIDs).count == ruleIDs.count)
    }

    @Test func orientationAppliesInversionAndFlips() {
        let image = FingerprintImage(width: 3, height: 2, pixels: [0, 1, 2, 3, 4, 5])
        let rotated = DeviceProfile.Orientation(inverted: true, flipHorizontal: true, flipVertical: true).apply(image)
        #expect(rotated.pixels == [250, 251, 252, 253, 254, 255])
        #expect(
            DeviceProfile.Orientation(inverted: false, flipHorizontal: true, flipVertical: false)
                .apply(image).pixels == [2, 1, 0, 5, 4, 3])
    }
}
