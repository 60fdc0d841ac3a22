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

/// The kit's sample application with this suite's defaults (a worker's priority group; a supervisor's override
/// makes the chip unconfirmed).
func sampleApplication(
    citizen: CitizenID = SampleApplications.randomCitizenID(), name: String = "NGUYỄN VĂN AN",
    commune: String = "01234", operatorID: String = "officer-1", capturedAt: Date = Date(), printBytes: Int = 15_000,
    override: SupervisorOverride? = nil
) -> Application {
    SampleApplications.application(
        idNumber: citizen, fullName: name, capturedAt: capturedAt,
        authenticity: override == nil ? .genuine : .unconfirmed,
        override: override, fingerprints: SampleApplications.indexFingers(recordBytes: printBytes),
        priorityGroup: .workersAndOfficials, operatorID: operatorID,
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
