// swift-tools-version: 6.2
// Tools 6.2: Hummingbird 2.28 (the control server) needs it; Swift 6 language mode throughout.
import PackageDescription

// MARK: - System libraries (C shims only: module maps, no Swift)

let systemLibraries: [Target] = [
    .systemLibrary(name: "CPCSC", pkgConfig: "libpcsclite", providers: [.apt(["libpcsclite-dev"])]),
    .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
    .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    // The receipt's QR code (libqrencode-dev): never a QR encoder of our own.
    .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
    // The console's login (libpam0g-dev): a C target, since PAM's conversation is a C callback.
    .target(name: "CPAM", linkerSettings: [.linkedLibrary("pam")]),
    // The live portrait's decoding, orientation, crop, resize and JPEG encoding (libvips-dev): through the CVips shim.
    // Its flags come from glib-2.0's pkg-config (vips.pc's carry -pthread, which SwiftPM drops with a warning); the
    // shim links libvips and GObject.
    .systemLibrary(name: "CVipsLibrary", pkgConfig: "glib-2.0", providers: [.apt(["libvips-dev"])]),
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
        .when(configuration: .release))
]

// MARK: - Modules, in the order data flows (see README "Module map")
// A card or a finger enters through the device modules, becomes an application in Intake, waits in Queue, leaves
// through Uplink to the central; Station runs it all behind ControlAPI; the executables come last. Tooling that
// ships in no package (the card simulator, the test kit, benches) follows, then the tests and their probes.

let modules: [Target] = [
    // Dedicated OS threads for blocking C calls (PC/SC, libusb, record encoding) and the results their jobs fill in.
    .target(name: "JobThreads"),
    // The one retry/backoff helper (capped exponential backoff with jitter, a retry schedule): no dependencies.
    .target(name: "Retry"),
    // The message catalog (Vietnamese and English), names of states and verdicts, terminal tables, local time.
    .target(name: "Messages"),
    // PC/SC readers and cards (pcscd): APDUs, reader events, one job thread per reader.
    .target(
        name: "SmartCard",
        dependencies: ["JobThreads", "Retry", "Messages", "CPCSC", .product(name: "Logging", package: "swift-log")]
    ),
    // The CCCD chip (ICAO 9303 eMRTD): PACE/BAC, secure messaging, LDS files, authenticity.
    .target(
        name: "ChipID",
        dependencies: [
            "SmartCard", "Messages", "COpenSSL", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]
    ),
    // Fingerprint modules over libusb: capture, quality, ISO 19794-4 records.
    .target(
        name: "Biometrics",
        dependencies: ["JobThreads", "Messages", "CLibUSB", "CZlib", "COpenJPEG", "COpenSSL"]
    ),
    // The application as a person gives it: fields, validation, the intake session (pure; only the message catalog).
    .target(name: "Intake", dependencies: ["Messages"]),
    // libvips behind plain C calls (its API is variadic): normalise a portrait, encode and decode sample images.
    // libvips is opened at the first use (dlopen), not linked: linked, it loads ~100 libraries into every stationd.
    .target(name: "CVips", dependencies: ["CVipsLibrary"]),
    // A phone's or webcam's photo (JPEG or PNG) as the intake's live portrait: upright, cropped, resized, re-encoded.
    .target(name: "Portraits", dependencies: ["CVips", "Intake", "Messages", "JobThreads"]),
    // The encrypted store of applications and their states (SQLite through GRDB), audit log, reports.
    .target(
        name: "Queue",
        dependencies: [
            "Intake", "JobThreads", "Messages",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    // The wire to the central: signed requests, envelopes, export layout (shared with central-receiver).
    .target(
        name: "CentralAPI",
        dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")],
        exclude: ["openapi.yaml"]
    ),
    // Chip evidence on the wire (issue 17): the DS certificate once per batch (the uplink takes it out of EF.SOD,
    // the central puts it back) and the central's re-check, shared by central-receiver and station-bench.
    .target(name: "CentralEvidence", dependencies: ["ChipID", "Intake"]),
    // Upload of ready applications to the central, and the station's credentials.
    .target(
        name: "Uplink",
        dependencies: [
            "Queue", "Intake", "CentralAPI", "CentralEvidence", "Retry", "Messages",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]
    ),
    // The control socket's wire types and client (shared by stationd and stationctl).
    .target(name: "ControlAPI", dependencies: ["Messages", "CQRencode"], exclude: ["openapi.yaml"]),
    // The daemon: services, control server, configuration.
    .target(
        name: "Station",
        dependencies: [
            "ControlAPI", "SmartCard", "ChipID", "Biometrics", "Intake", "Portraits", "Queue", "Uplink", "Retry",
            "Messages", "CPAM",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            // The health desk's insurance gateway client.
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            // The TCP listener: TLS, the station certificate, client token hashes.
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            // Key backups: scrypt (`stationctl keys backup`).
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            // The TCP listener's events over WebSocket (`/v1/events/ws`).
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
        ],
        // The web console's page (served from the build's resource bundle; installed to /usr/share/stationd/console).
        resources: [.copy("Console/Assets")]
    ),
    // Secret and personal values for the command-line tools from a file, standard input or a prompt (not argv).
    .target(name: "SecretInput", dependencies: ["Messages"]),
    // Shipped: the daemon and its by-hand tools (no simulator: `stationd simulate` forwards to station-simulator).
    .executableTarget(
        name: "stationd",
        dependencies: [
            "SmartCard", "Biometrics", "ChipID", "Station", "SecretInput", "Messages",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        linkerSettings: kitLinkerSettings
    ),
    // Shipped: the operator's command-line client of the control socket.
    .executableTarget(
        name: "stationctl",
        dependencies: [
            "ControlAPI", "Messages", "SecretInput",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        linkerSettings: kitLinkerSettings
    ),
    // The stand-in central server (tests, the demo, training).
    .executableTarget(
        name: "central-receiver",
        dependencies: [
            "CentralAPI", "Intake", "ChipID", "CentralEvidence", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
]

// MARK: - Tooling: simulated devices, the test kit, benches, the demo (not in the Debian package)

let tooling: [Target] = [
    // The test kit: synthetic JPEGs, sample applications, processes stopped by PID, a private pcscd + vpcd, the
    // central-receiver and daemon harnesses, link shaping, a test clock.
    .target(
        name: "StationTestKit",
        dependencies: [
            "SmartCard", "CentralAPI", "Intake", "ControlAPI", "Simulation", "CVips",
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    // Simulated cards: ISO 7816 file system, the eMRTD applet (PACE, BAC, CA, AA), a CCCD from a data set, vpcd.
    .target(
        name: "Simulation",
        dependencies: [
            "SmartCard", "ChipID", "COpenSSL", .product(name: "SwiftASN1", package: "swift-asn1"),
        ]
    ),
    // `station-simulator card ...` (also reached as `stationd simulate card ...`): a simulated card behind vpcd.
    .executableTarget(
        name: "station-simulator",
        dependencies: [
            "Simulation", "SmartCard", "ChipID", "SecretInput", "Messages",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    // Stand-in for the social-insurance (BHXH) gateway, with faults (tests, demo, bench).
    .executableTarget(
        name: "insurance-gateway", dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
    // Fingerprint modules' USB traffic as recorded (usbmon pcapng) and the capture times in it (tests, benches).
    .target(name: "USBRecordings", dependencies: ["Biometrics"]),
    // The measurements behind `station-bench` (queue, reports, upload, fingerprint processing, intake).
    .target(
        name: "StationBenchmarks",
        dependencies: [
            "Biometrics", "Intake", "Queue", "CentralAPI", "Uplink", "Retry", "StationTestKit", "ControlAPI",
            "Simulation", .product(name: "GRDB", package: "GRDB.swift"),
        ]
    ),
    .executableTarget(
        name: "station-bench",
        dependencies: [
            "SmartCard", "StationTestKit", "StationBenchmarks", "Biometrics", "USBRecordings", "Queue", "ChipID",
            "Simulation", "Uplink", "ControlAPI", "Station", "Intake", "CentralAPI", "CentralEvidence", "Portraits",
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .executableTarget(
        name: "station-demo",
        dependencies: ["StationTestKit"]
    ),
]

// MARK: - Tests, module by module in the same order, and the probes they run as processes (in Tests/Probes)

let tests: [Target] = [
    .testTarget(name: "StationTestKitTests", dependencies: ["StationTestKit"]),
    .testTarget(name: "JobThreadsTests", dependencies: ["JobThreads", "SmartCard"]),
    // The live tests start `station-simulator card` processes: depending on the executable makes it built first.
    .testTarget(
        name: "SmartCardTests",
        dependencies: ["SmartCard", "JobThreads", "Retry", "StationTestKit", "station-simulator"]
    ),
    // ChipReader against the simulated eMRTD in memory (`Simulation.InMemoryEMRTD`): no HTTP server, no database.
    .testTarget(name: "ChipIDTests", dependencies: ["ChipID", "SmartCard", "Simulation"]),
    // Test helpers run as processes: USB replay (under umockdev-run) and live hot-plug (under umockdev-wrapper).
    .executableTarget(name: "biometrics-replay", dependencies: ["Biometrics"], path: "Tests/Probes/biometrics-replay"),
    .executableTarget(
        name: "biometrics-hotplug-probe", dependencies: ["Biometrics", "CUmockdev"],
        path: "Tests/Probes/biometrics-hotplug-probe"
    ),
    .testTarget(
        name: "BiometricsTests",
        dependencies: ["Biometrics", "Messages", "USBRecordings", "biometrics-replay", "biometrics-hotplug-probe"]
    ),
    .testTarget(name: "IntakeTests", dependencies: ["Intake", "Messages", "StationTestKit"]),
    .testTarget(name: "PortraitsTests", dependencies: ["Portraits", "Intake", "StationTestKit"]),
    .testTarget(name: "MessagesTests", dependencies: ["Messages", "Intake", "Queue"]),
    // Commits and moves applications until SIGKILLed (the crash-safety tests).
    .executableTarget(
        name: "queue-crash-probe", dependencies: ["Queue", "Intake", "StationTestKit"],
        path: "Tests/Probes/queue-crash-probe"
    ),
    .testTarget(
        name: "QueueTests",
        dependencies: [
            "Queue", "Intake", "StationTestKit", "queue-crash-probe", .product(name: "GRDB", package: "GRDB.swift"),
        ]
    ),
    .testTarget(
        name: "CentralAPITests", dependencies: ["CentralAPI", .product(name: "Crypto", package: "swift-crypto")]
    ),
    // Drains a queue to a central until SIGKILLed (the upload crash tests).
    .executableTarget(
        name: "uplink-crash-probe", dependencies: ["Uplink", "Queue", "Retry"], path: "Tests/Probes/uplink-crash-probe"
    ),
    // The live tests start the `central-receiver` process: depending on the executable makes it built first.
    .testTarget(
        name: "UplinkTests",
        dependencies: [
            "Uplink", "CentralAPI", "Queue", "Intake", "Retry", "StationTestKit", "StationBenchmarks",
            "central-receiver", "Simulation", "ChipID", "CentralEvidence",
            "uplink-crash-probe", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]
    ),
    .testTarget(name: "ControlAPITests", dependencies: ["ControlAPI", "Messages"]),
    // Starts `stationd run` and `stationctl` as processes; depending on them makes them built first.
    .testTarget(
        name: "StationTests",
        dependencies: [
            "Station", "ControlAPI", "StationTestKit", "stationd", "stationctl", "station-simulator", "Simulation",
            "central-receiver", "insurance-gateway", "Queue", "Uplink", "CentralAPI", "Intake", "StationBenchmarks",
        ]
    ),
    .testTarget(
        name: "SimulationTests",
        dependencies: ["Simulation", "SmartCard", "StationTestKit", "ChipID", "stationd", "station-simulator"]
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

let targets = restricted(systemLibraries + modules + tooling + tests)
let executables = Set([
    "stationd", "stationctl", "central-receiver", "insurance-gateway", "station-simulator", "station-bench",
    "station-demo", "biometrics-replay", "biometrics-hotplug-probe", "queue-crash-probe", "uplink-crash-probe",
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
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
