import Retry
import Testing

@testable import SmartCard

@Suite("Reader state tracker (pure)")
struct ReaderStateTrackerTests {
    let atr = [UInt8](hex: "3B 85 80 01 80 73 C0 21 C0 D6")!

    @Test("readers appear and disappear; a removed reader reports its card first")
    func readers() throws {
        var tracker = ReaderStateTracker()
        #expect(tracker.updateReaders(["A", "B"]) == [.readerAdded("A"), .readerAdded("B")])
        #expect(tracker.updateReaders(["A", "B"]).isEmpty)
        _ = tracker.update(reader: "B", eventState: 0x0001_0022, atr: atr)
        #expect(tracker.updateReaders(["A"]) == [.cardRemoved(reader: "B"), .readerRemoved("B")])
    }

    @Test("insert, stay, remove")
    func cards() throws {
        var tracker = ReaderStateTracker()
        _ = tracker.updateReaders(["A"])
        let inserted = tracker.update(reader: "A", eventState: 0x0001_0022, atr: atr)
        #expect(inserted == [.cardInserted(reader: "A", atr: try ATR(atr))])
        #expect(tracker.update(reader: "A", eventState: 0x0001_0022, atr: atr).isEmpty)
        #expect(tracker.readers["A"]?.pcscState == 0x0001_0020)
        #expect(tracker.update(reader: "A", eventState: 0x0002_0012, atr: []) == [.cardRemoved(reader: "A")])
        #expect(tracker.readers["A"]?.cardPresent == false)
    }

    @Test("a card swapped between two waits yields removed then inserted")
    func swapped() throws {
        var tracker = ReaderStateTracker()
        _ = tracker.updateReaders(["A"])
        _ = tracker.update(reader: "A", eventState: 0x0001_0022, atr: atr)
        let events = tracker.update(reader: "A", eventState: 0x0003_0022, atr: atr)
        #expect(events == [.cardRemoved(reader: "A"), .cardInserted(reader: "A", atr: try ATR(atr))])
    }

    @Test("a mute card or unparsable ATR is not reported as inserted")
    func mute() {
        var tracker = ReaderStateTracker()
        _ = tracker.updateReaders(["A"])
        #expect(tracker.update(reader: "A", eventState: 0x0001_0222, atr: atr).isEmpty)
        #expect(tracker.update(reader: "A", eventState: 0x0002_0022, atr: [0x00]).isEmpty)
    }

    @Test("losing the service removes cards and readers; unknown readers are ignored")
    func serviceLost() {
        var tracker = ReaderStateTracker()
        _ = tracker.updateReaders(["A", "B"])
        _ = tracker.update(reader: "A", eventState: 0x0001_0022, atr: atr)
        #expect(tracker.serviceLost() == [.cardRemoved(reader: "A"), .readerRemoved("A"), .readerRemoved("B")])
        #expect(tracker.readers.isEmpty)
        #expect(tracker.update(reader: "Z", eventState: 0x22, atr: atr).isEmpty)
    }

    @Test("backoff doubles up to its cap")
    func backoff() {
        let backoff = Backoff(base: 0.1, cap: 2, jitter: .none)
        #expect(Backoff.pcscReconnect == backoff)
        #expect(backoff.ceiling(attempt: 0) == 0.1)
        #expect(backoff.ceiling(attempt: 1) == 0.2)
        #expect(backoff.ceiling(attempt: 10) == 2)
        #expect(backoff.ceiling(attempt: 1000) == 2)
    }

    @Test("PC/SC multi-strings split into names")
    func multiString() {
        let buffer: [CChar] = Array("A B\0C\0\0".utf8).map { CChar(bitPattern: $0) }
        #expect(PCSCContext.splitMultiString(buffer) == ["A B", "C"])
        #expect(PCSCContext.splitMultiString([0, 0]).isEmpty)
    }

    @Test("PC/SC codes map to stable error codes with operator messages")
    func errors() {
        #expect(SmartCardError.pcsc(PCSCStatus.removedCard, "x").code == .cardRemoved)
        #expect(SmartCardError.pcsc(PCSCStatus.noService, "x").code == .noService)
        #expect(SmartCardError.pcsc(PCSCStatus.noService, "x").meansServiceLost)
        #expect(SmartCardError.pcsc(PCSCStatus.sharingViolation, "x").code == .sharingViolation)
        #expect(SmartCardError.pcsc(0x8010_0099, "x").code == .other)
        let error = SmartCardError.pcsc(PCSCStatus.removedCard, "SCardTransmit")
        #expect(error.operatorMessage().contains("Thẻ"))
        #expect(error.operatorMessage(language: "en").contains("card"))
        #expect(error.description.contains("80100069"))
    }
}
