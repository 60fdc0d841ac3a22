import ControlAPI
import Foundation
import Messages
import Testing

/// A `capture.attempt` event as people read it (`stationctl watch`): the finger by name, the attempt, the quality
/// and the advice in Vietnamese by default, English on request; never the position's number or an advice code.
@Suite struct CaptureAttemptTextTests {
    static let at = Date(timeIntervalSince1970: 1_795_417_500.123)

    static func attempt(_ number: Int, quality: Int, accepted: Bool, advice: [String], finger: Int = 2)
        -> StationEvent
    {
        .captureAttempt(
            session: "s-1", finger: finger, attempt: number, quality: quality, accepted: accepted, advice: advice,
            decidedAt: at)
    }

    @Test func aRejectedAttemptSaysTheFingerTheQualityAndTheAdvice() throws {
        let event = Self.attempt(1, quality: 34, accepted: false, advice: ["press-harder"])
        #expect(
            event.captureAttemptText(.vietnamese) == "ngón trỏ tay phải: lần 1, chất lượng 34 — ấn ngón tay mạnh hơn")
        #expect(
            event.captureAttemptText(.english) == "right index finger: attempt 1, quality 34 — press harder")
    }

    @Test func anAcceptedAttemptAndSeveralAdvices() throws {
        let accepted = Self.attempt(2, quality: 81, accepted: true, advice: [], finger: 7)
        #expect(accepted.captureAttemptText(.vietnamese) == "ngón trỏ tay trái: lần 2, chất lượng 81 — đạt")
        #expect(accepted.captureAttemptText(.english) == "left index finger: attempt 2, quality 81 — accepted")
        let two = Self.attempt(1, quality: 20, accepted: false, advice: ["finger-too-wet", "keep-still"])
        let text = try #require(two.captureAttemptText(.vietnamese))
        #expect(text.hasSuffix("— ngón tay quá ướt, hãy lau khô rồi thử lại; giữ yên ngón tay, không di chuyển"))
        // No ISO number, no advice code, no English word in the Vietnamese line.
        for word in ["2:", "finger", "wet", "keep", "attempt", "quality", "accepted"] {
            #expect(!text.contains(word), "\(word) in \(text)")
        }
    }

    @Test func otherEventsHaveNoAttemptText() {
        #expect(StationEvent(type: "card.inserted", reader: "r", at: Self.at).captureAttemptText(.vietnamese) == nil)
    }

    @Test func theWireKeepsTheFieldsAndTheDecisionsMilliseconds() throws {
        let event = Self.attempt(1, quality: 34, accepted: false, advice: ["press-harder"])
        let json = String(decoding: try ControlJSON.encoder().encode(event), as: UTF8.self)
        #expect(json.contains(#""type":"capture.attempt""#) && json.contains(#""decidedAtMillis":1795417500123"#))
        let back = try ControlJSON.decoder().decode(StationEvent.self, from: Data(json.utf8))
        #expect(back.session == "s-1" && back.finger == 2 && back.attempt == 1 && back.quality == 34)
        #expect(back.accepted == false && back.advice == ["press-harder"])
        // Older events carry none of them.
        let plain = String(
            decoding: try ControlJSON.encoder().encode(StationEvent(type: "queue.changed", at: Self.at)), as: UTF8.self)
        #expect(!plain.contains("session") && !plain.contains("advice"))
    }
}
