import ControlAPI
import Foundation
import Testing

/// The control API's shared wire pieces, without a daemon: the paths the router, `stationctl` and the OpenAPI file
/// share, and the error body every error response carries.
@Suite struct ControlWireTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("every control path is documented in openapi.yaml (itself or its members), under the version prefix")
    func pathsAreDocumented() throws {
        // JSON syntax (valid YAML); lines starting with '#' are comments.
        let text = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("Sources/ControlAPI/openapi.yaml"), encoding: .utf8
        ).split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let documented = Set(try #require(document["paths"] as? [String: Any]).keys)
        let paths = [
            ControlPaths.status, ControlPaths.readers, ControlPaths.fingerprint, ControlPaths.queue,
            ControlPaths.intake, ControlPaths.upload, ControlPaths.enroll, ControlPaths.export, ControlPaths.verify,
            ControlPaths.reports,
            ControlPaths.events, ControlPaths.metrics,
        ]
        for path in paths {
            // A collection documented only through its members (`/v1/reports/{period}`) counts.
            let found = documented.contains(path) || documented.contains { $0.hasPrefix(path + "/") }
            #expect(found, "\(path) missing from openapi.yaml")
            if path != ControlPaths.metrics { #expect(path.hasPrefix(ControlPaths.prefix + "/"), "\(path)") }
        }
    }

    @Test("every code of the control API's own closed sets is documented in openapi.yaml")
    func codesAreDocumented() throws {
        let text = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("Sources/ControlAPI/openapi.yaml"), encoding: .utf8)
        let codes =
            ControlErrorCode.allCases.map(\.rawValue) + ListenerErrorCode.allCases.map(\.rawValue)
            + ConsoleErrorCode.allCases.map(\.rawValue) + DeskErrorCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count, "a code in two sets")
        let missing = codes.filter { !text.contains($0) }
        #expect(missing.isEmpty, "codes missing from openapi.yaml: \(missing)")
        #expect(ControlErrorCode.forbidden.rawValue == "control.forbidden")
    }

    @Test("the error body: {\"error\": {code, message}} with detail only where there is one, and back")
    func errorBodyShape() throws {
        let plain = ControlErrorBody(code: ControlErrorCode.notFound.rawValue, message: "Không tìm thấy")
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(plain)) as? [String: [String: String]])
        #expect(object == ["error": ["code": "control.not_found", "message": "Không tìm thấy"]])
        let detailed = ControlErrorBody(code: "chip.malformed_file", message: "m", detail: "DG2: too short")
        let decoded = try JSONDecoder().decode(ControlErrorBody.self, from: JSONEncoder().encode(detailed))
        #expect(decoded == detailed)
        #expect(decoded.error.detail == "DG2: too short")
    }
}
