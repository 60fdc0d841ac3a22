import COpenSSL
import ChipID
import Simulation
import SmartCard

/// Chips for the authenticity tests: the simulator's in-memory eMRTD (`InMemoryEMRTD`, BAC only) holding chosen
/// Chip and Active Authentication keys. A clone is a chip whose keys are not the ones its DG14/DG15 publish.
enum AuthenticationChips {
    /// The chip: `files`, the test MRZ, `keys`, and optionally already inside `session` (no BAC).
    static func chip(
        files: [LDSFile: [UInt8]], keys: EMRTDChipKeys?, session: SecureMessagingSession? = nil
    ) throws -> InMemoryEMRTD {
        var configuration = InMemoryEMRTD.Configuration(files: files, cardAccess: nil, mrz: try TestCCCD.seed)
        configuration.chipKeys = keys
        configuration.session = session
        return InMemoryEMRTD(configuration)
    }

    /// Keys with a fresh CA scalar on brainpoolP256r1 (or `caPrivate`) and the AA key given, if any.
    static func keys(
        caPrivate: [UInt8]? = nil,
        aa: (key: SimulatedPrivateKey, scheme: EMRTDChipKeys.ActiveAuthenticationScheme)? = nil
    ) throws -> EMRTDChipKeys {
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        return try EMRTDChipKeys(
            caCurve: curve, caPrivate: try caPrivate ?? curve.randomScalar(), activeAuthentication: aa)
    }
}
