import SmartCard

/// The card `stationd simulate card` serves by default: a small application with a greeting file and a 4 KiB file
/// for large reads. It carries no personal data; the eMRTD data sets come with the chip-reading work.
public enum DemoCard {
    /// The demo application's AID (`F0` proprietary + "STATION").
    public static let aid: [UInt8] = [0xF0] + Array("STATION".utf8)
    /// A short text file.
    public static let greetingFID: UInt16 = 0x0101
    /// A 4,096-byte file whose byte `i` is `i & 0xFF`, for extended-length and chained reads.
    public static let largeFID: UInt16 = 0x0102
    /// The greeting's text.
    public static let greeting = "Xin chào từ thẻ mô phỏng / hello from the simulated card"

    /// The file system.
    public static var fileSystem: CardFileSystem {
        CardFileSystem(
            masterFiles: [ElementaryFile(fid: 0x2F00, contents: Array("EF.DIR".utf8))],
            applications: [
                DedicatedFile(
                    aid: aid,
                    files: [
                        ElementaryFile(fid: greetingFID, sfi: 1, contents: Array(greeting.utf8)),
                        ElementaryFile(fid: largeFID, sfi: 2, contents: (0..<4096).map { UInt8($0 & 0xFF) }),
                        ElementaryFile(
                            fid: 0x0103, sfi: 3, contents: [0x00], accessDenied: .securityStatusNotSatisfied),
                    ])
            ]
        )
    }

    /// A demo card with a behaviour.
    public static func make(behaviour: CardBehaviour = .standard) -> ISO7816Card {
        ISO7816Card(fileSystem: fileSystem, behaviour: behaviour)
    }
}
