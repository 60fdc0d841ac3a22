import Foundation
import Intake
import Queue
import Testing

/// One writer of queue state (issue 18 item 2): the operators' transitions and the uploader's changes go through
/// the same function, so they agree on every column it writes.
@Suite struct StateWriterTests {
    /// `attempts` counts upload attempts: each time the row is put in a batch. The operators' retry and the
    /// uploader's batching used to count separately (retry +1, batched +1), so a row refused once, retried and
    /// offered again showed 3 attempts for 2.
    @Test func attemptsCountEachBatchOnceWhicheverPathMovesTheRow() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let a = sampleApplication()
        try queue.commit(a, by: officer)
        try queue.transition(a.id, to: .s(.ready), by: .system, action: "release_for_upload")
        func change(_ action: String, _ local: LocalState) -> UplinkChange {
            UplinkChange(id: a.id, action: action) { status in
                var next = status
                next.local = local
                return [next]
            }
        }
        func attempts() throws -> Int? { try queue.list(QueueFilter(), limit: 5).items.first?.attempts }
        #expect(try attempts() == 0)
        try queue.applyUplinkChanges([change("batch", .batched)], by: .system)
        #expect(try attempts() == 1)
        try queue.applyUplinkChanges([change("upload_refused", .needsAttention)], by: .system)
        try queue.retry(a.id, by: officer)
        #expect(try attempts() == 1)  // a retry is not an upload attempt: the next batch is
        try queue.applyUplinkChanges([change("batch", .batched)], by: .system)
        #expect(try attempts() == 2)
        // The operators' function writes the same way: into a batch counts, out of one does not.
        try queue.transition(a.id, to: .s(.needsAttention), by: .system)
        try queue.retry(a.id, by: officer)
        try queue.transition(a.id, to: .s(.batched), by: .system)
        #expect(try attempts() == 3)
        #expect(try queue.status(of: a.id) == .s(.batched))
    }
}
