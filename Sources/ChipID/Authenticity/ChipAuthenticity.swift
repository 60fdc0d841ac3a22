import Foundation
import SmartCard

/// The anti-clone check a read ran: Chip Authentication (preferred when DG14 offers it) or Active Authentication.
public struct CloneCheck: Sendable, Hashable, CustomStringConvertible {
    /// Which protocol.
    public enum Method: String, Sendable, Hashable {
        /// Chip Authentication v1 (DG14).
        case chipAuthentication
        /// Active Authentication (DG15).
        case activeAuthentication
        /// Neither could run.
        case none
    }

    /// The result.
    public enum Outcome: String, Sendable, Hashable {
        /// The chip proved it holds the private key.
        case passed
        /// The chip did not prove it (a clone, or a tampered chip): a specific, security-relevant failure.
        case failed
        /// The card offers neither protocol (or only variants this reader lacks).
        case notAvailable
        /// The protocol could not complete for a reason that proves nothing (card refused a step, I/O error).
        case error
    }

    /// Which protocol ran.
    public var method: Method
    /// Its outcome.
    public var outcome: Outcome
    /// What exactly (protocol variant, key, reason), English, no personal data.
    public var detail: String
    /// What the central needs to re-check a Chip Authentication that passed.
    public var chipAuthenticationTranscript: ChipAuthenticationTranscript?
    /// What the central needs to re-check an Active Authentication that passed.
    public var activeAuthenticationTranscript: ActiveAuthenticationTranscript?

    /// Builds a result.
    public init(
        method: Method, outcome: Outcome, detail: String,
        chipAuthenticationTranscript: ChipAuthenticationTranscript? = nil,
        activeAuthenticationTranscript: ActiveAuthenticationTranscript? = nil
    ) {
        self.method = method
        self.outcome = outcome
        self.detail = detail
        self.chipAuthenticationTranscript = chipAuthenticationTranscript
        self.activeAuthenticationTranscript = activeAuthenticationTranscript
    }

    public var description: String { "\(method.rawValue): \(outcome.rawValue) (\(detail))" }
}

/// Everything a read established about the document's authenticity.
public struct AuthenticityFindings: Sendable, Hashable {
    /// Passive Authentication, when EF.SOD could be used.
    public var passive: PassiveAuthenticationVerdict?
    /// Why PA could not run, when it could not.
    public var passiveError: String?
    /// Chip or Active Authentication.
    public var cloneCheck: CloneCheck

    /// Builds a verdict.
    public init(passive: PassiveAuthenticationVerdict?, passiveError: String?, cloneCheck: CloneCheck) {
        self.passive = passive
        self.passiveError = passiveError
        self.cloneCheck = cloneCheck
    }

    /// The DG14/DG15 the clone check relied on are covered by the SOD and intact (else the check proves little).
    public var cloneCheckKeyAuthenticated: Bool {
        guard let passive else { return false }
        let number = cloneCheck.method == .chipAuthentication ? 14 : 15
        return passive.dataGroups[number] == .intact
    }
}

/// Options for authenticating the chip during a read.
public struct AuthenticationOptions: Sendable {
    /// Trust anchors for Passive Authentication (empty: chain "unknown").
    public var trustList: CSCATrustList
    /// Run Chip Authentication when DG14 offers it (preferred over AA).
    public var chipAuthentication = true
    /// Run Active Authentication when CA is not available and DG15 is present.
    public var activeAuthentication = true
    /// Randomness for the CA ephemeral key and the AA challenge.
    public var random: any RandomSource = SystemRandomSource()

    /// Builds options.
    public init(trustList: CSCATrustList = CSCATrustList()) { self.trustList = trustList }
}

/// The reader-side steps ChipReader runs for CA and AA.
enum ChipAuthenticator {
    /// Chip Authentication after DG14 was read: on success the channel carries the new keys. Returns nil when DG14
    /// offers no usable CA (the caller then tries AA).
    static func chipAuthentication(
        dg14: [UInt8], channel: RekeyableTransport, plain: any CardTransport,
        random: any RandomSource
    ) async -> CloneCheck? {
        guard let infos = try? SecurityInfos(der: dg14), let (info, key) = infos.preferredChipAuthentication else {
            return nil
        }
        let detail = "\(info), \(key.key)"
        let agreement: ChipAuthentication.Agreement
        do {
            agreement = try await ChipAuthentication.agree(over: channel, info: info, key: key, random: random)
        } catch {
            return CloneCheck(method: .chipAuthentication, outcome: .error, detail: "\(detail): \(error.reason)")
        }
        // The first protected answer under the new keys is kept as read, for the central to recompute its MAC.
        let recorder = FirstAnswerRecorder(wrapping: plain)
        let fresh = SecureMessagingTransport(wrapping: recorder, session: agreement.session)
        await channel.replace(with: fresh)
        do {
            let response = try await BACProtocol.send(ChipAuthentication.confirmationCommand, over: channel)
            guard response.status.isSuccess else {
                return CloneCheck(
                    method: .chipAuthentication, outcome: .failed,
                    detail: "\(detail): no protected answer under the new keys (\(response.status))")
            }
        } catch  where error.code == .badMAC || error.code == .smMalformed {
            return CloneCheck(
                method: .chipAuthentication, outcome: .failed,
                detail: "\(detail): the chip did not prove possession of the CA private key")
        } catch {
            return CloneCheck(method: .chipAuthentication, outcome: .error, detail: "\(detail): \(error.reason)")
        }
        // One exchange since the SSC was reset: its response was checked with the session's SSC now.
        let transcript = await recorder.first.map { answer in
            ChipAuthenticationTranscript(
                terminalPrivateKey: agreement.terminalPrivateKey, terminalPublicKey: agreement.terminalPublicKey,
                protectedResponse: answer.bytes,
                responseSSC: [UInt8](repeating: 0, count: agreement.session.algorithm.blockSize - 1) + [2])
        }
        return CloneCheck(
            method: .chipAuthentication, outcome: .passed, detail: detail,
            chipAuthenticationTranscript: transcript)
    }

    /// Active Authentication with DG15 (and DG14's ECDSA algorithm).
    static func activeAuthentication(
        dg15: [UInt8], dg14: [UInt8]?, channel: any CardTransport,
        random: any RandomSource
    ) async -> CloneCheck {
        let algorithm = dg14.flatMap { try? SecurityInfos(der: $0) }?.activeAuthenticationAlgorithm
        let keyText = (try? ActiveAuthentication.publicKey(dg15: dg15)).map(\.description) ?? "unreadable key"
        do {
            let exchange = try await ActiveAuthentication.exchange(
                over: channel, dg15: dg15, ecdsaAlgorithm: algorithm,
                random: random)
            return exchange.valid
                ? CloneCheck(
                    method: .activeAuthentication, outcome: .passed, detail: keyText,
                    activeAuthenticationTranscript: exchange.transcript)
                : CloneCheck(
                    method: .activeAuthentication, outcome: .failed,
                    detail: "\(keyText): the signature over the challenge does not verify")
        } catch {
            return CloneCheck(method: .activeAuthentication, outcome: .error, detail: "\(keyText): \(error.reason)")
        }
    }
}

/// The Chip Authentication evidence a central re-checks (ICAO 9303-11 §6.2 proves the chip's key only implicitly,
/// through secure messaging under the new keys): the terminal's ephemeral key pair (used once, so its private half
/// may travel sealed), and the first protected response after CA with the send sequence counter it was checked
/// with. With the chip's public key from DG14 (covered by EF.SOD) the central derives the same session keys and
/// recomputes the response's MAC.
public struct ChipAuthenticationTranscript: Sendable, Hashable {
    /// The terminal's ephemeral private scalar, big-endian.
    public var terminalPrivateKey: [UInt8]
    /// The terminal's ephemeral public point, uncompressed (04 ‖ x ‖ y).
    public var terminalPublicKey: [UInt8]
    /// The first response under the new keys as the chip sent it: SM data objects and status word.
    public var protectedResponse: [UInt8]
    /// The SSC that response was checked with (8 bytes for 3DES, 16 for AES; 2 after the reset to zero).
    public var responseSSC: [UInt8]

    /// Builds a transcript.
    public init(
        terminalPrivateKey: [UInt8], terminalPublicKey: [UInt8], protectedResponse: [UInt8],
        responseSSC: [UInt8]
    ) {
        self.terminalPrivateKey = terminalPrivateKey
        self.terminalPublicKey = terminalPublicKey
        self.protectedResponse = protectedResponse
        self.responseSSC = responseSSC
    }

    /// Re-checks the transcript against DG14 (whose integrity Passive Authentication establishes): the terminal
    /// key pair matches, and the response's MAC verifies under the keys derived from the terminal's private key and
    /// the chip's public key. Throws `chip.crypto` / `chip.bad_mac` / `chip.unsupported` when it does not.
    public func verify(dg14: [UInt8]) throws(ChipIDError) {
        let infos = try SecurityInfos(der: dg14)
        guard let (info, key) = infos.preferredChipAuthentication, let cipher = info.cipher,
            let nid = key.key.curveNID, let encoded = key.key.ecPoint
        else {
            throw ChipIDError(.unsupported, "DG14 offers no Chip Authentication this check supports")
        }
        let curve = try ECCurve(nid: nid)
        guard try curve.multiplyGenerator(terminalPrivateKey).uncompressed == terminalPublicKey else {
            throw ChipIDError(.crypto, "the terminal's ephemeral key pair does not match")
        }
        var session = try ChipAuthentication.session(cipher, curve, terminalPrivateKey, try curve.decode(encoded))
        guard responseSSC.count == cipher.blockSize else {
            throw ChipIDError(.crypto, "the send sequence counter does not fit \(cipher)")
        }
        let response: ResponseAPDU
        do {
            response = try ResponseAPDU(bytes: protectedResponse)
        } catch {
            throw ChipIDError(.smMalformed, "the protected response is not an APDU response")
        }
        // An empty error answer is not protected at all: it proves nothing.
        guard !response.data.isEmpty else {
            throw ChipIDError(.smMalformed, "the protected response carries no MAC")
        }
        let plain = try session.unprotect(response, ssc: responseSSC)
        session.close()
        guard plain.status.isSuccess else {
            throw ChipIDError(.smMalformed, "the protected response is not a success (\(plain.status))")
        }
    }
}

/// The Active Authentication evidence a central re-checks against DG15: the challenge sent and the chip's
/// signature over it.
public struct ActiveAuthenticationTranscript: Sendable, Hashable {
    /// The 8-byte challenge.
    public var challenge: [UInt8]
    /// The chip's signature (INTERNAL AUTHENTICATE answer).
    public var signature: [UInt8]

    /// Builds a transcript.
    public init(challenge: [UInt8], signature: [UInt8]) {
        self.challenge = challenge
        self.signature = signature
    }

    /// Re-checks the signature with DG15's key (and DG14's ECDSA algorithm, if any). Throws `chip.bad_signature`
    /// when it does not verify.
    public func verify(dg15: [UInt8], dg14: [UInt8]?) throws(ChipIDError) {
        let algorithm = dg14.flatMap { try? SecurityInfos(der: $0) }?.activeAuthenticationAlgorithm
        let key = try ActiveAuthentication.publicKey(dg15: dg15)
        guard
            try ActiveAuthentication.verify(
                key: key, challenge: challenge, signature: signature,
                ecdsaAlgorithm: algorithm)
        else {
            throw ChipIDError(.crypto, "the Active Authentication signature does not verify with DG15's key")
        }
    }
}

/// Wraps the plain transport under a fresh secure-messaging session and keeps the first answer as it came, so the
/// Chip Authentication confirmation can travel as evidence. Pipelining passes through.
actor FirstAnswerRecorder: CardTransport {
    private let inner: any CardTransport
    /// The first answer collected, unprotected bytes as the chip sent them.
    private(set) var first: ResponseAPDU?

    init(wrapping inner: any CardTransport) { self.inner = inner }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU { try await send(command).response() }

    func send(_ command: CommandAPDU) async throws -> PendingResponse {
        let answer = try await inner.send(command)
        guard first == nil else { return answer }
        return PendingResponse { [self] in
            let response = try await answer.response()
            await keep(response)
            return response
        }
    }

    private func keep(_ response: ResponseAPDU) { if first == nil { first = response } }

    var limits: TransportLimits { get async { await inner.limits } }
}
