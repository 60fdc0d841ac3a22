import Foundation
import Queue
import Retry
import Uplink

// uplink-crash-probe: drains a station's queue to a central, for the kill -9 tests (a test cannot kill itself).
//
//   uplink-crash-probe QUEUE_DIR CENTRAL_URL STATION_ID [BATCH_COUNT] [CHUNK_BYTES]
//
// QUEUE_DIR holds queue.sqlite, queue.key and the enrolled station credentials (station.key, enrollment.json).
// Prints `draining` before the first batch and `drained N` at the end; exit 0 on success.

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(
        Data("usage: uplink-crash-probe QUEUE_DIR CENTRAL_URL STATION_ID [COUNT] [CHUNK]\n".utf8))
    exit(2)
}
let directory = arguments[1]
let count = arguments.count > 4 ? Int(arguments[4]) ?? 20 : 20
let chunk = arguments.count > 5 ? Int(arguments[5]) ?? 65_536 : 65_536
do {
    let queue = try ApplicationQueue(
        configuration: .init(
            databasePath: directory + "/queue.sqlite", keyFilePath: directory + "/queue.key",
            minimumFreeBytes: 16 << 20))
    let credentials = try StationCredentials.load(directory: directory, stationID: arguments[3])
    let uploader = try Uploader(
        queue: queue, credentials: credentials,
        configuration: .init(
            client: CentralClient(baseURL: arguments[2]), policy: BatchPolicy(maxCount: count),
            backoff: Backoff(base: 0.05, cap: 0.5), chunkSize: chunk, stateDirectory: directory))
    FileHandle.standardOutput.write(Data("draining\n".utf8))
    let report = try await uploader.drain(until: Date().addingTimeInterval(120))
    print("drained \(report.received)")
    exit(0)
} catch {
    print("failed: \(error)")
    exit(1)
}
