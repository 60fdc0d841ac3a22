import Foundation
import Intake
import Simulation

/// Synthetic applications for tests, demos and the benchmark (no real person's data).
public enum SampleApplications {
    /// A citizen of the synthetic population.
    public struct Citizen: Sendable, Hashable {
        /// 12-digit ID number.
        public var idNumber: String
        /// Full name as on the chip.
        public var fullName: String
        /// ISO date of birth.
        public var dateOfBirth: String
        /// `M` or `F`.
        public var sex: String
        /// Creates a citizen.
        public init(idNumber: String, fullName: String, dateOfBirth: String, sex: String) {
            self.idNumber = idNumber
            self.fullName = fullName
            self.dateOfBirth = dateOfBirth
            self.sex = sex
        }

        /// The population CSV line (`id_number,full_name,date_of_birth,sex,note`).
        public var csvLine: String { "\(idNumber),\(fullName),\(dateOfBirth),\(sex),synthetic" }
    }

    /// `count` distinct synthetic citizens, numbered from `start`.
    public static func citizens(_ count: Int, start: Int = 0) -> [Citizen] {
        var result: [Citizen] = []
        for n in start..<(start + count) {
            let year = 60 + n % 40
            let month = 1 + n % 12
            let day = 1 + n % 28
            let birth = String(format: "19%02d-%02d-%02d", year, month, day)
            let name = "Nguyễn Thị Thử " + String(n)
            result.append(
                Citizen(
                    idNumber: String(format: "0790%08d", n), fullName: name, dateOfBirth: birth,
                    sex: n % 2 == 0 ? "F" : "M"))
        }
        return result
    }

    /// `count` deterministic, incompressible bytes (`SyntheticBytes.seeded`): stand-ins for JPEG, WSQ and sealed
    /// data.
    public static func bytes(_ count: Int, seed: Int) -> Data { SyntheticBytes.seeded(count, seed: seed) }

    /// `count` fresh random bytes (`SyntheticBytes.random`).
    public static func randomBytes(_ count: Int) -> Data { SyntheticBytes.random(count) }

    /// A random 12-digit ID number.
    public static func randomCitizenID() -> CitizenID {
        CitizenID((0..<12).map { _ in String(Int.random(in: 0...9)) }.joined())!
    }

    /// Both index fingers captured at `quality`, each record `recordBytes` long: fresh random bytes, or
    /// deterministic ones (`bytes(_:seed:)`, seeds `seed`, `seed + 1`) when `seed` is given.
    public static func indexFingers(quality: Int = 70, recordBytes: Int = 15_000, seed: Int? = nil)
        -> [FingerprintCapture]
    {
        [FingerPosition.rightIndex, .leftIndex].enumerated().map { index, position in
            let record = seed.map { bytes(recordBytes, seed: $0 &+ index) } ?? randomBytes(recordBytes)
            return FingerprintCapture(position: position, outcome: .captured(quality: quality, record: record))
        }
    }

    /// The one sample-application builder: every field has a synthetic default (a random ID number, NGUYỄN VĂN AN
    /// born 1990-05-17, header-only portraits of random bytes, both index fingers, a mobile point in commune
    /// 01234, officer-1); a test names what it is about.
    public static func application(
        idNumber: CitizenID = randomCitizenID(), fullName: String = "NGUYỄN VĂN AN",
        dateOfBirth: CalendarDate = CalendarDate(year: 1990, month: 5, day: 17)!, sex: Sex = .male,
        expiry: CalendarDate? = CalendarDate(year: 2040, month: 5, day: 17)!, capturedAt: Date = Date(),
        authenticity: AuthenticityVerdict = .genuine, override: SupervisorOverride? = nil,
        chipPortrait: Data = SyntheticJPEG.headers(width: 240, height: 320, size: 6_000),
        livePortrait: Data = SyntheticJPEG.headers(width: 480, height: 640, size: 10_000),
        fingerprints: [FingerprintCapture] = indexFingers(), phone: String = "0912345678",
        priorityGroup: PriorityGroup? = nil, operatorID: String = "officer-1",
        point: RegistrationPoint = RegistrationPoint(communeCode: "01234", kind: .mobile, placeName: "Nhà văn hóa")
    ) -> Application {
        Application(
            capturedAt: capturedAt,
            identity: ChipIdentity(
                idNumber: idNumber, fullName: fullName, dateOfBirth: dateOfBirth, sex: sex, expiry: expiry),
            authenticity: authenticity, authenticityOverride: override, chipPortrait: chipPortrait,
            livePortrait: try! LivePortrait(jpeg: livePortrait), fingerprints: fingerprints,
            phone: try! PhoneNumber(parsing: phone), bundle: .utility, priorityGroup: priorityGroup,
            operatorID: OperatorID(operatorID), point: point)
    }

    /// An application for `citizen` with about `biometricBytes` of fingerprint records and a ~12 KB portrait
    /// (incompressible bytes, like real JPEG and WSQ data), the same for the same `seed`.
    public static func application(for citizen: Citizen, biometricBytes: Int = 20_000, seed: Int = 0) -> Application {
        application(
            idNumber: CitizenID(citizen.idNumber)!, fullName: citizen.fullName,
            dateOfBirth: CalendarDate(iso: citizen.dateOfBirth)!,
            sex: citizen.sex == "M" ? .male : citizen.sex == "F" ? .female : .unspecified,
            expiry: CalendarDate(iso: "2040-01-01"), authenticity: .genuine,
            chipPortrait: bytes(6_000, seed: seed &+ 9),
            livePortrait: SyntheticJPEG.headers(width: 480, height: 640, size: 12_027, fill: .seeded(seed &+ 1)),
            fingerprints: indexFingers(quality: 72, recordBytes: biometricBytes / 2, seed: seed &+ 2),
            operatorID: "op-01",
            point: RegistrationPoint(communeCode: "19123", kind: .mobile, placeName: "Nhà văn hóa xã"))
    }
}
