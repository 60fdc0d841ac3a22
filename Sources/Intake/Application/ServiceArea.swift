import Foundation
import Messages

/// Where one intake session takes its applications: a commune of the station's service area and, when the
/// commune's hamlets are configured, one of them (thôn, ấp, bản, tổ dân phố).
public struct IntakePlace: Sendable, Hashable {
    /// The commune's 5-digit code (recorded on each application as `point.communeCode`).
    public var communeCode: String
    /// The hamlet, nil when none was chosen (the commune has none configured, or the officer left it open).
    public var hamlet: String?

    /// Creates a place.
    public init(communeCode: String, hamlet: String? = nil) {
        self.communeCode = communeCode
        self.hamlet = hamlet
    }
}

/// The communes, and per commune the hamlets, a station may take applications in (a mobile team moves between
/// communes: issue 19 item 7). The registration point's commune is the default and always listed first.
public struct ServiceArea: Sendable, Hashable {
    /// One commune of the area.
    public struct Commune: Sendable, Hashable {
        /// Its 5-digit code.
        public var code: String
        /// The hamlets an officer may choose in it, as configured (empty: no hamlet is recorded).
        public var hamlets: [String]

        /// Creates a commune.
        public init(code: String, hamlets: [String] = []) {
            self.code = code
            self.hamlets = hamlets
        }
    }

    /// The communes, the default first, each once.
    public let communes: [Commune]

    /// An area; `communes` must be non-empty, the default first, codes unique (the configuration checks it).
    public init(communes: [Commune]) {
        precondition(!communes.isEmpty, "a service area has at least the point's commune")
        self.communes = communes
    }

    /// The area of a station configured with its registration point's commune only (`point.communes` absent).
    public static func only(_ communeCode: String) -> ServiceArea {
        ServiceArea(communes: [Commune(code: communeCode)])
    }

    /// The default commune: the registration point's.
    public var defaultCommune: String { communes[0].code }

    /// The place of a session: `commune` (nil or empty: the default) and `hamlet` (nil or empty: none), checked
    /// against the area. Throws `PlaceChoiceError` naming what the officer may choose instead.
    public func place(commune: String?, hamlet: String?) throws(PlaceChoiceError) -> IntakePlace {
        let code = commune?.trimmingCharacters(in: .whitespaces) ?? ""
        let chosenCode = code.isEmpty ? defaultCommune : code
        guard let entry = communes.first(where: { $0.code == chosenCode }) else {
            throw PlaceChoiceError(.communeNotServed, commune: chosenCode, allowed: communes.map(\.code))
        }
        let name = hamlet?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !name.isEmpty else { return IntakePlace(communeCode: entry.code) }
        guard let known = entry.hamlets.first(where: { Self.sameName($0, name) }) else {
            throw PlaceChoiceError(.hamletNotServed, commune: entry.code, hamlet: name, allowed: entry.hamlets)
        }
        return IntakePlace(communeCode: entry.code, hamlet: known)
    }

    /// Hamlet names compare as people type them: canonically equivalent, case-insensitive ("thôn Đông" is
    /// "Thôn Đông").
    static func sameName(_ a: String, _ b: String) -> Bool {
        a.lowercased() == b.lowercased()
    }
}

/// A session's commune or hamlet the station is not configured for: a stable code, and what may be chosen.
public struct PlaceChoiceError: Error, Sendable, Hashable {
    /// The stable codes.
    public enum Code: String, Sendable, CaseIterable {
        /// The commune is not in `point.communes`.
        case communeNotServed = "intake.commune_not_served"
        /// The hamlet is not one of the commune's in `point.hamlets`.
        case hamletNotServed = "intake.hamlet_not_served"
    }

    /// Which.
    public let code: Code
    /// The commune asked for (or the one the hamlet was asked in).
    public let commune: String
    /// The hamlet asked for.
    public let hamlet: String?
    /// What may be chosen instead: commune codes, or the commune's hamlets.
    public let allowed: [String]

    /// Creates an error.
    public init(_ code: Code, commune: String, hamlet: String? = nil, allowed: [String]) {
        self.code = code
        self.commune = commune
        self.hamlet = hamlet
        self.allowed = allowed
    }

    /// What to tell the officer (Vietnamese first, English on request).
    public var message: Message {
        switch code {
        case .communeNotServed:
            Message(.intakeCommuneNotServed, ["commune": commune, "allowed": allowed.joined(separator: ", ")])
        case .hamletNotServed where allowed.isEmpty:
            Message(.intakeHamletNoneConfigured, ["commune": commune, "hamlet": hamlet ?? ""])
        case .hamletNotServed:
            Message(
                .intakeHamletNotServed,
                ["commune": commune, "hamlet": hamlet ?? "", "allowed": allowed.joined(separator: ", ")])
        }
    }
}
