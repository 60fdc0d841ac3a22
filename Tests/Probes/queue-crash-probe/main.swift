// queue-crash-probe: commits applications and moves their states in a loop, printing each acknowledged
// change to stdout only after `commit`/`transition` returned (i.e. after fsync). The QueueTests crash test
// kills it with SIGKILL at random moments and checks that every acknowledged change survived.
//
// usage: queue-crash-probe <database> <keyfile> [--ack-before-commit]
// output lines: "C <uuid>" committed; "T <uuid> <local>/<central>" transition done.

import Foundation
import Intake
import Queue
import StationTestKit

#if canImport(Glibc)
    import Glibc
#endif

func emit(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
            if n <= 0 { exit(3) }
            offset += n
        }
    }
}

/// The kit's sample application, as the probe writes them: random ID numbers, 15 KB random fingerprint records.
func makeApplication(index: Int) -> Application {
    SampleApplications.application(
        fullName: "PROBE CITIZEN \(index)", dateOfBirth: CalendarDate(year: 1990, month: 1, day: 1)!, sex: .female,
        expiry: CalendarDate(year: 2040, month: 1, day: 1)!,
        chipPortrait: SyntheticJPEG.headers(width: 240, height: 320, size: 8_000),
        livePortrait: SyntheticJPEG.headers(width: 480, height: 640, size: 12_000), operatorID: "probe",
        point: RegistrationPoint(communeCode: "01234", kind: .mobile, placeName: "probe"))
}

let arguments = CommandLine.arguments
guard arguments.count == 3 || (arguments.count == 4 && arguments[3] == "--ack-before-commit") else {
    FileHandle.standardError.write(Data("usage: queue-crash-probe <database> <keyfile> [--ack-before-commit]\n".utf8))
    exit(2)
}
/// Negative control for the crash test: acknowledge before committing, as a buggy caller would. The test
/// must then find acknowledged applications missing.
let acknowledgeEarly = arguments.count == 4

let queue: ApplicationQueue
do {
    queue = try ApplicationQueue(
        configuration: .init(databasePath: arguments[1], keyFilePath: arguments[2], minimumFreeBytes: 1 << 20))
} catch {
    FileHandle.standardError.write(Data("open failed: \(error)\n".utf8))
    exit(1)
}
emit("R")

/// The next step of an application's walk through the states, nil when it is done.
func nextStatus(after status: ApplicationStatus) -> ApplicationStatus? {
    switch (status.local, status.central) {
    case (.captured, .unknown), (.held, .unknown): return .init(local: .ready, central: .unknown)
    case (.ready, .unknown): return .init(local: Bool.random() ? .held : .batched, central: .unknown)
    case (.batched, .unknown): return .init(local: .uploaded, central: .unknown)
    case (.uploaded, .unknown): return .init(local: .uploaded, central: .received)
    case (.uploaded, .received): return .init(local: .uploaded, central: .accepted)
    default: return nil
    }
}

// Pick up the unfinished applications of earlier (killed) runs so every run moves states too.
var live: [ApplicationID] = []
do {
    let unfinished = try queue.list(
        QueueFilter(localStates: [.captured, .ready, .held, .batched, .uploaded]), limit: 10_000)
    live = unfinished.items.filter { nextStatus(after: $0.status) != nil }.map(\.id)
} catch {
    FileHandle.standardError.write(Data("list failed: \(error)\n".utf8))
    exit(1)
}
let actor = QueueActor.officer(OperatorID("probe"))
var index = 0
while true {
    index += 1
    if live.count < 8 || Int.random(in: 0..<3) == 0 {
        let application = makeApplication(index: index)
        do {
            if acknowledgeEarly { emit("C \(application.id.text)") }
            try queue.commit(application, by: actor)
            if !acknowledgeEarly { emit("C \(application.id.text)") }
            live.append(application.id)
        } catch {
            FileHandle.standardError.write(Data("commit failed: \(error)\n".utf8))
            exit(1)
        }
    } else {
        let pick = Int.random(in: 0..<live.count)
        let id = live[pick]
        do {
            guard let target = nextStatus(after: try queue.status(of: id)) else {
                live.remove(at: pick)
                continue
            }
            try queue.transition(
                id, to: target, by: target.central == .unknown ? actor : .system, reason: QueueReason(code: "probe"))
            emit("T \(id.text) \(target.description)")
        } catch {
            FileHandle.standardError.write(Data("transition failed: \(error)\n".utf8))
            exit(1)
        }
    }
}
