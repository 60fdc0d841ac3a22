import ControlAPI
import Foundation
import Simulation
import StationTestKit

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 19's intake figure: the machine time of one intake, card read to commit, with no human waits, against the
/// sum of its parts measured alone in the same run (goal: whole ≤ 1.2× the sum of card read, two captures,
/// validation and commit).
///
/// One `stationd run` (the executable beside the running one: the release build under `make bench`) with pcscd →
/// vpcd → the simulated CCCD (Nguyễn Văn An, PACE-CAN, the test CSCA as the station's trust list: the card reads
/// genuine) and the simulated fingerprint module, on one kept-alive control connection, as root (an operator with
/// supervisor rights). Each round runs two sessions, in alternating order:
/// - **whole**: `POST /v1/intake` (not timed), then at once the card (`POST …/card` with the CAN), both index
///   fingers (`POST …/fingers` ×2), the portrait (`PUT …/portrait`: `Options.portrait`), the phone
///   (`PUT …/details`), the read-back (`POST …/review`) and the commit of that read-back (`POST …/commit` with its
///   revision): the time from sending the card request to the commit's answer, each request's share kept;
/// - **parts**: the same requests in a session of their own, each sent only after a pause (`Options.settle`) so
///   nothing of the step before is still running in the daemon, then a `GET /v1/status` (not timed: the daemon's
///   threads wake on a request outside the session, as back to back the step before woke them; without it each
///   small step alone paid ~0.5 ms for the wake-up), each timed alone.
///
/// "Alone" means the same daemon, the same devices and the same request path, without the rest of the session
/// around it: the state machine allows no capture before a card read, no validation before the draft is complete
/// and no commit before a validated read-back, so a part's earlier steps are taken but not timed, and the daemon is
/// idle when the part starts. The card read alone is the card step of a session that has done nothing else (the
/// read through `PCSCChipReading`, Passive and Chip Authentication, the chip's portrait, the screening); the
/// captures are the two capture requests (the simulated module's finger on/off, the image, its quality, the JPEG 2000
/// ISO record the request waits for); validation is the review (the rules over the store); commit is the commit (one
/// `synchronous=FULL` transaction, the fingerprint station's session released). Portrait and details are not among
/// the issue's parts: they count in the whole, are timed alone too and printed, so the gap between whole and parts
/// is shown step by step. Each committed application is cancelled afterwards (not timed) so the same citizen can
/// come again.
public enum IntakeBenchmark {
    /// What to run.
    public struct Options: Sendable {
        /// Rounds measured (each: one whole intake and one of parts), after `warmUp` rounds not counted.
        public var intakes: Int
        /// Rounds run first and not counted (the first portrait opens libvips, the first read warms pcscd).
        public var warmUp: Int
        /// The pause before each part measured alone, in seconds.
        public var settle: Double
        /// The live portrait sent: the console's webcam shot, or a phone's photo.
        public var portrait: Portrait

        /// Options for `intakes` rounds.
        public init(intakes: Int, warmUp: Int = 2, settle: Double = 0.1, portrait: Portrait = .webcam) {
            self.intakes = intakes
            self.warmUp = warmUp
            self.settle = settle
            self.portrait = portrait
        }
    }

    /// The photo `PUT …/portrait` gets.
    public enum Portrait: String, Sendable {
        /// What the console sends from a 640×480 camera: the 3:4 middle, 360×480, JPEG quality 0.92.
        case webcam
        /// A phone's 12-megapixel photo (4000×3000 JPEG, quality 92, EXIF orientation 6).
        case phone

        /// As printed.
        public var label: String { self == .webcam ? "360×480 webcam JPEG" : "12 MP phone JPEG" }

        var photo: Data {
            switch self {
            case .webcam: SamplePhoto(width: 360, height: 480).jpeg(quality: 92)
            case .phone: SamplePhoto(width: 4000, height: 3000).jpeg(quality: 92, orientation: 6)
            }
        }
    }

    /// One request of an intake, in the order the session takes them.
    public enum Step: String, Sendable, CaseIterable {
        case card, firstFinger, secondFinger, portrait, details, review, commit

        /// As printed.
        public var label: String {
            switch self {
            case .card: "card read (POST card)"
            case .firstFinger: "right index finger (POST fingers)"
            case .secondFinger: "left index finger (POST fingers)"
            case .portrait: "portrait (PUT portrait)"
            case .details: "phone (PUT details)"
            case .review: "validation + read-back (POST review)"
            case .commit: "commit (POST commit)"
            }
        }
    }

    /// The issue's parts, each the sum of its steps in one round.
    public enum Part: String, Sendable, CaseIterable {
        case cardRead, captures, validation, commit

        /// The steps a part is made of.
        public var steps: [Step] {
            switch self {
            case .cardRead: [.card]
            case .captures: [.firstFinger, .secondFinger]
            case .validation: [.review]
            case .commit: [.commit]
            }
        }

        /// As printed.
        public var label: String {
            switch self {
            case .cardRead: "card read"
            case .captures: "two captures"
            case .validation: "validation"
            case .commit: "commit"
            }
        }
    }

    /// The samples, in seconds, one per measured round.
    public struct Report: Sendable, CustomStringConvertible {
        /// Card request sent → commit answered, steps back to back.
        public var whole: [Double] = []
        /// Each step's share of the whole.
        public var inWhole: [Step: [Double]] = [:]
        /// Each step measured alone.
        public var alone: [Step: [Double]] = [:]
        /// The card's verdict as the daemon gave it (the bench expects `genuine`).
        public var authenticity = ""
        /// The pause before each step measured alone.
        public var settle = 0.0
        /// The portrait sent.
        public var portrait = Portrait.webcam

        /// A part measured alone, per round.
        public func alone(_ part: Part) -> [Double] {
            Self.sums(part.steps.map { alone[$0] ?? [] })
        }

        /// The sum of the issue's four parts measured alone, per round.
        public var partsSum: [Double] { Self.sums(Part.allCases.map { alone($0) }) }

        /// Every step measured alone (the parts, the portrait and the details), per round.
        public var stepsSum: [Double] { Self.sums(Step.allCases.map { alone[$0] ?? [] }) }

        /// Whole over the sum of the parts, at p50 (the goal: ≤ 1.2).
        public var ratio: Double { Self.percentile(whole, 0.5) / Self.percentile(partsSum, 0.5) }

        /// Whole over every step alone, at p50: what running the steps back to back costs.
        public var backToBackRatio: Double { Self.percentile(whole, 0.5) / Self.percentile(stepsSum, 0.5) }

        /// The `p` quantile (nearest rank) of `samples`.
        public static func percentile(_ samples: [Double], _ p: Double) -> Double {
            let sorted = samples.sorted()
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }

        static func sums(_ columns: [[Double]]) -> [Double] {
            let count = columns.map(\.count).min() ?? 0
            return (0..<count).map { index in columns.reduce(0) { $0 + $1[index] } }
        }

        public var description: String {
            func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
            func figures(_ samples: [Double]) -> String {
                "p50 " + ms(Self.percentile(samples, 0.5)).padding(9) + "  p90 "
                    + ms(Self.percentile(samples, 0.9)).padding(9) + "  p99 " + ms(Self.percentile(samples, 0.99))
            }
            var lines: [String] = []
            lines.append(
                "whole intake, card read → commit ×\(whole.count) (verdict \(authenticity), portrait: "
                    + "\(portrait.label)): " + figures(whole))
            lines.append(
                String(
                    format: "parts alone (each after a %.0f ms pause, its session's other steps not timed):",
                    settle * 1000))
            for part in Part.allCases {
                lines.append("  " + part.label.padding(22) + figures(alone(part)))
            }
            lines.append("  " + "sum of the parts".padding(22) + figures(partsSum))
            let p90 = Self.percentile(whole, 0.9) / Self.percentile(partsSum, 0.9)
            let p99 = Self.percentile(whole, 0.99) / Self.percentile(partsSum, 0.99)
            func judged(_ value: Double) -> String { value <= 1.2 ? "met" : "NOT met" }
            lines.append(
                String(
                    format: "whole / sum of the parts: %.2f× at p50, %.2f× at p90, %.2f× at p99 (goal ≤ 1.2×: %@ at "
                        + "p50, %@ at p90, %@ at p99)", ratio, p90, p99, judged(ratio), judged(p90), judged(p99)))
            lines.append("each step within the whole → alone (the difference at p50):")
            for step in Step.allCases {
                func at(_ samples: [Double]?, _ p: Double) -> Double { Self.percentile(samples ?? [], p) }
                let within = at(inWhole[step], 0.5)
                let by = at(alone[step], 0.5)
                lines.append(
                    "  " + step.label.padding(38) + "p50 " + ms(within).padding(9) + " → " + ms(by).padding(9)
                        + String(format: " %+5.1f ms", (within - by) * 1000) + "   p99 "
                        + ms(at(inWhole[step], 0.99)).padding(9) + " → " + ms(at(alone[step], 0.99)))
            }
            let outside = Self.percentile(Self.sums([alone[.portrait] ?? [], alone[.details] ?? []]), 0.5)
            lines.append(
                String(
                    format: "not among the issue's parts: portrait + phone alone p50 %.1f ms = %.0f%% of the whole; "
                        + "whole / every step alone %.2f× at p50 (what back to back costs)", outside * 1000,
                    100 * outside / Self.percentile(whole, 0.5), backToBackRatio))
            return lines.joined(separator: "\n")
        }
    }

    /// A request that did not answer as the intake needs (status and the error's code; no personal data).
    public struct Failure: Error, CustomStringConvertible {
        /// What failed.
        public var description: String
    }

    /// The simulated citizen (the CAN comes from its data set).
    static let dataSet = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
    /// The test CSCA: the station's trust list, so the simulated card reads genuine.
    static let trust = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki/trust")

    /// Starts the card on `harness`'s first reader and `stationd` in `directory`, runs the rounds, stops both.
    public static func run(harness: PCSCHarness, directory: URL, options: Options) throws -> Report {
        let citizen = try CitizenDataSet.load(dataSet)
        var base = DaemonBase.bench
        base.fingerprintSimulator = "good"
        let daemon = try DaemonUnderTest(
            directory: directory, base: base, extraConfig: "[trust]\nfolder = \(trust.path)\n",
            environment: harness.clientEnvironment)
        try daemon.start(readyTimeout: 30)
        defer { _ = daemon.stop(timeout: 15) }
        let card = try harness.startCardReported(arguments: ["--dataset", dataSet.path])
        defer {
            card.stop()
            harness.waitUntilEmpty(slot: 0)
        }
        let client = ControlClient(socketPath: daemon.socketPath, language: "en")
        defer { client.close() }
        let deadline = Date(timeIntervalSinceNow: 15)
        while Date() < deadline {
            let readers = try client.request("GET", ControlPaths.readers)
            if String(decoding: readers.body, as: UTF8.self).contains(#""cardPresent":true"#) { break }
            usleep(100_000)
        }
        let intake = Session(
            client: client, can: citizen.can, portrait: options.portrait.photo)

        var report = Report()
        report.settle = options.settle
        report.portrait = options.portrait
        for round in 0..<(options.warmUp + options.intakes) {
            let counted = round >= options.warmUp
            // Alternate which session goes first, so neither always follows the other.
            for backToBack in round % 2 == 0 ? [true, false] : [false, true] {
                let (steps, total) = try intake.run(settle: backToBack ? nil : options.settle)
                report.authenticity = intake.authenticity
                guard counted else { continue }
                for (step, seconds) in steps {
                    if backToBack {
                        report.inWhole[step, default: []].append(seconds)
                    } else {
                        report.alone[step, default: []].append(seconds)
                    }
                }
                if backToBack { report.whole.append(total) }
            }
        }
        return report
    }

    /// One session's requests on `client`.
    final class Session {
        let client: ControlClient
        let can: String
        let portrait: Data
        private(set) var authenticity = ""

        init(client: ControlClient, can: String, portrait: Data) {
            self.client = client
            self.can = can
            self.portrait = portrait
        }

        /// Starts a session and takes every step to the commit: back to back when `settle` is nil (the total is
        /// card sent → commit answered), else each after that pause. Cancels the application afterwards.
        func run(settle: Double?) throws -> (steps: [(Step, Double)], total: Double) {
            let session = try expect(
                client.request("POST", ControlPaths.intake, body: Data("{}".utf8)), 201, "start"
            ).decode(IntakeSessionWire.self)
            let path = "\(ControlPaths.intake)/\(session.id)"
            var steps: [(Step, Double)] = []
            var answers: [Step: ControlClient.Response] = [:]
            func take(_ step: Step, _ request: () throws -> ControlClient.Response) throws {
                if let settle {
                    usleep(useconds_t(settle * 1e6))
                    // The daemon's threads wake from the pause on a request that is no part of the session, so the
                    // timed step does not pay for waking them (back to back, the step before did).
                    _ = try client.request("GET", ControlPaths.status)
                }
                let start = DispatchTime.now().uptimeNanoseconds
                let answer = try request()
                steps.append((step, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                answers[step] = try expect(answer, 200, step.rawValue)
            }
            do {
                let began = DispatchTime.now().uptimeNanoseconds
                try take(.card) { try client.request("POST", path + "/card", json: CardReadRequest(can: can)) }
                try take(.firstFinger) { try client.request("POST", path + "/fingers", json: FingerRequest(finger: 2)) }
                try take(.secondFinger) {
                    try client.request("POST", path + "/fingers", json: FingerRequest(finger: 7))
                }
                try take(.portrait) {
                    try client.request("PUT", path + "/portrait", body: portrait, contentType: "image/jpeg")
                }
                var details = DetailsRequest()
                details.phone = "0912345678"
                try take(.details) { try client.request("PUT", path + "/details", json: details) }
                try take(.review) { try client.request("POST", path + "/review") }
                let review = try answers[.review]!.decode(IntakeSessionWire.self)
                guard let readBack = review.readBack, readBack.validated else {
                    throw Failure(description: "the review did not validate: \(review.problems?.map(\.code) ?? [])")
                }
                try take(.commit) {
                    try client.request(
                        "POST", path + "/commit", json: IntakeCommitRequest(readBackRevision: readBack.revision))
                }
                let total = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
                authenticity = try answers[.card]!.decode(IntakeSessionWire.self).authenticity ?? ""
                let committed = try answers[.commit]!.decode(IntakeSessionWire.self)
                guard committed.state == "committed", let id = committed.applicationID else {
                    throw Failure(description: "the commit answered state \(committed.state)")
                }
                // The same citizen comes again next round: a supervisor (root) cancels this application.
                _ = try expect(
                    client.request(
                        "POST", "\(ControlPaths.queue)/\(id)/cancel", json: QueueActionRequest(reason: "other")),
                    200, "cancel")
                return (steps, total)
            } catch {
                _ = try? client.request("DELETE", path)
                throw error
            }
        }

        private func expect(_ answer: ControlClient.Response, _ status: Int, _ what: String) throws
            -> ControlClient.Response
        {
            guard answer.status == status else {
                throw Failure(
                    description: "\(what) answered \(answer.status) \(answer.error?.code ?? "")")
            }
            return answer
        }
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
