import Biometrics
import ChipID
import ControlAPI
import Messages
import SmartCard

/// The device modules' errors as the control API answers them: their own stable codes, the operator's message,
/// and for technicians the file or step and why in `detail` (never personal data).
extension APIError {
    /// A chip error: 403 for a refused access key, else 502.
    init(chip error: ChipIDError) {
        if let card = error.smartCardError, error.code == .transport {
            // The reader's own code (e.g. `smartcard.card_unresponsive`) says more than `chip.transport`.
            self.init(card: card)
            detail = error.detail
            return
        }
        let denied = [ChipIDError.Code.accessDenied, .accessBlocked].contains(error.code)
        self.init(
            denied ? .forbidden : .badGateway, moduleCode: error.code.rawValue, text: { error.operatorMessage($0) },
            detail: error.detail)
    }

    /// A reader error (502).
    init(card error: SmartCardError) {
        self.init(
            .badGateway, moduleCode: error.code.rawValue, text: { error.operatorMessage($0) }, detail: error.reason)
    }

    /// A fingerprint scanner error (502): the catalog's `biometric.*` message in the caller's language, the
    /// scanner's reason (device, step) in `detail`.
    init(scanner error: BiometricError) {
        self.init(
            .badGateway, moduleCode: error.code.rawValue, text: { error.operatorMessage($0) }, detail: error.reason)
    }

    /// Any error of the modules the routes call, with its stable code; nil for an error no module owns.
    static func known(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError: error
        case let error as IntakeFailure: APIError(error)
        case let error as ChipIDError: APIError(chip: error)
        case let error as SmartCardError: APIError(card: error)
        case let error as BiometricError: APIError(scanner: error)
        default: nil
        }
    }
}
