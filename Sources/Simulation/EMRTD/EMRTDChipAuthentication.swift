import ChipID
import SmartCard

/// The chip side of Chip Authentication v1 (ECDH) and Active Authentication, inside secure messaging:
/// AES `MSE:Set AT` (`80` CA OID) + `GENERAL AUTHENTICATE` (`7C{80 point}` → `7C 00`), 3DES `MSE:Set KAT`
/// (`91 point`), both answered under the old keys and followed by KSenc = KDF(K, 1), KSmac = KDF(K, 2), SSC = 0;
/// `INTERNAL AUTHENTICATE` signs the challenge with the AA key (ISO/IEC 9796-2 scheme 1 or ECDSA; `6D00` without one).
extension EMRTDApplet {
    /// Answers a protected MSE / GENERAL AUTHENTICATE / INTERNAL AUTHENTICATE (already unwrapped).
    func authenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard let keys = chipKeys else { return ResponseAPDU(status: .insNotSupported) }
        switch command.ins {
        case 0x22: return manageSecurityEnvironment(command, keys)
        case 0x86: return chipAuthenticationKeyAgreement(command, keys)
        default: return internalAuthenticate(command, keys)
        }
    }

    private func manageSecurityEnvironment(_ command: CommandAPDU, _ keys: EMRTDChipKeys) -> ResponseAPDU {
        guard let objects = try? TLV.sequence(command.data) else { return ResponseAPDU(status: .wrongData) }
        switch (command.p1, command.p2) {
        case (0x41, 0xA4):
            guard let oid = objects.first(where: { $0.tag == 0x80 }).flatMap({ try? ASN1.oidString($0.value) }),
                let info = Optional(SecurityInfos.ChipAuthenticationInfo(oid: oid, version: 1)),
                info.isECDH, let cipher = info.cipher, cipher != .tripleDES
            else {
                return ResponseAPDU(status: StatusWord(0x6A80))
            }
            chipAuthenticationOID = oid
            return ResponseAPDU(status: .success)
        case (0x41, 0xA6):
            guard let point = objects.first(where: { $0.tag == 0x91 }) else { return ResponseAPDU(status: .wrongData) }
            return agree(point.value, cipher: .tripleDES, answer: [], keys)
        default:
            return ResponseAPDU(status: .wrongP1P2)
        }
    }

    private func chipAuthenticationKeyAgreement(_ command: CommandAPDU, _ keys: EMRTDChipKeys) -> ResponseAPDU {
        guard let oid = chipAuthenticationOID,
            let cipher = SecurityInfos.ChipAuthenticationInfo(oid: oid, version: 1).cipher
        else {
            return ResponseAPDU(status: .conditionsNotSatisfied)
        }
        chipAuthenticationOID = nil
        guard let outer = try? TLV.single(command.data, expecting: 0x7C, "GENERAL AUTHENTICATE"),
            let point = try? outer.child(0x80)
        else { return ResponseAPDU(status: .wrongData) }
        return agree(point.value, cipher: cipher, answer: [0x7C, 0x00], keys)
    }

    private func agree(
        _ terminalKey: [UInt8], cipher: CipherAlgorithm, answer: [UInt8],
        _ keys: EMRTDChipKeys
    ) -> ResponseAPDU {
        guard let secret = try? keys.chipAuthenticationSecret(terminalKey: terminalKey) else {
            return ResponseAPDU(status: .wrongData)
        }
        let encryption = KeyDerivation.derive(seed: secret, counter: KeyDerivation.encryptionCounter, for: cipher)
        let mac = KeyDerivation.derive(seed: secret, counter: KeyDerivation.macCounter, for: cipher)
        guard let next = try? SecureMessagingSession(algorithm: cipher, encryptionKey: encryption, macKey: mac) else {
            return ResponseAPDU(status: .noPreciseDiagnosis)
        }
        pendingSession = next
        chipAuthentications += 1
        return ResponseAPDU(data: answer, status: .success)
    }

    private func internalAuthenticate(_ command: CommandAPDU, _ keys: EMRTDChipKeys) -> ResponseAPDU {
        guard keys.hasActiveAuthentication else { return ResponseAPDU(status: .insNotSupported) }
        guard command.p1 == 0, command.p2 == 0 else { return ResponseAPDU(status: .wrongP1P2) }
        guard command.data.count == 8 else { return ResponseAPDU(status: .wrongLength) }
        guard let signature = try? keys.activeAuthenticationSignature(challenge: command.data) else {
            return ResponseAPDU(status: .noPreciseDiagnosis)
        }
        return ResponseAPDU(data: signature, status: .success)
    }
}
