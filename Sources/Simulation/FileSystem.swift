import SmartCard

/// An elementary file: a transparent EF with a file identifier and optionally a short EF identifier.
public struct ElementaryFile: Sendable, Hashable {
    /// File identifier, e.g. `0x011E`.
    public var fid: UInt16
    /// Short EF identifier (1...30), usable in READ BINARY's P1.
    public var sfi: UInt8?
    /// The file's bytes.
    public var contents: [UInt8]
    /// Status word returned when the file is selected or read without the right access (e.g. `6982` for DG3).
    public var accessDenied: StatusWord?

    /// Builds a file.
    public init(fid: UInt16, sfi: UInt8? = nil, contents: [UInt8], accessDenied: StatusWord? = nil) {
        self.fid = fid
        self.sfi = sfi
        self.contents = contents
        self.accessDenied = accessDenied
    }
}

/// A dedicated file (application) selected by its AID, holding elementary files.
public struct DedicatedFile: Sendable, Hashable {
    /// The application identifier (DF name), selected with SELECT P1=04.
    public var aid: [UInt8]
    /// Its file identifier, if it has one.
    public var fid: UInt16?
    /// Its elementary files.
    public var files: [ElementaryFile]

    /// Builds a DF.
    public init(aid: [UInt8], fid: UInt16? = nil, files: [ElementaryFile]) {
        self.aid = aid
        self.fid = fid
        self.files = files
    }
}

/// The card's files: elementary files directly under the master file, and applications.
public struct CardFileSystem: Sendable, Hashable {
    /// EFs under the MF (e.g. EF.CardAccess `011C`, EF.ATR `2F01`).
    public var masterFiles: [ElementaryFile]
    /// Applications.
    public var applications: [DedicatedFile]

    /// Builds a file system.
    public init(masterFiles: [ElementaryFile] = [], applications: [DedicatedFile] = []) {
        self.masterFiles = masterFiles
        self.applications = applications
    }
}
