import Foundation
import SmartCard
import Testing

@testable import ChipID

/// Bounded mutation fuzzing of every parser: no crash, and only typed errors with the expected codes.
/// Default ≥ 100,000 cases in total; `STATION_FUZZ_ITERATIONS` sets the cases per parser for long runs.
@Suite("Parser robustness (mutation fuzzing)")
struct FuzzTests {
    static let perParser: Int = {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["STATION_FUZZ_ITERATIONS"], let n = Int(text), n > 0 { return n }
        return 20_000
    }()

    /// SplitMix64: deterministic, so a failure replays.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
        mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    }

    /// One random structural or byte-level mutation.
    static func mutate(_ input: [UInt8], _ g: inout Generator) -> [UInt8] {
        var bytes = input
        let rounds = 1 + g.int(3)
        for _ in 0..<rounds {
            guard !bytes.isEmpty else { return [g.byte()] }
            let at = g.int(bytes.count)
            switch g.int(10) {
            case 0: bytes[at] ^= 1 << UInt8(g.int(8))
            case 1: bytes[at] = g.byte()
            case 2: bytes.removeLast(g.int(bytes.count) + 1)  // truncate
            case 3: bytes.insert(contentsOf: (0..<(1 + g.int(8))).map { _ in g.byte() }, at: at)
            case 4:  // length forms
                let forms: [UInt8] = [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xFF, 0x7F, 0x00]
                bytes[at] = forms[g.int(forms.count)]
            case 5:  // 4-byte length claiming far past the end
                let length: [UInt8] = [0x84, g.byte(), g.byte(), g.byte(), g.byte()]
                bytes.replaceSubrange(at..<min(bytes.count, at + 1), with: length)
            case 6:  // tags
                let tags: [UInt8] = [0x1F, 0x5F, 0x7F, 0x30, 0x31, 0x02, 0x06, 0x0C, 0x13, 0x7C]
                bytes[at] = tags[g.int(tags.count)]
            case 7:  // nested garbage: wrap a slice in a constructed tag
                let end = min(bytes.count, at + g.int(64))
                let slice = Array(bytes[at..<end])
                let tags: [UInt32] = [0x30, 0x31, 0x7F61, 0x7F60, 0xA1]
                let wrapped = TLV.encode(tag: tags[g.int(tags.count)], value: slice)
                bytes.replaceSubrange(at..<end, with: wrapped)
            case 8: bytes.remove(at: at)
            default:  // duplicate a segment
                let end = min(bytes.count, at + g.int(32))
                let segment = Array(bytes[at..<end])
                bytes.insert(contentsOf: segment, at: g.int(bytes.count))
            }
        }
        return bytes
    }

    static func random(_ g: inout Generator) -> [UInt8] {
        let leadingTags: [UInt8] = [0x60, 0x61, 0x75, 0x6D, 0x6E, 0x31, 0x30, 0x7F]
        var out: [UInt8] = [leadingTags[g.int(leadingTags.count)]]
        for _ in 0..<g.int(300) { out.append(g.byte()) }
        return out
    }

    /// Runs `parse` on mutated seeds and random inputs; returns (cases, successes).
    static func run(
        _ seeds: [[UInt8]], seed: UInt64, count: Int = perParser,
        _ parse: ([UInt8]) throws(ChipIDError) -> Void
    ) -> (Int, Int) {
        var g = Generator(state: seed)
        var accepted = 0
        let allowed: Set<ChipIDError.Code> = [.malformedFile, .unsupported]
        for index in 0..<count {
            let input = index % 10 == 9 ? random(&g) : mutate(seeds[g.int(seeds.count)], &g)
            do {
                try parse(input)
                accepted += 1
            } catch {
                if !allowed.contains(error.code) {
                    Issue.record("unexpected error code \(error.code) for case \(index) (seed \(seed))")
                    break
                }
            }
        }
        return (count, accepted)
    }

    static var bsi: [[UInt8]] {
        ["EF_COM.bin", "Datagroup1.bin", "Datagroup2.bin", "Datagroup14.bin"].compactMap {
            fixture("lds/bsi-tr03105-5", $0)
        }
    }

    @Test("TLV reader")
    func tlv() {
        let seeds = [TestDataSet.dg13(), TestDataSet.com, TestDataSet.dg1, TestDataSet.cardAccess] + Self.bsi
        let (cases, _) = Self.run(seeds, seed: 1) { (bytes) throws(ChipIDError) in
            var offset = 0
            var depth = 0
            // Walk everything, recursing into constructed values.
            var stack: [[UInt8]] = [bytes]
            while let next = stack.popLast(), depth < 10_000 {
                depth += 1
                offset = 0
                while offset < next.count {
                    let (object, end) = try TLV.parse(next, at: offset)
                    precondition(end > offset && end <= next.count)
                    if object.isConstructed { stack.append(object.value) }
                    offset = end
                }
            }
        }
        #expect(cases == Self.perParser)
    }

    @Test("EF.COM")
    func com() {
        let seeds = [TestDataSet.com] + (fixture("lds/bsi-tr03105-5", "EF_COM.bin").map { [$0] } ?? [])
        let (cases, accepted) = Self.run(seeds, seed: 2) { (bytes) throws(ChipIDError) in _ = try EFCOM(bytes) }
        #expect(cases == Self.perParser && accepted < cases)
    }

    @Test("DG1")
    func dg1() {
        let seeds = [TestDataSet.dg1] + (fixture("lds/bsi-tr03105-5", "Datagroup1.bin").map { [$0] } ?? [])
        let (cases, accepted) = Self.run(seeds, seed: 3) { (bytes) throws(ChipIDError) in _ = try DG1(bytes) }
        #expect(cases == Self.perParser && accepted < cases)
    }

    @Test("DG2")
    func dg2() {
        let seeds =
            [TestDataSet.dg2(image: TestDataSet.jpeg(200))]
            + (fixture("lds/bsi-tr03105-5", "Datagroup2.bin").map { [$0] } ?? [])
        let (cases, accepted) = Self.run(seeds, seed: 4) { (bytes) throws(ChipIDError) in _ = try DG2(bytes) }
        #expect(cases == Self.perParser && accepted < cases)
    }

    @Test("DG13")
    func dg13() {
        let seeds = [TestDataSet.dg13(), TestDataSet.dg13(flatParents: true)]
        let (cases, accepted) = Self.run(seeds, seed: 5) { (bytes) throws(ChipIDError) in _ = try CitizenInfo(bytes) }
        #expect(cases == Self.perParser && accepted < cases)
    }

    @Test("SecurityInfos (EF.CardAccess, DG14)")
    func securityInfos() {
        let seeds = [TestDataSet.cardAccess] + (fixture("lds/bsi-tr03105-5", "Datagroup14.bin").map { [$0] } ?? [])
        let (cases, _) = Self.run(seeds, seed: 6, count: Self.perParser / 2) { (bytes) throws(ChipIDError) in
            _ = try SecurityInfos(der: bytes)
        }
        #expect(cases == Self.perParser / 2)
    }

    @Test("SM response unprotection never crashes and only throws SM codes")
    func secureMessaging() throws {
        var card = try SecureMessagingSession(
            algorithm: .aes128, encryptionKey: Array(repeating: 3, count: 16),
            macKey: Array(repeating: 4, count: 16))
        let terminal = card
        let good = try card.protectResponse(ResponseAPDU(data: Array(repeating: 9, count: 40), status: .success))
        var g = Generator(state: 7)
        let allowed: Set<ChipIDError.Code> = [.badMAC, .smMalformed]
        for index in 0..<(Self.perParser / 2) {
            var session = terminal
            _ = try session.protect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 40))
            let data = Self.mutate(good.data, &g)
            do {
                _ = try session.unprotect(ResponseAPDU(data: data, status: .success))
            } catch {
                if !allowed.contains(error.code) {
                    Issue.record("unexpected \(error.code) at \(index)")
                    break
                }
                #expect(session.isClosed)
            }
        }
    }

    @Test("MRZ text")
    func mrz() {
        var g = Generator(state: 8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<<<<<<<<")
        let seeds = [
            TestCCCD.mrzText,
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" + "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ]
        var accepted = 0
        for index in 0..<(Self.perParser / 2) {
            var chars = Array(seeds[index % 2])
            for _ in 0..<(1 + g.int(3)) {
                guard !chars.isEmpty else { break }
                let at = g.int(chars.count)
                switch g.int(4) {
                case 0: chars[at] = alphabet[g.int(alphabet.count)]
                case 1: chars.remove(at: at)
                case 2: chars.insert(alphabet[g.int(alphabet.count)], at: at)
                default: chars[at] = ["\n", " ", "é", "\u{0}"][g.int(4)]
                }
            }
            do {
                _ = try MRZ(String(chars))
                accepted += 1
            } catch {
                _ = error.field  // typed: MRZError
            }
        }
        #expect(accepted < Self.perParser / 2)
    }
}
