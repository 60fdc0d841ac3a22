import Foundation

/// What we know about a reader model that it does not tell PC/SC itself: the largest APDU it carries and whether
/// extended length works through it. Profiles are JSON files in `Devices/readers/`, matched by reader-name prefix.
/// A reader that reports `dwMaxAPDUDataSize` (PC/SC part 10, every CCID reader) needs no profile.
public struct ReaderProfile: Codable, Sendable, Hashable {
    /// A human name for the model.
    public var name: String
    /// PC/SC reader names that start with this belong to the model.
    public var namePrefix: String
    /// The largest APDU data field the reader carries.
    public var maxAPDUData: Int
    /// Whether extended-length APDUs pass through.
    public var extendedLength: Bool
    /// Where the figures come from.
    public var notes: String?

    /// Loads every `*.json` profile in `directory` (unreadable files are skipped and named in `problems`).
    public static func load(directory: URL) -> (profiles: [ReaderProfile], problems: [String]) {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        var profiles: [ReaderProfile] = []
        var problems: [String] = []
        for file in files.filter({ $0.pathExtension == "json" }).sorted(by: { $0.path < $1.path }) {
            do {
                profiles.append(try JSONDecoder().decode(ReaderProfile.self, from: Data(contentsOf: file)))
            } catch {
                problems.append("\(file.lastPathComponent): \(error)")
            }
        }
        return (profiles, problems)
    }

    /// The profile of `reader`: the longest matching prefix wins.
    public static func match(_ reader: String, in profiles: [ReaderProfile]) -> ReaderProfile? {
        profiles.filter { reader.hasPrefix($0.namePrefix) }.max { $0.namePrefix.count < $1.namePrefix.count }
    }

    /// The profiles installed for this process: `$STATION_READER_PROFILES`, else the first `Devices/readers` found
    /// walking up from the executable (a checkout's build folder), else `/usr/share/stationd/readers`.
    public static let installed: [ReaderProfile] = {
        let environment = ProcessInfo.processInfo.environment["STATION_READER_PROFILES"]
        if let environment { return load(directory: URL(fileURLWithPath: environment)).profiles }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("Devices/readers")
            if FileManager.default.fileExists(atPath: candidate.path) { return load(directory: candidate).profiles }
            directory.deleteLastPathComponent()
        }
        return load(directory: URL(fileURLWithPath: "/usr/share/stationd/readers")).profiles
    }()
}
