/// Transitional: the old name of `FingerPositionCode`, kept only because `IntakeCoordinator.swift` (edited by the
/// lead alone) still spells `Biometrics.FingerPosition`. Delete this file once that line says `FingerPositionCode`.
public typealias FingerPosition = FingerPositionCode
