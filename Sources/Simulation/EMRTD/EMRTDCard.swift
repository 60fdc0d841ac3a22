import ChipID
import SmartCard

/// Assembles a simulated eMRTD chip: the LDS files in the eMRTD application (by file identifier and short EF
/// identifier), EF.CardAccess at MF level when PACE is offered, the `EMRTDApplet` for access control and secure
/// messaging, and the real CCCD's quirks (`6D00` on SELECT MF, `6982` on DG3).
public enum EMRTDCard {
    /// The ATR of the real CCCD chip (PC/SC contactless form, historical bytes "MKjCOS-37"): short APDUs only.
    public static let cccdATR: [UInt8] = [
        0x3B, 0x89, 0x80, 0x01, 0x4D, 0x4B, 0x6A, 0x43, 0x4F, 0x53, 0x2D, 0x33,
        0x37, 0x12,
    ]

    /// EF.CardAccess as the real CCCD has it: TA v1, CA-ECDH-AES-128 v1, PACE-ECDH-GM-AES-128 v2 on brainpoolP256r1.
    public static let cccdCardAccess: [UInt8] = [
        0x31, 0x34, 0x30, 0x0D, 0x06, 0x08, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x01, 0x01, 0x30,
        0x0F, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02, 0x02, 0x01, 0x01, 0x30, 0x12,
        0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02, 0x02, 0x01, 0x02, 0x02, 0x01, 0x0D,
    ]

    /// The card's parts, ready for `VPCDLink`.
    public struct Parts {
        /// The card (its `masterApplet` is the eMRTD applet).
        public let card: ISO7816Card
        /// The applet (for counters in tests).
        public let applet: EMRTDApplet
    }

    /// Builds a chip from raw LDS files. `cardAccess` nil gives a BAC-only chip; otherwise PACE is offered as
    /// `cardAccess` announces (the first supported PACEInfo). DG3, when present, answers `6982` (EAC-protected).
    /// `paceAttempts` wrong PACE passwords block PACE.
    public static func make(
        files: [LDSFile: [UInt8]], cardAccess: [UInt8]?, mrz: MRZKeySeed, can: String?,
        atr: [UInt8] = cccdATR, behaviour: CardBehaviour = cccdBehaviour,
        fault: EMRTDFault? = nil, paceAttempts: Int = 3
    ) -> Parts {
        var pace: PACEInfo?
        if let cardAccess, let infos = try? SecurityInfos(der: cardAccess) { pace = infos.preferredPACE }
        let efs = files.filter { $0.key != .cardAccess }.sorted { $0.key < $1.key }.map { file, bytes in
            ElementaryFile(
                fid: file.fileID, sfi: file.shortID, contents: bytes,
                accessDenied: file == .dg(3) || file == .dg(4) ? .securityStatusNotSatisfied : nil)
        }
        var masterFiles: [ElementaryFile] = []
        if let cardAccess { masterFiles.append(ElementaryFile(fid: 0x011C, sfi: 0x1C, contents: cardAccess)) }
        let fileSystem = CardFileSystem(
            masterFiles: masterFiles,
            applications: [DedicatedFile(aid: FileReader.eMRTDApplicationID, files: efs)])
        let applet = EMRTDApplet(
            secrets: EMRTDSecrets(mrz: mrz, can: can, pace: pace, paceAttempts: paceAttempts), fault: fault)
        let card = ISO7816Card(atr: atr, fileSystem: fileSystem, behaviour: behaviour)
        card.masterApplet = applet
        return Parts(card: card, applet: applet)
    }

    /// The real CCCD's behaviour: `SELECT MF` answers `6D00`.
    public static let cccdBehaviour = CardBehaviour(selectMasterFileStatus: StatusWord(0x6D00))
}
