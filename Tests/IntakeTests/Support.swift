import Foundation
import Intake

/// A well-formed JPEG header + SOF0 of the given dimensions, padded with a COM segment.
func syntheticJPEG(width: Int, height: Int, size: Int = 8_000, sof: UInt8 = 0xC0) -> Data {
    var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
    bytes += [
        0xFF, sof, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8),
        UInt8(width & 0xFF), 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
    ]
    var remaining = max(0, size - bytes.count - 2)
    while remaining > 4 {
        let chunk = min(remaining - 4, 65_000)
        bytes += [0xFF, 0xFE, UInt8((chunk + 2) >> 8), UInt8((chunk + 2) & 0xFF)]
        bytes += [UInt8](repeating: 0x5A, count: chunk)
        remaining -= chunk + 4
    }
    bytes += [0xFF, 0xD9]
    return Data(bytes)
}

func date(_ text: String) -> CalendarDate { CalendarDate(iso: text)! }

let goodCitizen = CitizenID("001099012345")!

func capture(_ position: FingerPosition, quality: Int = 80, bytes: Int = 500) -> FingerprintCapture {
    FingerprintCapture(
        position: position, outcome: .captured(quality: quality, record: Data(repeating: 7, count: bytes)))
}

func validApplication(
    born: CalendarDate = date("1990-05-17"), expiry: CalendarDate? = date("2035-05-17"),
    authenticity: AuthenticityVerdict = .genuine
) -> Application {
    Application(
        capturedAt: Date(timeIntervalSince1970: 1_790_000_000),
        identity: ChipIdentity(
            idNumber: goodCitizen, fullName: "LÊ THỊ HOA", dateOfBirth: born, sex: .female, expiry: expiry),
        authenticity: authenticity, chipPortrait: syntheticJPEG(width: 240, height: 320),
        livePortrait: try! LivePortrait(jpeg: syntheticJPEG(width: 480, height: 640)),
        fingerprints: [capture(.rightIndex), capture(.leftIndex)], phone: try! PhoneNumber(parsing: "0987654321"),
        bundle: .utility, priorityGroup: nil, operatorID: OperatorID("officer-7"),
        point: RegistrationPoint(communeCode: "03127", kind: .fixed, placeName: "Công an huyện"))
}

/// A fake queue answer for the duplicate rule.
struct FakePriors: PriorApplicationLookup {
    var statuses: [PriorApplicationStatus]
    var fails = false
    struct Failure: Error {}
    func priorApplications(for idNumber: CitizenID) throws -> [PriorApplicationStatus] {
        if fails { throw Failure() }
        return statuses
    }
}

func context(today: String = "2026-11-23", priors: [PriorApplicationStatus] = []) -> ValidationContext {
    ValidationContext(today: date(today), priorApplications: FakePriors(statuses: priors))
}
