import Foundation
import Messages
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Who is on the other end of a control connection, from the kernel (`SO_PEERCRED`, `SO_PEERGROUPS`).
public struct PeerCredentials: Sendable, Hashable {
    /// Process id at connect time.
    public var pid: Int32
    /// User id.
    public var uid: UInt32
    /// Primary group id.
    public var gid: UInt32
    /// Primary and supplementary groups (from `SO_PEERGROUPS`, Linux ≥ 4.13).
    public var groups: Set<UInt32>

    /// Creates a value (tests).
    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: Set<UInt32>) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    struct UCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Reads the credentials of a connected Unix socket channel. swift-nio has no peer-credential API; its
    /// `SocketOptionProvider` reads any option of a known size.
    static func of(_ channel: any Channel) async throws -> PeerCredentials {
        guard let provider = channel as? any SocketOptionProvider else {
            throw APIError(.forbidden, Message(.controlForbiddenUnidentified))
        }
        let credentials: UCred = try await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).get()
        var groups: Set<UInt32> = [credentials.gid]
        // SO_PEERGROUPS fills as many gids as fit; unused slots stay 0 (gid 0 is therefore only taken from the
        // primary gid, which SO_PEERCRED reports exactly).
        if let list: InlineArray<64, UInt32> = try? await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(59)
        ).get() {
            for index in list.indices where list[index] != 0 { groups.insert(list[index]) }
        }
        return PeerCredentials(
            pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: groups)
    }

    /// The user name (for audit entries), or `uid:N`.
    public var userName: String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, let result,
            let name = result.pointee.pw_name
        {
            return String(cString: name)
        }
        return "uid:\(uid)"
    }
}
