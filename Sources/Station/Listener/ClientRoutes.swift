import ControlAPI
import Foundation
import Hummingbird
import Queue

/// The TCP listener as the control API shows it: its address and certificate fingerprints (`GET /v1/listener`),
/// filled in once it is bound.
final class ListenerInfo: Sendable {
    private let state: Mutex<ListenerWire>

    init(_ settings: ListenerSettings) {
        state = Mutex(
            ListenerWire(
                enabled: settings.enabled, address: settings.address, port: settings.port, tls: settings.tls,
                certificateSHA256: nil, publicKeySHA256: nil,
                certificatePath: settings.tls ? settings.certificatePath : nil, corsOrigins: settings.corsOrigins))
    }

    var wire: ListenerWire { state.withLock { $0 } }

    func update(_ change: (inout ListenerWire) -> Void) { state.withLock { change(&$0) } }
}

/// `/v1/clients` (supervisors: issue, list, revoke client tokens; audited) and `/v1/listener` (operators).
/// Tokens carry no scope that reaches these routes, so on TCP they answer 403: clients are managed on the socket.
struct ClientRoutes {
    let core: StationCore
    let clients: ClientRegistry
    let listener: ListenerInfo

    func add(to router: Router<StationRequestContext>) {
        router.get(RouterPath(ControlPaths.listener)) { _, context in
            try context.require(.operator)
            return JSONResponse.make(listener.wire)
        }
        router.get(RouterPath(ControlPaths.clients)) { _, context in
            try context.require(.supervisor)
            return JSONResponse.make(clients.all.map(\.wire))
        }
        router.post(RouterPath(ControlPaths.clients)) { request, context in
            try context.require(.supervisor)
            let body = try await Body.decode(ClientCreateRequest.self, request, core)
            let actor = QueueRoutes.actor(context)
            let (record, token) = try clients.add(name: body.name, scopes: body.scopes, by: actor.id)
            try await core.store.run {
                try $0.auditClientChange(.added, client: record.name, scopes: body.scopes, by: actor)
            }
            core.logger.notice(
                "client token issued", metadata: ["client": "\(record.name)", "by": "\(actor.id)"])
            return JSONResponse.make(.created, ClientCreated(client: record.wire, token: token))
        }
        router.delete(RouterPath("\(ControlPaths.clients)/:name")) { _, context in
            try context.require(.supervisor)
            let name = context.parameters.get("name") ?? ""
            let actor = QueueRoutes.actor(context)
            let record = try clients.revoke(name: name, by: actor.id)
            try await core.store.run {
                try $0.auditClientChange(
                    .revoked, client: record.name, scopes: record.scopes.map(\.rawValue), by: actor)
            }
            core.logger.notice("client token revoked", metadata: ["client": "\(record.name)", "by": "\(actor.id)"])
            return JSONResponse.make(record.wire)
        }
    }
}
