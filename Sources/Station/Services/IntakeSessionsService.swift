import ServiceLifecycle

/// Abandons an open intake session when the daemon stops (nothing half-taken is stored).
/// Also ends the event streams, so open `/v1/events` connections do not hold the shutdown up.
struct IntakeSessionsService: Service {
    let intake: IntakeCoordinator
    let hub: EventHub

    func run() async throws {
        try? await gracefulShutdown()
        await intake.shutdown()
        hub.finishAll()
    }
}
