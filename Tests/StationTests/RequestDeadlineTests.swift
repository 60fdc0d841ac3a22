import Station
import Testing

/// The slow-client state machine, driven with explicit times (nanoseconds; timeout 1000).
struct RequestDeadlineTests {
    @Test func aConnectionThatSaysNothingIsCutAfterTheTimeout() {
        let machine = RequestDeadline(timeout: 1000, openedAt: 50)
        #expect(machine.expired(at: 1049) == nil)
        #expect(machine.expired(at: 1050) == .head)
        #expect(machine.nextCheck == 1050)
    }

    @Test func theFirstRequestsDeadlineRunsFromTheOpeningNotItsFirstByte() {
        var machine = RequestDeadline(timeout: 1000, openedAt: 0)
        machine.bytesArrived(at: 900)
        #expect(machine.expired(at: 1000) == .head)
        machine.headArrived(at: 950)
        #expect(machine.expired(at: 1000) == .body)
    }

    @Test func noDeadlineWhileHandlingNorBetweenRequests() {
        var machine = RequestDeadline(timeout: 1000, openedAt: 0)
        machine.bytesArrived(at: 10)
        machine.headArrived(at: 20)
        machine.requestEnded()
        #expect(machine.phase == .handling)
        #expect(machine.expired(at: 1_000_000) == nil)
        #expect(machine.nextCheck == nil)
        machine.responseHeadWritten()
        machine.responseEnded(at: 2_000_000)
        #expect(machine.phase == .idle)
        #expect(machine.expired(at: 9_000_000) == nil)
        // The next request's deadline runs from its first byte.
        machine.bytesArrived(at: 9_000_000)
        #expect(machine.responseStarted == false)
        #expect(machine.expired(at: 9_000_999) == nil)
        #expect(machine.expired(at: 9_001_000) == .head)
    }

    @Test func anAnswerBeforeTheBodyEndsKeepsTheDeadlineRunning() {
        var machine = RequestDeadline(timeout: 1000, openedAt: 0)
        machine.bytesArrived(at: 1)
        machine.headArrived(at: 2)
        machine.responseHeadWritten()  // e.g. 413 while the body still arrives
        machine.responseEnded(at: 3)
        #expect(machine.phase == .receiving(headDone: true))
        #expect(machine.responseStarted)
        #expect(machine.expired(at: 1000) == .body)
        // The rest of the body arrives (discarded): the connection is between requests again.
        machine.requestEnded()
        #expect(machine.phase == .idle)
        #expect(machine.expired(at: 5000) == nil)
        machine.bytesArrived(at: 6000)
        #expect(machine.expired(at: 7000) == .head)
    }

    @Test func aPipelinedRequestGetsItsOwnDeadline() {
        var machine = RequestDeadline(timeout: 1000, openedAt: 0)
        machine.bytesArrived(at: 0)
        machine.headArrived(at: 0)
        machine.requestEnded()
        machine.bytesArrived(at: 500)  // the next request, while the first is answered
        machine.responseEnded(at: 5000)
        #expect(machine.phase == .receiving(headDone: false))
        #expect(machine.expired(at: 5999) == nil)
        #expect(machine.expired(at: 6000) == .head)
    }
}
