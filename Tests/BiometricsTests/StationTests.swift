import Foundation
import Testing

@testable import Biometrics

@Suite struct StationTests {
    static func device(_ vendor: UInt16, _ product: UInt16, port: String) -> USBDeviceInfo {
        USBDeviceInfo(
            vendorID: vendor, productID: product, release: 1, bus: 1, address: 2, portPath: port,
            interfaces: [])
    }

    @Test func scannerSetReportsOnlySupportedChanges() throws {
        var set = ScannerSet(catalog: try DeviceProfileCatalog(directory: Fixtures.profiles))
        let uru = Self.device(0x05BA, 0x000A, port: "1-10")
        let keyboard = Self.device(0x046D, 0xC31C, port: "1-2")
        let nb = Self.device(0x298D, 0x1010, port: "1-7")
        #expect(
            set.rescan([keyboard, uru]).map { if case .attached(let s) = $0 { s.id } else { "" } }
                == ["usb:05ba:000a@1-10"])
        #expect(set.apply(.arrived(keyboard)) == nil)
        #expect(set.apply(.arrived(uru)) == nil)  // already known
        if case .attached(let s)? = set.apply(.arrived(nb)) {
            #expect(s.profile.id == "nb1010")
        } else {
            Issue.record("NB-1010 arrival not reported")
        }
        if case .detached(let s)? = set.apply(.left(uru)) { #expect(s.id == uru.id) } else { Issue.record() }
        #expect(set.apply(.left(uru)) == nil)
        let changes = set.rescan([])
        #expect(changes.count == 1 && set.attached.isEmpty)
    }

    @Test func oneSessionAtATimeAndChainPerSession() async throws {
        let station = try FingerprintStation(
            configuration: BiometricsConfiguration(
                simulator: [.good, .good, .good], useUSB: false, policy: CapturePolicy(threshold: 50, maxAttempts: 1)))
        #expect(try await station.scanners().map(\.id) == ["sim:0"])
        let alice = ClaimOwner(session: "alice")
        let bob = ClaimOwner(session: "bob")
        // Bob holds the scanner: Alice is refused while he does.
        try await station.claims.claim("sim:0", for: bob)
        await #expect { _ = try await station.capture(for: alice, finger: .rightIndex) } throws: {
            ($0 as? BiometricError)?.code == .busy
        }
        await station.endSession("bob")
        let (first, outcome) = try await station.capture(for: alice, finger: .rightIndex)
        let (second, _) = try await station.capture(for: alice, finger: .leftIndex)
        #expect(outcome.meetsThreshold)
        #expect(first.previousHash == CaptureChain.anchor && second.previousHash == first.hash)
        #expect(await station.captures(of: "alice").count == 2)
        #expect(CaptureChain.firstBrokenLink(await station.captures(of: "alice")) == nil)
        // The claim was released after each capture.
        #expect(await station.claims.owner(of: "sim:0") == nil)
        let record = try FingerImageRecord(decoding: second.isoRecord)
        #expect(record.edition == .iso2011 && record.compression == .jpeg2000Lossless)
        #expect(record.views[0].position == .leftIndex)
    }

    @Test func configurationFromEnvironment() {
        let c = BiometricsConfiguration.fromEnvironment([
            "STATION_FINGERPRINT_SIMULATOR": "dry,good",
            "STATION_FINGERPRINT_USB": "0",
        ])
        #expect(c.simulator == [.dry, .good] && !c.useUSB)
        #expect(BiometricsConfiguration.fromEnvironment([:]).simulator == nil)
    }
}
