/// Where a store's key files live, for the tools that back them up and restore them (`stationd keys restore`).
public enum StoreKeyPaths {
    /// The audit chain key file of a store whose data key file is `keyFile` (`queue.key` → `queue-audit.key`).
    public static func auditKey(forKeyFile keyFile: String) -> String { AuditChainKey.path(forKeyFile: keyFile) }
}
