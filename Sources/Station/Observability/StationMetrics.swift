import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The daemon's metrics: recorded through swift-metrics where things happen, collected by swift-prometheus and
/// served on `/metrics` in the Prometheus text format.
///
/// `StationMetrics.bootstrapped` bootstraps the process-wide `MetricsSystem` once with a
/// `PrometheusCollectorRegistry`; before that (library use, unit tests) recording goes to swift-metrics' no-op
/// backend. Names are stable (`StationMetric.Name`); labels never carry personal data: routes are templates
/// (`/v1/queue/{id}`), outcomes are verdicts or error codes, states are queue state names.
public final class StationMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry

    private init() { registry = PrometheusCollectorRegistry() }

    /// The process's metrics, bootstrapping `MetricsSystem` on first use (exactly once per process).
    public static let bootstrapped: StationMetrics = {
        let metrics = StationMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        return metrics
    }()

    /// The exposition text (Prometheus text format 0.0.4).
    public func render() -> String { registry.emitToString() }
}

/// Where the station records what happens. Every function is cheap (a registry look-up and an atomic add).
public enum StationMetric {
    /// The metric names, part of the daemon's interface (README "Metrics").
    public enum Name {
        /// Counter `{route, method, status}`: control requests answered. `route` is the route template
        /// as the router knows it, e.g. `/v1/queue/{id}` (`NotFound` for unknown paths).
        public static let httpRequests = "stationd_http_requests_total"
        /// Histogram `{route, method}` (seconds): time to produce the response head.
        public static let httpDuration = "stationd_http_request_duration_seconds"
        /// Gauge: open connections on the control socket.
        public static let connections = "stationd_control_connections"
        /// Counter `{reason}`: connections cut: a request did not arrive within
        /// `control.request_timeout_seconds` (reason `head` or `body`), or a refused (413) body went on past the
        /// discard allowance (`discard`).
        public static let slowClients = "stationd_slow_clients_closed_total"
        /// Counter `{kind, whose}`: connections (`kind` = `connection`) or request bodies (`body`) refused by a
        /// limit: the station's total (`whose` = `station`, 503) or the caller's uid's share (`caller`, 429).
        public static let limitRefusals = "stationd_control_refused_total"
        /// Counter `{outcome}`: chip reads (intake and verify); outcome is the authenticity verdict or the
        /// error code.
        public static let cardReads = "stationd_card_reads_total"
        /// Histogram (seconds): one chip read, PACE to the last data group.
        public static let cardReadDuration = "stationd_card_read_duration_seconds"
        /// Counter `{outcome}`: intake commits (`committed`, `failed`).
        public static let intakeCommits = "stationd_intake_commits_total"
        /// Counter `{outcome}`: applications the central answered for (`received`, `refused`, `unanswered`).
        public static let uploadItems = "stationd_upload_items_total"
        /// Counter: payload bytes acknowledged by the central.
        public static let uploadBytes = "stationd_upload_bytes_total"
        /// Counter `{outcome}`: upload cycles (`idle` = done, `offline`, `failed`).
        public static let uploadCycles = "stationd_upload_cycles_total"
        /// Gauge `{state}`: applications in the queue by local state (updated at each scrape).
        public static let queueApplications = "stationd_queue_applications"
        /// Gauge: `/v1/events` clients connected.
        public static let eventSubscribers = "stationd_event_subscribers"
        /// Gauge: card readers present.
        public static let readers = "stationd_readers"
        /// Gauge: fingerprint scanners present.
        public static let scanners = "stationd_scanners"
        /// Gauge: seconds since the daemon started.
        public static let uptime = "stationd_uptime_seconds"
    }

    /// A control request answered.
    static func request(route: String, method: String, status: Int, nanoseconds: UInt64) {
        Counter(
            label: Name.httpRequests, dimensions: [("route", route), ("method", method), ("status", "\(status)")]
        ).increment()
        CoreMetrics.Timer(label: Name.httpDuration, dimensions: [("route", route), ("method", method)])
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// A connection opened (+1) or closed (-1).
    static func connection(_ delta: Int) {
        let meter = CoreMetrics.Meter(label: Name.connections)
        if delta > 0 { meter.increment(by: Double(delta)) } else { meter.decrement(by: Double(-delta)) }
    }

    /// A slow client cut.
    static func slowClientClosed(reason: String) {
        CoreMetrics.Counter(label: Name.slowClients, dimensions: [("reason", reason)]).increment()
    }

    /// A connection or body refused by a `[control]` limit.
    static func limitRefusal(kind: String, whose: String) {
        CoreMetrics.Counter(label: Name.limitRefusals, dimensions: [("kind", kind), ("whose", whose)]).increment()
    }

    /// A chip read finished with `outcome` (verdict or error code).
    static func cardRead(outcome: String, seconds: Double) {
        CoreMetrics.Counter(label: Name.cardReads, dimensions: [("outcome", outcome)]).increment()
        CoreMetrics.Timer(label: Name.cardReadDuration).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// An intake commit.
    static func intakeCommit(committed: Bool) {
        let outcome = committed ? "committed" : "failed"
        CoreMetrics.Counter(label: Name.intakeCommits, dimensions: [("outcome", outcome)]).increment()
    }

    /// Applications answered by the central in one batch.
    static func uploadItems(received: Int, refused: Int, unanswered: Int) {
        for (outcome, count) in [("received", received), ("refused", refused), ("unanswered", unanswered)]
        where count > 0 {
            CoreMetrics.Counter(label: Name.uploadItems, dimensions: [("outcome", outcome)])
                .increment(by: count)
        }
    }

    /// Payload bytes newly acknowledged.
    static func uploadBytes(_ count: Int) {
        guard count > 0 else { return }
        CoreMetrics.Counter(label: Name.uploadBytes).increment(by: count)
    }

    /// An upload cycle ended in `phase`.
    static func uploadCycle(_ phase: String) {
        CoreMetrics.Counter(label: Name.uploadCycles, dimensions: [("outcome", phase)]).increment()
    }

    /// The gauges read at scrape time.
    static func scrape(queue: [String: Int]?, subscribers: Int, readers: Int, scanners: Int, uptime: Double) {
        for (state, count) in queue ?? [:] {
            CoreMetrics.Gauge(label: Name.queueApplications, dimensions: [("state", state)]).record(count)
        }
        CoreMetrics.Gauge(label: Name.eventSubscribers).record(subscribers)
        CoreMetrics.Gauge(label: Name.readers).record(readers)
        CoreMetrics.Gauge(label: Name.scanners).record(scanners)
        CoreMetrics.Gauge(label: Name.uptime).record(uptime.rounded())
    }
}
