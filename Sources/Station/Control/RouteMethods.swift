import Hummingbird

/// Which methods each route of the control API answers, from the router's own list: a known path asked with
/// another method gets `405 control.method_not_allowed` and `Allow`, an unknown path 404.
///
/// Filled once by `ControlServer` after every route is added (the middleware is added before the routes, so
/// it holds this table and reads it at request time).
final class RouteMethods: Sendable {
    private let table = Mutex<[(components: [Substring], methods: Set<String>)]>([])

    /// Records the router's routes (path templates as the router prints them, `/v1/queue/{id}`; a
    /// capture matches one component).
    func record(_ routes: [(path: String, method: String)]) {
        var grouped: [String: Set<String>] = [:]
        for route in routes { grouped[route.path, default: []].insert(route.method) }
        table.withLock { table in
            table = grouped.map { (components: $0.key.split(separator: "/"), methods: $0.value) }
        }
    }

    /// The methods allowed on `path` (empty: no such path), sorted, with HEAD where GET is.
    func allowed(on path: String) -> [String] {
        let components = path.split(separator: "/")
        var methods: Set<String> = []
        table.withLock { table in
            for route in table where route.components.count == components.count {
                let matches = zip(route.components, components).allSatisfy { template, part in
                    (template.hasPrefix("{") && template.hasSuffix("}")) || template == "*" || template == part
                }
                if matches { methods.formUnion(route.methods) }
            }
        }
        return methods.sorted()
    }
}

extension Router {
    /// The routes as (path template, method) pairs.
    var routeList: [(path: String, method: String)] {
        routes.map { (path: "\($0.path)", method: $0.method.rawValue) }
    }
}
