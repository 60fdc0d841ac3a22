import ControlAPI
import Foundation
import Hummingbird
import Messages
import NIOCore

/// An error answered to a control client: HTTP status, stable code, and what the caller reads in its language
/// (`Accept-Language`, Vietnamese by default).
///
/// The code is typed where it is made: the control API's own closed codes (`ControlErrorCode`, `ListenerErrorCode`,
/// `ConsoleErrorCode`, `DeskErrorCode`), or a module's closed code (`QueueError.Code`, `SmartCardError.Code`, ...)
/// passed as `moduleCode`. The text is a catalog `Message`; a module error that words its own operator message
/// (from the same catalog) passes that rendering instead.
struct APIError: Error, Sendable {
    let status: HTTPResponse.Status
    /// The code as answered in `error.code`.
    let code: String
    /// The operator's message in a language.
    let text: @Sendable (Language) -> String
    /// For technicians: which file or field and why (no personal data); answered as `error.detail`.
    var detail: String?

    /// An error with one of the control API's own codes and a catalog message.
    init(_ status: HTTPResponse.Status, code: some ControlAPICode, _ message: Message, detail: String? = nil) {
        self.init(status, moduleCode: code.rawValue, text: { message.text($0) }, detail: detail)
    }

    /// An error with a module's own code (`error.code.rawValue` of its closed code) and a catalog message.
    init(_ status: HTTPResponse.Status, moduleCode: String, _ message: Message, detail: String? = nil) {
        self.init(status, moduleCode: moduleCode, text: { message.text($0) }, detail: detail)
    }

    /// An error with a module's own code and the module's own operator message (`operatorMessage(_:)`), or, where
    /// English readers have always been answered with the module's reason, the catalog's Vietnamese and that
    /// reason (`reason(_:english:)`).
    init(
        _ status: HTTPResponse.Status, moduleCode: String, text: @escaping @Sendable (Language) -> String,
        detail: String? = nil
    ) {
        self.status = status
        code = moduleCode
        self.text = text
        self.detail = detail
    }

    /// Shorthand for the control API's own codes.
    init(_ kind: Kind, _ message: Message) {
        self.init(kind.status, code: kind.code, message)
    }

    enum Kind {
        case forbidden, notFound, badRequest, tooLarge, busy, noSession, unavailable, `internal`
        var status: HTTPResponse.Status {
            switch self {
            case .forbidden: .forbidden
            case .notFound, .noSession: .notFound
            case .badRequest: .badRequest
            case .tooLarge: .contentTooLarge
            case .busy: .conflict
            case .unavailable: .serviceUnavailable
            case .internal: .internalServerError
            }
        }
        var code: ControlErrorCode {
            switch self {
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .badRequest: .badRequest
            case .tooLarge: .tooLarge
            case .busy: .sessionBusy
            case .noSession: .noSession
            case .unavailable: .unavailable
            case .internal: .internal
            }
        }
    }

    /// The message in Vietnamese (answers written before the caller's language is known).
    var vietnamese: String { text(.vietnamese) }

    /// The response in the caller's language.
    func response(english useEnglish: Bool) -> Response {
        let body = ControlErrorBody(code: code, message: text(useEnglish ? .english : .vietnamese), detail: detail)
        return JSONResponse.make(status, body)
    }
}

/// JSON responses with the shared encoder.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T) -> Response { make(.ok, value) }

    static func make<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) -> Response {
        let data = (try? ControlJSON.encoder().encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
