import Foundation
import Intake
import StationTestKit

/// The kit's header-only JPEG with this suite's defaults: JFIF, 8,000 bytes, padding of 0x5A.
func syntheticJPEG(width: Int, height: Int, size: Int = 8_000, sof: UInt8 = 0xC0) -> Data {
    SyntheticJPEG.headers(width: width, height: height, size: size, fill: .byte(0x5A), jfif: true, sof: sof)
}

func date(_ text: String) -> CalendarDate { CalendarDate(iso: text)! }

let goodCitizen = CitizenID("001099012345")!

func capture(_ position: FingerPosition, quality: Int = 80, bytes: Int = 500) -> FingerprintCapture {
    FingerprintCapture(
        position: position, outcome: .captured(quality: quality, record: Data(repeating: 7, count: bytes)))
}

/// The kit's sample application as this suite's rules expect a valid one (LÊ THỊ HOA, a fixed capture time, a
/// fixed point in commune 03127).
func validApplication(
    born: CalendarDate = date("1990-05-17"), expiry: CalendarDate? = date("2035-05-17"),
    authenticity: AuthenticityVerdict = .genuine
) -> Application {
    SampleApplications.application(
        idNumber: goodCitizen, fullName: "LÊ THỊ HOA", dateOfBirth: born, sex: .female, expiry: expiry,
        capturedAt: Date(timeIntervalSince1970: 1_790_000_000), authenticity: authenticity,
        chipPortrait: syntheticJPEG(width: 240, height: 320), livePortrait: syntheticJPEG(width: 480, height: 640),
        fingerprints: [capture(.rightIndex), capture(.leftIndex)], phone: "0987654321", operatorID: "officer-7",
        point: RegistrationPoint(communeCode: "03127", kind: .fixed, placeName: "Công an huyện"))
}

/// A fake queue answer for the duplicate rule.
struct FakePriors: PriorApplicationLookup {
    var records: [PriorApplication]
    var fails = false
    struct Failure: Error {}
    init(statuses: [PriorApplicationStatus], fails: Bool = false) {
        records = statuses.map { PriorApplication($0) }
        self.fails = fails
    }
    init(records: [PriorApplication]) { self.records = records }
    func priorApplications(for idNumber: CitizenID) throws -> [PriorApplication] {
        if fails { throw Failure() }
        return records
    }
}

func context(today: String = "2026-11-23", priors: [PriorApplicationStatus] = []) -> ValidationContext {
    ValidationContext(today: date(today), priorApplications: FakePriors(statuses: priors))
}
