import Biometrics
import ChipID
import ControlAPI
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOSSL
import Queue
import ServiceLifecycle
import SmartCard

#if canImport(Glibc)
    import Glibc
#endif

/// `stationd run`: composes the station from services and runs them until SIGTERM/SIGINT.
///
/// Start-up order (each step reported with `STATUS=`): open and migrate the store (and verify its audit
/// chain), probe the card readers and fingerprint scanners, bind the control socket; only then `READY=1`.
/// Services: control server, reader monitor, biometric monitor, intake sessions, retention purge, watchdog.
public enum StationDaemon {
    /// Runs the daemon; returns after a graceful shutdown.
    public static func run(configuration: StationConfiguration, logger: Logger) async throws {
        let notifier = SystemdNotifier()
        let activation = SocketActivation()

        notifier.status("opening the store")
        let directory = (configuration.databasePath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // One daemon per state directory: a second start stops here, naming the first one's PID.
        let lock = try StateDirectoryLock(directory: directory)
        let queue = try ApplicationQueue(configuration: configuration.queueConfiguration)
        let store = StoreGateway(queue: queue)
        let audit = try await store.run { try $0.verifyAudit() }
        if !audit.isIntact {
            logger.critical(
                "audit chain broken",
                metadata: ["sequence": "\(audit.firstBrokenSequence.map(String.init) ?? "?")"])
        }
        logger.info(
            "store open", metadata: ["audit_entries": "\(audit.entries)", "intact": "\(audit.isIntact)"])

        notifier.status("probing devices")
        let devices = DeviceState()
        await probeReaders(devices, logger: logger)
        let hub = EventHub()
        let fingerprintStation: FingerprintStation?
        do {
            // Every attempt of every capture (the intake's included) reaches /v1/events as `capture.attempt`.
            fingerprintStation = try FingerprintStation(
                configuration: BiometricsConfiguration(
                    simulator: configuration.simulator, useUSB: configuration.useUSB),
                attempts: hub.captureAttempts)
        } catch {
            logger.warning("fingerprint layer unavailable", metadata: ["error": "\(type(of: error))"])
            fingerprintStation = nil
        }
        let fingerprints = FingerprintStationHandle(station: fingerprintStation)
        devices.setScanners(await fingerprints.scanners())

        let metrics = StationMetrics.bootstrapped
        let anchors = TrustAnchorStore(
            configured: configuration.trustList,
            directory: (configuration.databasePath as NSString).deletingLastPathComponent)
        let chips = AnchoredChipReading(base: PCSCChipReading(), anchors: anchors)
        let intake = IntakeCoordinator(
            .init(
                store: store, fingerprints: fingerprints, devices: devices, hub: hub,
                point: configuration.point, policy: configuration.policy, chips: chips,
                cardTimeout: configuration.cardTimeout, trustList: configuration.trustList, logger: logger))
        let uplink: UplinkUploadService? =
            configuration.uplinkURL == nil
            ? nil
            : UplinkUploadService(
                settings: .init(configuration), store: store, hub: hub, anchors: anchors, logger: logger)
        let core = StationCore(
            configuration: configuration, store: store, devices: devices, hub: hub, metrics: metrics,
            intake: intake, upload: uplink ?? NotConfiguredUpload(), fingerprints: fingerprints, chips: chips,
            anchors: anchors, storeConsistent: audit.isIntact, logger: logger)

        let socketPath = activation.path ?? configuration.socketPath
        if activation.fd != nil {
            logger.info(
                "socket activation: rebinding the passed socket's path", metadata: ["path": "\(socketPath)"]
            )
        }
        try FileManager.default.createDirectory(
            atPath: (socketPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // The socket is created with the process umask: never world-accessible, even before the chmod below.
        umask(0o007)
        let socketGID = configuration.socketGroup.flatMap(Authorization.gid(of:))
        if configuration.socketGroup != nil && socketGID == nil {
            logger.warning(
                "socket group not found", metadata: ["group": "\(configuration.socketGroup ?? "")"])
        }
        let clients: ClientRegistry
        do {
            clients = try ClientRegistry(path: configuration.listener.clientsPath)
        } catch {
            throw StationCertificateError(
                "listener.clients_file \(configuration.listener.clientsPath) cannot be read: \(error)")
        }
        let listenerInfo = ListenerInfo(configuration.listener)
        let application = ControlServer.make(
            core: core, socketPath: socketPath, logger: logger, clients: clients, listenerInfo: listenerInfo,
            onBound: {
                _ = chmod(socketPath, 0o660)
                if let socketGID { _ = chown(socketPath, uid_t.max, socketGID) }
                activation.release()
                let readers = devices.readers.count
                let scanners = devices.scanners.count
                logger.notice(
                    "ready",
                    metadata: ["socket": "\(socketPath)", "readers": "\(readers)", "scanners": "\(scanners)"])
                notifier.ready(
                    status:
                        "ready: \(readers) reader(s), \(scanners) scanner(s), profile \(configuration.profile.rawValue)"
                )
            })

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: application, serviceName: "control-server"),
            .init(
                service: ReaderMonitorService(
                    devices: devices, hub: hub, intake: intake, notifier: notifier, logger: logger),
                successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore,
                serviceName: "reader-monitor"),
            .init(
                service: BiometricMonitorService(
                    station: fingerprints, devices: devices, hub: hub, period: configuration.biometricsPoll),
                successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore,
                serviceName: "biometric-monitor"),
            .init(
                service: IntakeSessionsService(intake: intake, hub: hub),
                successTerminationBehavior: .ignore,
                serviceName: "intake-sessions"),
            .init(
                service: PurgeService(store: store, period: configuration.purgeInterval, logger: logger),
                successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore,
                serviceName: "purge"),
            .init(
                service: WatchdogService(
                    notifier: notifier, health: { (try? await store.run { _ in true }) ?? false }),
                successTerminationBehavior: .ignore, serviceName: "watchdog"),
        ]
        services.append(
            .init(
                service: core.keyRotation, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore,
                serviceName: "key-rotation"))
        if configuration.listener.enabled {
            let listener = try ControlServer.makeListener(
                core: core, clients: clients, info: listenerInfo, logger: logger)
            // Right after the control server: services stop in reverse order, so the listener stops after the
            // intake-sessions service has ended the event streams (an open console or desk stream would otherwise
            // hold its graceful stop up until the service manager's kill).
            services.insert(.init(service: listener, serviceName: "tcp-listener"), at: 1)
        }
        if let uplink {
            services.append(
                .init(
                    service: uplink, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore,
                    serviceName: "uplink"))
            services.append(
                .init(
                    service: ReportSendingService(core: core, schedule: configuration.reportSchedule, logger: logger),
                    successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore,
                    serviceName: "report-sending"))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint]
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        notifier.stopping()
        try? await store.run { try $0.checkpoint() }
        logger.notice("stopped")
        withExtendedLifetime(lock) {}
    }

    /// Lists readers once (bounded to 3 s) so the status is right from the first request.
    static func probeReaders(_ devices: DeviceState, logger: Logger) async {
        let names: [String]? = await withTaskGroup(of: [String]?.self) { group in
            group.addTask { try? await CardReaders().list() }
            group.addTask {
                try? await Task.sleep(for: .seconds(3))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let names {
            devices.setPCSC(true)
            for name in names { devices.addReader(name) }
        } else {
            logger.warning("PC/SC not reachable at start; the reader monitor keeps trying")
        }
    }
}

/// Builds the Hummingbird application serving the control API on the Unix socket.
enum ControlServer {
    static func make(
        core: StationCore, socketPath: String, logger: Logger, clients: ClientRegistry, listenerInfo: ListenerInfo,
        onBound: @escaping @Sendable () -> Void
    ) -> some Service {
        let configuration = core.configuration
        let admission = ControlAdmission(limits: limits(configuration, logger: logger))
        let router = router(
            core: core, admission: admission, clients: clients, listenerInfo: listenerInfo, gate: nil,
            logger: logger)
        return Application(
            router: router,
            // Slow clients are cut after control.request_timeout_seconds, idle ones after
            // control.idle_timeout_seconds; connections are admitted by the ledger (SlowClientGuard).
            server: GuardedHTTP1Channel.builder(
                timeoutSeconds: configuration.requestTimeout, idleTimeoutSeconds: configuration.idleTimeout,
                maxBodyBytes: configuration.maxBodyBytes, admission: admission),
            // A deep accept queue: a flood that fills it would make other callers' connect() fail (EAGAIN)
            // before the ledger can refuse the flood's connections (the kernel caps it at net.core.somaxconn).
            configuration: .init(
                address: .unixDomainSocket(path: socketPath), serverName: "stationd", backlog: 4096),
            onServerRunning: { _ in onBound() },
            logger: logger)
    }

    /// The connection and body limits, `control.max_connections` lowered to fit the descriptor limit.
    static func limits(_ configuration: StationConfiguration, logger: Logger) -> ConnectionLedger.Limits {
        var limits = configuration.controlLimits
        // Connections must never exhaust the descriptors (the store, devices and uplink need some too).
        let descriptors = raiseDescriptorLimit()
        if limits.connections > descriptors - 128 {
            logger.warning(
                "control.max_connections lowered to fit the descriptor limit",
                metadata: ["configured": "\(limits.connections)", "nofile": "\(descriptors)"])
            limits.connections = max(2, descriptors - 128)
        }
        return limits
    }

    /// One router for both ways in: the same routes and rules; the TCP listener's middleware has a `gate`.
    static func router(
        core: StationCore, admission: ControlAdmission, clients: ClientRegistry, listenerInfo: ListenerInfo,
        gate: ListenerGate?, logger: Logger
    ) -> Router<StationRequestContext> {
        let configuration = core.configuration
        let routes = RouteMethods()
        let router = Router(context: StationRequestContext.self)
        var middleware = ControlMiddleware(
            authorization: Authorization(
                operatorsGroup: configuration.operatorsGroup, supervisorsGroup: configuration.supervisorsGroup),
            admission: admission, routes: routes, logger: logger)
        middleware.listener = gate
        router.add(middleware: middleware)
        StationRoutes(core: core).add(to: router)
        DoorListRoutes(core: core).add(to: router)
        ReportPageRoute(core: core).add(to: router)
        FreezeRoute(core: core).add(to: router)
        UplinkRoutes(core: core).add(to: router)
        QueueRoutes(core: core).add(to: router)
        IntakeRoutes(core: core).add(to: router)
        ExceptionRoutes(core: core).add(to: router)
        ClientRoutes(core: core, clients: clients, listener: listenerInfo).add(to: router)
        OperatorRoutes(core: core).add(to: router)
        KeysRoutes(core: core).add(to: router)
        if let console = gate?.console {
            ConsoleRoutes(core: core, login: console, assets: ConsoleAssets.load()).add(to: router)
        }
        routes.record(router.routeList)
        return router
    }

    /// The TCP listener (`[listener]`): the same router behind `ListenerGate` (CORS, client tokens, scopes), the
    /// same slow-client, idle and body limits with a ledger of its own (a flood on the LAN never locks the socket's
    /// operators out), TLS with the station certificate when `listener.tls` is on.
    static func makeListener(
        core: StationCore, clients: ClientRegistry, info: ListenerInfo, logger: Logger
    ) throws -> some Service {
        let configuration = core.configuration
        let settings = configuration.listener
        var tls: NIOSSLContext?
        if settings.tls {
            let certificate = try StationCertificate.loadOrCreate(
                certificatePath: settings.certificatePath, keyPath: settings.keyPath, address: settings.address)
            var tlsConfiguration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificatePEM.utf8))
                    .map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.keyPEM.utf8), format: .pem)))
            tlsConfiguration.minimumTLSVersion = .tlsv12
            tls = try NIOSSLContext(configuration: tlsConfiguration)
            info.update {
                $0.certificateSHA256 = certificate.certificateSHA256
                $0.publicKeySHA256 = certificate.publicKeySHA256
            }
            logger.notice(
                "listener certificate", metadata: ["sha256": "\(certificate.certificateSHA256)"])
        }
        let admission = ControlAdmission(limits: limits(configuration, logger: logger), exempt: [])
        var gate = ListenerGate(clients: clients, cors: CORSPolicy(origins: settings.corsOrigins))
        gate.console = ConsoleLogin(
            authorization: Authorization(
                operatorsGroup: configuration.operatorsGroup, supervisorsGroup: configuration.supervisorsGroup),
            secure: settings.tls, passwords: settings.passwordCheck.check())
        gate.consoleHosts = ["localhost", "127.0.0.1", "[::1]", settings.address]
        let router = router(
            core: core, admission: admission, clients: clients, listenerInfo: info, gate: gate, logger: logger)
        return Application(
            router: router,
            // HTTP/1 with the WebSocket upgrade of `/v1/events/ws`, behind the same gate.
            server: ListenerChannel.builder(
                timeoutSeconds: configuration.requestTimeout, idleTimeoutSeconds: configuration.idleTimeout,
                maxBodyBytes: configuration.maxBodyBytes, admission: admission, tls: tls, gate: gate, hub: core.hub),
            configuration: .init(
                address: .hostname(settings.address, port: settings.port), serverName: "stationd", backlog: 256),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                info.update { $0.port = port }
                logger.notice(
                    "listener ready",
                    metadata: [
                        "address": "\(settings.address)", "port": "\(port)", "tls": "\(settings.tls)",
                    ])
            },
            logger: logger)
    }

    /// Raises the soft descriptor limit to the hard one (systemd's default soft limit is 1024) and returns it.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
