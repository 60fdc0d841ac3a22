// swift-tools-version: 6.2
// Hummingbird 2.28 (the control server, a later issue) needs tools 6.2; Swift 6 language mode throughout.
import PackageDescription

// MARK: - System libraries (C shims only: module maps, no Swift)

let systemLibraries: [Target] = [
    .systemLibrary(name: "CPCSC", pkgConfig: "libpcsclite", providers: [.apt(["libpcsclite-dev"])]),
    .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
    .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CUmockdev", pkgConfig: "umockdev-1.0", providers: [.apt(["libumockdev-dev"])]),
]

// MARK: - How the kit's executables link in release builds

/// `stationd` and `stationctl` as shipped (release builds): lld packs the executable's relative relocations
/// (DT_RELR, glibc ≥ 2.36: 20 KB instead of 3 MB of RELA entries read at every start) and keeps its 52,000 Swift
/// symbols out of the dynamic symbol table, which the loader would otherwise page in. Still position-independent
/// (ASLR kept). `make release` also links the Swift runtime and Foundation statically (`--static-swift-stdlib`);
/// together: idle daemon RSS 47 → 39 MB (README "Figures"). Debug builds and tests link as usual.
let kitLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(configuration: .release)),
]

// MARK: - Modules, in the order data flows (see README "Module map")

let modules: [Target] = [
    // Dedicated OS threads for blocking C calls (PC/SC, libusb, record encoding) and the results their jobs fill in.
    .target(name: "JobThreads"),
    // Secret and personal values for the command-line tools from a file, standard input or a prompt (not argv).
    .target(name: "SecretInput"),
    // The message catalog (Vietnamese and English), names of states and verdicts, terminal tables, local time.
    .target(name: "Messages"),
    .target(
        name: "Biometrics",
        dependencies: ["JobThreads", "Messages", "CLibUSB", "CZlib", "COpenJPEG", "COpenSSL"]
    ),
    .executableTarget(
        name: "biometrics-replay",
        dependencies: ["Biometrics"]
    ),
    // Test helper: live hot-plug through a libumockdev testbed (runs under umockdev-wrapper).
    .executableTarget(name: "biometrics-hotplug-probe", dependencies: ["Biometrics", "CUmockdev"]),
    .target(
        name: "SmartCard",
        dependencies: ["JobThreads", "Messages", "CPCSC", .product(name: "Logging", package: "swift-log")]
    ),
    .target(
        name: "Simulation",
        dependencies: ["SmartCard", "ChipID", "COpenSSL", .product(name: "SwiftASN1", package: "swift-asn1")]
    ),
    .target(
        name: "StationTestKit",
        dependencies: ["SmartCard", "CentralAPI", .product(name: "Crypto", package: "swift-crypto")]
    ),
    .executableTarget(
        name: "stationd",
        dependencies: [
            "SmartCard", "Simulation", "Biometrics", "ChipID", "Station", "SecretInput", "Messages",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        linkerSettings: kitLinkerSettings
    ),
    .executableTarget(
        name: "station-bench",
        dependencies: [
            "SmartCard", "StationTestKit", "Biometrics", "Queue", "ChipID", "Simulation", "Uplink", "ControlAPI",
        ]
    ),
    .executableTarget(
        name: "station-demo",
        dependencies: ["StationTestKit"]
    ),
    .target(
        name: "Intake",
        dependencies: ["Messages"]
    ),
    .target(
        name: "Queue",
        dependencies: [
            "Intake",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .executableTarget(
        name: "queue-crash-probe",
        dependencies: ["Queue", "Intake"]
    ),
    .target(name: "ControlAPI", dependencies: ["Messages"], exclude: ["openapi.yaml"]),
    .target(
        name: "Station",
        dependencies: [
            "ControlAPI", "SmartCard", "ChipID", "Biometrics", "Intake", "Queue", "Uplink", "Messages",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ]
    ),
    .executableTarget(
        name: "stationctl",
        dependencies: [
            "ControlAPI", "Messages", "SecretInput",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        linkerSettings: kitLinkerSettings
    ),
    .target(
        name: "ChipID",
        dependencies: [
            "SmartCard", "Messages", "COpenSSL", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]
    ),
    .target(
        name: "CentralAPI",
        dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")],
        exclude: ["openapi.yaml"]
    ),
    .target(
        name: "Uplink",
        dependencies: [
            "Queue", "Intake", "CentralAPI", "Messages", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]
    ),
    .executableTarget(
        name: "central-receiver",
        dependencies: [
            "CentralAPI", "Intake", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .executableTarget(name: "uplink-crash-probe", dependencies: ["Uplink", "Queue"]),
]

let tests: [Target] = [
    .testTarget(
        name: "BiometricsTests",
        dependencies: ["Biometrics", "biometrics-replay", "biometrics-hotplug-probe", "stationd"]
    ),
    // The live tests start `stationd simulate card` processes: depending on the executable makes it built first.
    .testTarget(
        name: "SmartCardTests", dependencies: ["SmartCard", "JobThreads", "Simulation", "StationTestKit", "stationd"]
    ),
    .testTarget(
        name: "SimulationTests", dependencies: ["Simulation", "SmartCard", "StationTestKit", "ChipID", "stationd"]
    ),
    .testTarget(name: "IntakeTests", dependencies: ["Intake"]),
    // The catalog's completeness, checked against the modules whose vocabularies it names.
    .testTarget(name: "MessagesTests", dependencies: ["Messages", "Intake", "Queue"]),
    .testTarget(
        name: "QueueTests",
        dependencies: ["Queue", "Intake", "queue-crash-probe", .product(name: "GRDB", package: "GRDB.swift")]
    ),
    .testTarget(name: "ChipIDTests", dependencies: ["ChipID", "SmartCard", "stationd"]),
    // The live tests start the `central-receiver` process: depending on the executable makes it built first.
    .testTarget(
        name: "UplinkTests",
        dependencies: [
            "Uplink", "CentralAPI", "Queue", "Intake", "StationTestKit", "central-receiver", "uplink-crash-probe",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
        ]
    ),
    // Starts `stationd run` and `stationctl` as processes; depending on them makes them built first.
    .testTarget(
        name: "StationTests",
        dependencies: [
            "Station", "ControlAPI", "StationTestKit", "stationd", "stationctl", "Simulation", "central-receiver",
            "Queue", "Uplink", "CentralAPI", "Intake",
        ]
    ),
]

// MARK: - Developer aid: STATION_TARGETS=A,B restricts the graph to those targets and what they need,
// so one module can be built and tested while another is half-way through a change.

func restricted(_ all: [Target]) -> [Target] {
    guard let wanted = Context.environment["STATION_TARGETS"], !wanted.isEmpty else { return all }
    var keep = Set(wanted.split(separator: ",").map(String.init))
    let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    var queue = Array(keep)
    while let name = queue.popLast() {
        for dependency in byName[name]?.dependencies ?? [] {
            if case .byNameItem(let dep, _) = dependency, byName[dep] != nil, !keep.contains(dep) {
                keep.insert(dep)
                queue.append(dep)
            }
        }
    }
    return all.filter { keep.contains($0.name) }
}

let targets = restricted(systemLibraries + modules + tests)
let executables = Set([
    "stationd", "station-bench", "station-demo", "biometrics-replay", "queue-crash-probe", "stationctl",
    "central-receiver", "uplink-crash-probe", "biometrics-hotplug-probe",
])

let package = Package(
    name: "issuance-station",
    platforms: [.macOS(.v15)],
    products: targets.filter { executables.contains($0.name) }.map { .executable(name: $0.name, targets: [$0.name]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
