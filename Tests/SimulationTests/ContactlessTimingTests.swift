import Simulation
import Testing

@Suite("The contactless timing model")
struct ContactlessTimingTests {
    let model = ContactlessTiming()

    @Test func parsesDefaultsAndParameters() throws {
        #expect(ContactlessTiming(parsing: "contactless") == ContactlessTiming())
        let custom = try #require(ContactlessTiming(parsing: "contactless:bitrate=106000,ec_ms=80,rsa_ms=400"))
        #expect(custom.bitRate == 106_000)
        #expect(custom.ecMultiplication == 0.08)
        #expect(custom.rsaSign == 0.4)
        #expect(ContactlessTiming(parsing: "contact") == nil)
        #expect(ContactlessTiming(parsing: "contactless:speed=1") == nil)
        #expect(ContactlessTiming(parsing: "contactless:bitrate=0") == nil)
    }

    @Test func readBinaryCostsOverheadAndAirTime() {
        let command: [UInt8] = [0x0C, 0xB0, 0x00, 0x00, 0x0D] + [UInt8](repeating: 0, count: 14)
        let response = [UInt8](repeating: 0, count: 250)
        let time = model.exchangeTime(command: command, response: response)
        // 2 ms overhead + (19+3 + 250+3) bytes × 9 bits / 424 kbit/s + one frame delay ≈ 7.9 ms.
        #expect(time > 0.0075 && time < 0.0085, "\(time)")
        let slow = ContactlessTiming(parsing: "contactless:bitrate=106000")!.exchangeTime(
            command: command, response: response)
        #expect(slow > 4 * (time - 0.002))
    }

    @Test func publicKeyStepsCostTheChip() {
        let mapping: [UInt8] =
            [0x10, 0x86, 0x00, 0x00, 0x45, 0x7C, 0x43, 0x81, 0x41] + [UInt8](repeating: 4, count: 65)
            + [0x00]
        let keyAgreement: [UInt8] =
            [0x10, 0x86, 0x00, 0x00, 0x45, 0x7C, 0x43, 0x83, 0x41]
            + [UInt8](repeating: 4, count: 65) + [0x00]
        let step1: [UInt8] = [0x10, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00]
        let token: [UInt8] =
            [0x00, 0x86, 0x00, 0x00, 0x0C, 0x7C, 0x0A, 0x85, 0x08] + [UInt8](repeating: 1, count: 8)
            + [0x00]
        let activeAuthentication: [UInt8] = [0x0C, 0x88, 0x00, 0x00, 0x0D] + [UInt8](repeating: 0, count: 14)
        let sw: [UInt8] = [0x90, 0x00]
        let base = model.exchangeTime(command: step1, response: sw)
        #expect(model.exchangeTime(command: mapping, response: sw) > base + 0.099)
        #expect(model.exchangeTime(command: keyAgreement, response: sw) > base + 0.099)
        #expect(model.exchangeTime(command: token, response: sw) < base + 0.001)
        #expect(model.exchangeTime(command: activeAuthentication, response: sw) > 0.25)
    }
}
