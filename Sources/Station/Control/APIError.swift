import ControlAPI
import Foundation
import Hummingbird
import NIOCore

/// An error answered to a control client: HTTP status, stable code, Vietnamese and English messages.
struct APIError: Error, Sendable {
    let status: HTTPResponse.Status
    let code: String
    let vietnamese: String
    let english: String
    /// For technicians: which file or field and why (no personal data); answered as `error.detail`.
    var detail: String?

    init(_ status: HTTPResponse.Status, code: String, vi: String, en: String, detail: String? = nil) {
        self.status = status
        self.code = code
        vietnamese = vi
        english = en
        self.detail = detail
    }

    /// Shorthand for the control API's own codes.
    init(_ kind: Kind, vi: String, en: String) {
        self.init(kind.status, code: kind.code, vi: vi, en: en)
    }

    enum Kind {
        case forbidden, notFound, badRequest, tooLarge, busy, noSession, refused, unavailable, device,
            `internal`
        var status: HTTPResponse.Status {
            switch self {
            case .forbidden: .forbidden
            case .notFound, .noSession: .notFound
            case .badRequest: .badRequest
            case .tooLarge: .contentTooLarge
            case .busy, .refused: .conflict
            case .unavailable: .serviceUnavailable
            case .device: .badGateway
            case .internal: .internalServerError
            }
        }
        var code: String {
            switch self {
            case .forbidden: ControlErrorCode.forbidden
            case .notFound: ControlErrorCode.notFound
            case .badRequest: ControlErrorCode.badRequest
            case .tooLarge: ControlErrorCode.tooLarge
            case .busy: ControlErrorCode.sessionBusy
            case .noSession: ControlErrorCode.noSession
            case .refused: ControlErrorCode.refused
            case .unavailable: ControlErrorCode.unavailable
            case .device: ControlErrorCode.device
            case .internal: ControlErrorCode.internal
            }
        }
    }

    /// The response in the caller's language.
    func response(english useEnglish: Bool) -> Response {
        let body = ControlErrorBody(code: code, message: useEnglish ? english : vietnamese, detail: detail)
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
