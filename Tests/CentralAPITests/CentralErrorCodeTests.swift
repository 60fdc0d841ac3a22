import CentralAPI
import Foundation
import Testing

/// `CentralError.Code` is closed: a known wire text decodes to its known code, any other text to an explicit
/// unrecognized code that keeps the text as received, and both encode back to the same text.
@Suite struct CentralErrorCodeTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func decode(_ text: String) throws -> CentralError.Code {
        try JSONDecoder().decode(CentralError.Code.self, from: JSONEncoder().encode(text))
    }

    @Test func knownTextsDecodeToTheirKnownCodes() throws {
        let codes = CentralError.Code.allCases
        #expect(Set(codes.map(\.rawValue)).count == codes.count)
        for code in codes {
            let decoded = try Self.decode(code.rawValue)
            #expect(decoded == code)
            #expect(decoded.unrecognized == nil, "\(code)")
        }
        #expect(try Self.decode("central.bad_signature") == .badSignature)
        #expect(CentralError.Code(wire: "uplink.central_unauthenticated") == .centralUnauthenticated)
    }

    @Test func anUnknownTextIsKeptAsAnUnrecognizedCode() throws {
        let newer = try Self.decode("central.quota_exceeded")
        #expect(newer.unrecognized == "central.quota_exceeded")
        #expect(newer.rawValue == "central.quota_exceeded")
        #expect(!CentralError.Code.allCases.contains(newer))
        #expect(newer == CentralError.Code(wire: "central.quota_exceeded"))
        #expect(newer != CentralError.Code(wire: "central.something_else"))
        // Encodes back to the text as received, and reads in the log as it came.
        #expect(String(decoding: try JSONEncoder().encode(newer), as: UTF8.self) == "\"central.quota_exceeded\"")
        #expect("\(CentralError(newer, "HTTP 418"))" == "central.quota_exceeded: HTTP 418")
    }

    @Test func everyKnownCodeIsDocumentedInTheOpenAPI() throws {
        let text = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("Sources/CentralAPI/openapi.yaml"), encoding: .utf8)
        let missing = CentralError.Code.allCases.map(\.rawValue).filter { !text.contains($0) }
        #expect(missing.isEmpty, "codes missing from Sources/CentralAPI/openapi.yaml: \(missing)")
    }
}
