import ServiceLifecycle

/// Sends `WATCHDOG=1` at half the period systemd asked for, for as long as the daemon runs.
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let health: @Sendable () async -> Bool

    func run() async throws {
        guard let interval = notifier.watchdogInterval else { return }
        let half = interval / 2
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await health() { notifier.watchdog() }
                try await Task.sleep(for: half)
            }
        }
    }
}
