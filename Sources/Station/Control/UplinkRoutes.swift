import ControlAPI
import Foundation
import Hummingbird

/// `POST /v1/upload/enroll`: the technician (a supervisor) confirms the fingerprint the central printed and the
/// station enrolls and pins the central's keys; a change of pinned keys needs `acceptKeyChange`.
struct UplinkRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.post(RouterPath(ControlPaths.enroll)) { request, context -> Response in
            try context.require(.supervisor)
            let body = try await Body.decode(EnrollRequest.self, request, core)
            let result = try await core.upload.enroll(body, by: context.peer?.userName ?? "unknown")
            return JSONResponse.make(result)
        }
    }
}
