import ServiceLifecycle

/// Sends `WATCHDOG=1` at half the period systemd asked for, for as long as the daemon runs.
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let health: @Sendable () async -> Bool

    func run() async throws {
        guard let interval = notifier.watchdogInterval else {
            // Nothing to send outside systemd's watchdog, but the service stays until the group shuts down: a
            // service that ends on its own while the group is shutting down is an error to ServiceLifecycle, so a
            // SIGTERM soon after the start, before the group had collected this early end, made stationd exit 1.
            try? await gracefulShutdown()
            return
        }
        let half = interval / 2
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await health() { notifier.watchdog() }
                try await Task.sleep(for: half)
            }
        }
    }
}
