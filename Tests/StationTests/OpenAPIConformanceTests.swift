import ControlAPI
import Foundation
import StationTestKit
import Testing

/// Checks live responses of a running daemon against `Sources/ControlAPI/openapi.yaml` (written in JSON syntax,
/// so it parses without a YAML library): required properties, types, nullability, enums, `$ref`s.
struct OpenAPIDocument {
    let root: [String: Any]

    init() throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Sources/ControlAPI/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }
            .joined(separator: "\n")
        root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    var paths: [String: Any] { root["paths"] as? [String: Any] ?? [:] }

    /// The response schema for a documented path (template), method and status.
    func schema(path: String, method: String, status: Int) -> [String: Any]? {
        guard let operation = (paths[path] as? [String: Any])?[method.lowercased()] as? [String: Any],
            var response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any]
        else { return nil }
        if let ref = response["$ref"] as? String { response = resolve(ref) ?? [:] }
        let content = response["content"] as? [String: Any]
        return (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
    }

    func resolve(_ ref: String) -> [String: Any]? {
        var node: Any? = root
        for part in ref.dropFirst(2).split(separator: "/") {
            node = (node as? [String: Any])?[String(part)]
        }
        return node as? [String: Any]
    }

    /// Problems of `value` against `schema` (empty when it conforms).
    func validate(_ value: JSONValue, _ schema: [String: Any], at path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let target = resolve(ref) else { return ["\(path): unresolved \(ref)"] }
            return validate(value, target, at: path)
        }
        if case .null = value {
            return schema["nullable"] as? Bool == true ? [] : ["\(path): null not allowed"]
        }
        var problems: [String] = []
        switch (schema["type"] as? String, value) {
        case ("object", .object(let object)):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                problems.append("\(path).\(name): required")
            }
            for (name, child) in object {
                if let property = properties[name] as? [String: Any] {
                    problems += validate(child, property, at: "\(path).\(name)")
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    problems += validate(child, extra, at: "\(path).\(name)")
                } else {
                    problems.append("\(path).\(name): not in the document")
                }
            }
        case ("array", .array(let array)):
            let items = schema["items"] as? [String: Any] ?? [:]
            for (index, item) in array.enumerated() {
                problems += validate(item, items, at: "\(path)[\(index)]")
            }
        case ("string", .string(let text)):
            if let options = schema["enum"] as? [String], !options.contains(text) {
                problems.append("\(path): \(text) not in enum")
            }
            if schema["format"] as? String == "date-time", ISO8601DateFormatter().date(from: text) == nil {
                problems.append("\(path): not a date-time")
            }
        case ("integer", .number(let number)):
            if number != number.rounded() { problems.append("\(path): expected integer") }
        case ("number", .number), ("boolean", .bool):
            break
        case (nil, _):
            break
        case (let type?, _):
            problems.append("\(path): expected \(type)")
        }
        return problems
    }
}

/// A JSON value with booleans and numbers kept apart (JSONDecoder refuses to read one as the other).
enum JSONValue: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}

@Suite(.serialized)
struct OpenAPIConformanceTests {
    @Test func everyRouteIsDocumentedWithARole() throws {
        let document = try OpenAPIDocument()
        let expected: [(String, String)] = [
            ("/v1/status", "get"), ("/v1/readers", "get"), ("/v1/fingerprint", "get"),
            ("/v1/queue", "get"),
            ("/v1/queue/{id}", "get"), ("/v1/queue/{id}/receipt", "get"), ("/v1/queue/{id}/hold", "post"),
            ("/v1/queue/{id}/release", "post"),
            ("/v1/queue/{id}/cancel", "post"), ("/v1/queue/{id}/retry", "post"), ("/v1/intake", "post"),
            ("/v1/intake/{session}", "get"), ("/v1/intake/{session}", "delete"),
            ("/v1/intake/{session}/card", "post"), ("/v1/intake/{session}/fingers", "post"),
            ("/v1/intake/{session}/portrait", "put"), ("/v1/intake/{session}/details", "put"),
            ("/v1/intake/{session}/refusal", "post"), ("/v1/intake/{session}/place", "put"), ("/v1/places", "get"),
            ("/v1/intake/{session}/review", "post"), ("/v1/intake/{session}/commit", "post"),
            ("/v1/intake/{session}/identity", "post"), ("/v1/banks", "get"),
            ("/v1/upload", "get"), ("/v1/upload", "post"), ("/v1/upload/enroll", "post"), ("/v1/export", "post"),
            ("/v1/export", "get"),
            ("/v1/upload/probe", "get"),
            ("/v1/verify", "post"),
            ("/v1/reports/{period}", "get"), ("/v1/survey", "post"), ("/v1/events", "get"), ("/v1/events/ws", "get"),
            ("/metrics", "get"),
            ("/v1/cleansing", "get"), ("/v1/desk/stats", "get"), ("/v1/lists/{list}", "get"),
            ("/v1/invitations", "post"),
            ("/v1/listener", "get"), ("/v1/clients", "get"), ("/v1/clients", "post"), ("/v1/clients/{name}", "delete"),
            ("/v1/operators", "get"), ("/v1/operators", "post"), ("/v1/operators/{account}/disable", "post"),
            ("/v1/keys/backup", "post"), ("/v1/keys/rotate", "post"), ("/v1/keys/rotate", "get"),
            ("/v1/reports/{period}/html", "get"), ("/v1/freeze", "get"),
            ("/console/login", "post"), ("/console/logout", "post"), ("/console/session", "get"),
            ("/console/terms", "get"), ("/console", "get"), ("/console/{file}", "get"),
            ("/v1/exceptions", "get"), ("/v1/exceptions/{session}/{finger}/confirm", "post"),
            ("/v1/exceptions/{session}/{finger}/decline", "post"),
            ("/v1/intake/{session}/exceptions/{finger}", "delete"),
        ]
        for (path, method) in expected {
            let operation = (document.paths[path] as? [String: Any])?[method] as? [String: Any]
            #expect(operation?["x-role"] is String, "\(method) \(path)")
        }
        #expect(
            document.paths.values.map { ($0 as? [String: Any])?.count ?? 0 }.reduce(0, +)
                == expected.count)
    }

    @Test func liveResponsesConformToTheDocument() throws {
        let document = try OpenAPIDocument()
        let daemon = try DaemonUnderTest(name: "openapi")
        try daemon.start()
        let session = daemon.client()
        let started = try session.request(
            "POST", "/v1/intake", body: Data(#"{"operatorID":"op-7"}"#.utf8))
        let sessionID = try started.decode(IntakeSessionWire.self).id
        let unknown = UUID().uuidString
        let cases: [(String, String, String?, String, Int)] = [
            ("GET", "/v1/status", nil, "/v1/status", 200),
            ("GET", "/v1/readers", nil, "/v1/readers", 200),
            ("GET", "/v1/fingerprint", nil, "/v1/fingerprint", 200),
            ("GET", "/v1/queue?limit=5", nil, "/v1/queue", 200),
            ("GET", "/v1/queue/\(unknown)", nil, "/v1/queue/{id}", 404),
            ("GET", "/v1/queue/\(unknown)/receipt", nil, "/v1/queue/{id}/receipt", 404),
            ("GET", "/v1/queue/K7M2-QX4Q", nil, "/v1/queue/{id}", 404),
            ("GET", "/v1/queue/k7m2qx4g", nil, "/v1/queue/{id}", 404),
            ("POST", "/v1/queue/\(unknown)/hold", "{}", "/v1/queue/{id}/hold", 422),
            ("POST", "/v1/queue/\(unknown)/cancel", #"{"reason":"other"}"#, "/v1/queue/{id}/cancel", 404),
            ("POST", "/v1/queue/\(unknown)/cancel", #"{"reason":"x"}"#, "/v1/queue/{id}/cancel", 422),
            ("GET", "/v1/upload", nil, "/v1/upload", 200),
            ("GET", "/v1/upload/probe", nil, "/v1/upload/probe", 200),
            ("GET", "/v1/keys/rotate", nil, "/v1/keys/rotate", 200),
            ("POST", "/v1/upload", "{}", "/v1/upload", 503),
            ("POST", "/v1/export", "{}", "/v1/export", 503),
            ("GET", "/v1/export", nil, "/v1/export", 200),
            ("GET", "/v1/reports/daily?date=2026-11-23", nil, "/v1/reports/{period}", 200),
            ("GET", "/v1/reports/weekly", nil, "/v1/reports/{period}", 200),
            ("POST", "/v1/survey", "{}", "/v1/survey", 400),
            ("GET", "/v1/lists/absent", nil, "/v1/lists/{list}", 200),
            ("GET", "/v1/lists/nobody", nil, "/v1/lists/{list}", 404),
            ("POST", "/v1/invitations", "{}", "/v1/invitations", 400),
            ("GET", "/v1/intake/\(sessionID)", nil, "/v1/intake/{session}", 200),
            ("POST", "/v1/intake", "{}", "/v1/intake", 409),
            ("POST", "/v1/intake", #"{"commune":"99999"}"#, "/v1/intake", 400),
            ("GET", "/v1/places", nil, "/v1/places", 200),
            ("PUT", "/v1/intake/\(unknown)/place", "{}", "/v1/intake/{session}/place", 404),
            ("GET", "/v1/banks", nil, "/v1/banks", 200),
            (
                "POST", "/v1/intake/\(unknown)/identity",
                #"{"idNumber":"001307012345","fullName":"A","dateOfBirth":"2007-03-02","sex":"F"}"#,
                "/v1/intake/{session}/identity", 404
            ),
            ("GET", "/v1/exceptions", nil, "/v1/exceptions", 200),
            (
                "POST", "/v1/exceptions/\(sessionID)/7/confirm", #"{"reason":"băng bó"}"#,
                "/v1/exceptions/{session}/{finger}/confirm", 404
            ),
            (
                "POST", "/v1/exceptions/\(sessionID)/7/decline", #"{"reason":"  "}"#,
                "/v1/exceptions/{session}/{finger}/decline", 422
            ),
            ("DELETE", "/v1/intake/\(unknown)/exceptions/7", nil, "/v1/intake/{session}/exceptions/{finger}", 404),
        ]
        for (method, path, body, template, status) in cases {
            let (code, text) = try daemon.curl(method, path, body: body)
            #expect(code == status, "\(method) \(path): \(text)")
            let documented =
                document.schema(path: template, method: method, status: code)
                ?? (code >= 400 ? document.resolve("#/components/schemas/ErrorBody") : nil)
            let schema = try #require(documented, "\(method) \(template) \(code) not documented")
            let value = try JSONValue.parse(text)
            let problems = document.validate(value, schema)
            #expect(problems.isEmpty, "\(method) \(path): \(problems)")
        }
        // A schema check that must fail, so the validator is known to bite.
        let status = try #require(document.schema(path: "/v1/status", method: "GET", status: 200))
        #expect(!document.validate(try JSONValue.parse(#"{"version":1}"#), status).isEmpty)
        #expect(!document.validate(try JSONValue.parse("1"), ["type": "boolean"]).isEmpty)
        _ = daemon.stop()
    }
}
