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

    /// Builds a result.
    public init(method: Method, outcome: Outcome, detail: String) {
        self.method = method
        self.outcome = outcome
        self.detail = detail
    }

    public var description: String { "\(method.rawValue): \(outcome.rawValue) (\(detail))" }
}

/// Everything a read established about the document's authenticity.
public struct AuthenticityVerdict: Sendable, Hashable {
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
    static func chipAuthentication(dg14: [UInt8], channel: RekeyableTransport, plain: any CardTransport,
                                   random: any RandomSource) async -> CloneCheck? {
        guard let infos = try? SecurityInfos(der: dg14), let (info, key) = infos.preferredChipAuthentication else {
            return nil
        }
        let detail = "\(info), \(key.key)"
        let session: SecureMessagingSession
        do {
            session = try await ChipAuthentication.perform(over: channel, info: info, key: key, random: random)
        } catch {
            return CloneCheck(method: .chipAuthentication, outcome: .error, detail: "\(detail): \(error.reason)")
        }
        let fresh = SecureMessagingTransport(wrapping: plain, session: session)
        await channel.replace(with: fresh)
        do {
            let response = try await BACProtocol.send(ChipAuthentication.confirmationCommand, over: channel)
            guard response.status.isSuccess else {
                return CloneCheck(method: .chipAuthentication, outcome: .failed,
                                  detail: "\(detail): no protected answer under the new keys (\(response.status))")
            }
        } catch where error.code == .badMAC || error.code == .smMalformed {
            return CloneCheck(method: .chipAuthentication, outcome: .failed,
                              detail: "\(detail): the chip did not prove possession of the CA private key")
        } catch {
            return CloneCheck(method: .chipAuthentication, outcome: .error, detail: "\(detail): \(error.reason)")
        }
        return CloneCheck(method: .chipAuthentication, outcome: .passed, detail: detail)
    }

    /// Active Authentication with DG15 (and DG14's ECDSA algorithm).
    static func activeAuthentication(dg15: [UInt8], dg14: [UInt8]?, channel: any CardTransport,
                                     random: any RandomSource) async -> CloneCheck {
        let algorithm = dg14.flatMap { try? SecurityInfos(der: $0) }?.activeAuthenticationAlgorithm
        let keyText = (try? ActiveAuthentication.publicKey(dg15: dg15)).map(\.description) ?? "unreadable key"
        do {
            let valid = try await ActiveAuthentication.perform(over: channel, dg15: dg15, ecdsaAlgorithm: algorithm,
                                                               random: random)
            return valid ? CloneCheck(method: .activeAuthentication, outcome: .passed, detail: keyText)
                : CloneCheck(method: .activeAuthentication, outcome: .failed,
                             detail: "\(keyText): the signature over the challenge does not verify")
        } catch {
            return CloneCheck(method: .activeAuthentication, outcome: .error, detail: "\(keyText): \(error.reason)")
        }
    }
}
