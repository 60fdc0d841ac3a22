import Foundation
import Intake
import Queue
import StationTestKit

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory per test, removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String
    init() {
        var template = Array((NSTemporaryDirectory() + "/queue-test-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }
    var database: String { path + "/queue.sqlite" }
    var keyFile: String { path + "/queue.key" }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The kit's header-only JPEG, padded with `fill` bytes (random when nil).
func syntheticJPEG(width: Int, height: Int, size: Int, fill: UInt8? = nil) -> Data {
    SyntheticJPEG.headers(width: width, height: height, size: size, fill: fill.map { .byte($0) } ?? .random)
}

func randomCitizen() -> CitizenID {
    CitizenID((0..<12).map { _ in String(Int.random(in: 0...9)) }.joined())!
}

func sampleApplication(
    citizen: CitizenID = randomCitizen(), name: String = "NGUYỄN VĂN AN", commune: String = "01234",
    operatorID: String = "officer-1", capturedAt: Date = Date(), printBytes: Int = 15_000,
    override: SupervisorOverride? = nil
) -> Application {
    let identity = ChipIdentity(
        idNumber: citizen, fullName: name, dateOfBirth: CalendarDate(year: 1990, month: 5, day: 17)!, sex: .male,
        expiry: CalendarDate(year: 2040, month: 5, day: 17)!)
    let prints = [FingerPosition.rightIndex, .leftIndex].map { position in
        FingerprintCapture(
            position: position,
            outcome: .captured(quality: 70, record: Data((0..<printBytes).map { _ in UInt8.random(in: 0...255) })))
    }
    return Application(
        capturedAt: capturedAt, identity: identity, authenticity: override == nil ? .genuine : .unconfirmed,
        authenticityOverride: override, chipPortrait: syntheticJPEG(width: 240, height: 320, size: 6_000),
        livePortrait: try! LivePortrait(jpeg: syntheticJPEG(width: 480, height: 640, size: 10_000)),
        fingerprints: prints, phone: try! PhoneNumber(parsing: "0912345678"), bundle: .utility,
        priorityGroup: .workersAndOfficials, operatorID: OperatorID(operatorID),
        point: RegistrationPoint(communeCode: commune, kind: .mobile, placeName: "Nhà văn hóa thôn Đông"))
}

func openQueue(_ dir: TemporaryDirectory, now: @escaping @Sendable () -> Date = { Date() }) throws -> ApplicationQueue {
    try ApplicationQueue(
        configuration: .init(databasePath: dir.database, keyFilePath: dir.keyFile, minimumFreeBytes: 1 << 20, now: now))
}

let officer = QueueActor.officer(OperatorID("officer-1"))
let supervisor = QueueActor.supervisor(OperatorID("supervisor-1"))

extension ApplicationStatus {
    static func s(_ local: LocalState, _ central: CentralState = .unknown) -> ApplicationStatus {
        ApplicationStatus(local: local, central: central)
    }
}

/// Reads a whole file, or empty data when absent.
func fileBytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }
