// Values that hold keys or personal data show nothing to reflection (`dump`, debuggers' child lists, loggers
// that walk mirrors): their `description`s are already redacted.

extension SecureMessagingSession: CustomReflectable {
    /// No children: the session holds keys.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension BACProtocol: CustomReflectable {
    /// No children: the exchange holds keys.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension PACEProtocol: CustomReflectable {
    /// No children: the exchange holds keys.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension MRZKeySeed: CustomReflectable {
    /// No children: personal data and key material.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension AccessKey: CustomReflectable {
    /// No children: key material.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension MRZ: CustomReflectable {
    /// No children: personal data.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension CitizenInfo: CustomReflectable {
    /// No children: personal data.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension FaceImage: CustomReflectable {
    /// No children: biometric data.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension LDSFileBytes: CustomReflectable {
    /// No children: file contents are personal data.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// DG13 of a CCCD, by its data-group name.
public typealias DG13 = CitizenInfo
