import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a caller may do, decided from its credentials and the configured groups.
///
/// - `operator` (members of the operators' group): read everything, take applications, release, retry, start
///   an upload.
/// - `supervisor` (supervisors' group): also hold, cancel, see unmasked data, override a verdict, export.
/// - root, and the daemon's own user: everything.
/// - anyone else: 403 `control.forbidden`.
public enum CallerRole: Int, Sendable, Comparable, CustomStringConvertible {
    case none = 0
    case `operator` = 1
    case supervisor = 2
    case root = 3

    public static func < (lhs: CallerRole, rhs: CallerRole) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .none: "none"
        case .operator: "operator"
        case .supervisor: "supervisor"
        case .root: "root"
        }
    }
}

/// Maps credentials to roles with the configured group ids.
public struct Authorization: Sendable {
    /// Operators' gid (nil: no such group on this system).
    public let operatorsGID: UInt32?
    /// Supervisors' gid.
    public let supervisorsGID: UInt32?
    /// The daemon's own uid (treated like root).
    public let daemonUID: UInt32

    /// Resolves group names (or numbers) now; unknown groups simply grant nothing.
    public init(operatorsGroup: String, supervisorsGroup: String) {
        operatorsGID = Self.gid(of: operatorsGroup)
        supervisorsGID = Self.gid(of: supervisorsGroup)
        daemonUID = getuid()
    }

    /// The caller's role.
    public func role(of peer: PeerCredentials) -> CallerRole {
        if peer.uid == 0 || peer.uid == daemonUID { return .root }
        if let supervisorsGID, peer.groups.contains(supervisorsGID) { return .supervisor }
        if let operatorsGID, peer.groups.contains(operatorsGID) { return .operator }
        return .none
    }

    /// A group's id from its name or number.
    public static func gid(of group: String) -> UInt32? {
        if let number = UInt32(group) { return number }
        var entry = GroupEntry()
        var result: UnsafeMutablePointer<GroupEntry>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getgrnam_r(group, &entry, &buffer, buffer.count, &result) == 0, let result else {
            return nil
        }
        return result.pointee.gr_gid
    }
}

/// glibc's `struct group` (getgrnam_r fills one).
typealias GroupEntry = Glibc.group
