import ControlAPI
import Foundation
import Uplink

extension UplinkUploadService {
    /// The probe's timeout: doctor waits for it, so it is short (a stopped central refuses the connection at once;
    /// a link that drops packets is reported after this long).
    static let probeTimeout: TimeInterval = 3

    /// `GET /v1/upload/probe`: `CentralClient.probeFailure` now, with the keys pinned on disk (the enrollment the
    /// uplink uses), so a central stopped since the last cycle is reported at once rather than at the next one.
    /// Nothing is probed before enrollment (`uplink.not_enrolled`): the station has no keys to check an answer by.
    func probe() async -> UploadProbeWire {
        let timeout = Int(Self.probeTimeout * 1000)
        guard
            let credentials = try? StationCredentials.load(
                directory: settings.stateDirectory, stationID: settings.stationID),
            let pinned = credentials.pinnedCentral
        else {
            return UploadProbeWire(
                configured: true, enrolled: false, ok: false, code: UplinkError.Code.notEnrolled.rawValue,
                timeoutMilliseconds: timeout)
        }
        let started = ContinuousClock.now
        let failure = await client.probeFailure(timeout: Self.probeTimeout, credentials: credentials)
        let elapsed = started.duration(to: .now)
        let milliseconds = Int(
            elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return UploadProbeWire(
            configured: true, enrolled: true, ok: failure == nil, code: failure?.error.code.rawValue,
            elapsedMilliseconds: milliseconds, timeoutMilliseconds: timeout, centralFingerprint: pinned.fingerprint)
    }
}
