import Foundation
import Intake

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

    /// `count` deterministic, incompressible bytes (xorshift from `seed`): stand-ins for JPEG, WSQ and sealed data.
    public static func bytes(_ count: Int, seed: Int) -> Data {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        var data = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            data[i] = UInt8(truncatingIfNeeded: state)
        }
        return Data(data)
    }

    /// An application for `citizen` with about `biometricBytes` of fingerprint records and a ~12 KB portrait
    /// (incompressible bytes, like real JPEG and WSQ data).
    public static func application(for citizen: Citizen, biometricBytes: Int = 20_000, seed: Int = 0) -> Application {
        let jpeg = SyntheticJPEG.headers(width: 480, height: 640, size: 12_027, fill: .seeded(seed &+ 1))
        let prints = [FingerPosition.rightIndex, .leftIndex].enumerated().map { index, position in
            FingerprintCapture(
                position: position,
                outcome: .captured(quality: 72, record: bytes(biometricBytes / 2, seed: seed &+ 2 &+ index)))
        }
        let sex: Sex = citizen.sex == "M" ? .male : citizen.sex == "F" ? .female : .unspecified
        return Application(
            capturedAt: Date(),
            identity: ChipIdentity(
                idNumber: CitizenID(citizen.idNumber)!, fullName: citizen.fullName,
                dateOfBirth: CalendarDate(iso: citizen.dateOfBirth)!, sex: sex,
                expiry: CalendarDate(iso: "2040-01-01")),
            authenticity: .genuine, chipPortrait: bytes(6_000, seed: seed &+ 9),
            livePortrait: try! LivePortrait(jpeg: jpeg), fingerprints: prints,
            phone: try! PhoneNumber(parsing: "0912345678"), bundle: .utility, priorityGroup: nil,
            operatorID: OperatorID("op-01"),
            point: RegistrationPoint(communeCode: "19123", kind: .mobile, placeName: "Nhà văn hóa xã"))
    }
}
