import Station
import Testing

/// The idle timeout of `RequestDeadline` and the `ConnectionLedger`'s limits, driven without a daemon.
struct ConnectionLimitTests {
    @Test func anIdleKeepAliveConnectionIsCutAfterTheIdleTimeoutOnly() {
        var machine = RequestDeadline(timeout: 1000, idleTimeout: 5000, openedAt: 0)
        machine.bytesArrived(at: 10)
        machine.headArrived(at: 20)
        machine.requestEnded()
        #expect(machine.expired(at: 1_000_000) == nil)  // handling: no deadline
        machine.responseHeadWritten()
        machine.responseEnded(at: 2000)
        #expect(machine.phase == .idle)
        #expect(machine.nextCheck == 7000)
        #expect(machine.expired(at: 6999) == nil)
        #expect(machine.expired(at: 7000) == .idle)
        // A heartbeat request in time restarts the idle time from its answer.
        machine.bytesArrived(at: 6000)
        machine.headArrived(at: 6000)
        machine.requestEnded()
        machine.responseEnded(at: 6100)
        #expect(machine.expired(at: 11_000) == nil)
        #expect(machine.expired(at: 11_100) == .idle)
        // Without an idle timeout, idle connections stay.
        var unlimited = RequestDeadline(timeout: 1000, openedAt: 0)
        unlimited.bytesArrived(at: 1)
        unlimited.headArrived(at: 1)
        unlimited.requestEnded()
        unlimited.responseEnded(at: 2)
        #expect(unlimited.expired(at: .max) == nil)
        #expect(unlimited.nextCheck == nil)
    }

    @Test func connectionsAreCappedInTotalAndPerUIDButRootHasNoShare() {
        var ledger = ConnectionLedger(
            limits: .init(connections: 5, connectionsPerUID: 2, bodyBytes: 100, bodyBytesPerUID: 40),
            exempt: [0])
        #expect(ledger.open(uid: 1000) == nil)
        #expect(ledger.open(uid: 1000) == nil)
        #expect(ledger.open(uid: 1000) == .caller)
        #expect(ledger.open(uid: 1001) == nil)
        #expect(ledger.open(uid: 0) == nil)
        #expect(ledger.open(uid: 0) == nil)
        #expect(ledger.connections == 5)
        #expect(ledger.open(uid: 0) == .station)
        #expect(ledger.open(uid: 1002) == .station)
        ledger.close(uid: 1000)
        #expect(ledger.connectionsByUID[1000] == 1)
        #expect(ledger.open(uid: 1002) == nil)
        ledger.close(uid: 1002)
        ledger.close(uid: 1001)
        #expect(ledger.connectionsByUID[1001] == nil)
        #expect(ledger.connections == 3)
    }

    @Test func bodyMemoryIsBudgetedInTotalAndPerUID() {
        var ledger = ConnectionLedger(
            limits: .init(connections: 5, connectionsPerUID: 2, bodyBytes: 100, bodyBytesPerUID: 40),
            exempt: [0])
        #expect(ledger.reserve(30, uid: 7) == nil)
        #expect(ledger.reserve(11, uid: 7) == .caller)
        #expect(ledger.reserve(10, uid: 7) == nil)
        #expect(ledger.reserve(40, uid: 8) == nil)
        #expect(ledger.reserve(30, uid: 0) == .station)
        #expect(ledger.reserve(20, uid: 0) == nil)
        #expect(ledger.bodyBytes == 100)
        ledger.release(40, uid: 7)
        #expect(ledger.bodyBytesByUID[7] == nil)
        #expect(ledger.reserve(30, uid: 0) == nil)
        #expect(ledger.bodyBytes == 90)
    }
}

/// `Accept-Language` weights (issue 16 item 8): `q=0` is "not acceptable".
struct AcceptLanguageTests {
    @Test func weightsDecideTheLanguage() {
        #expect(AcceptLanguage.prefersEnglish(nil) == false)
        #expect(AcceptLanguage.prefersEnglish("en") == true)
        #expect(AcceptLanguage.prefersEnglish("en-GB,en;q=0.9") == true)
        #expect(AcceptLanguage.prefersEnglish("vi") == false)
        #expect(AcceptLanguage.prefersEnglish("en;q=0, vi") == false)
        #expect(AcceptLanguage.prefersEnglish("en;q=0") == false)
        #expect(AcceptLanguage.prefersEnglish("vi;q=0.5, en") == true)
        #expect(AcceptLanguage.prefersEnglish("vi, en") == false)
        #expect(AcceptLanguage.prefersEnglish("fr, en;q=0.3") == true)
        #expect(AcceptLanguage.prefersEnglish("EN ; Q=0.000") == false)
        #expect(AcceptLanguage.prefersEnglish("*") == false)
    }
}
