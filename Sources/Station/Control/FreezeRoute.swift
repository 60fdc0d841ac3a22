import ControlAPI
import Hummingbird
import Messages
import Uplink

/// `GET /v1/freeze` (operators): the freeze rules broken now with their messages and advice in the caller's
/// language, for the console's station screen (`GET /v1/status` gives the codes alone).
struct FreezeRoute {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        let core = core
        router.get(RouterPath(ControlPaths.freeze)) { _, context in
            try context.require(.operator)
            let language: Language = context.english ? .english : .vietnamese
            let broken = await core.upload.freezeViolations()
            return JSONResponse.make(
                broken.map { rule in
                    FreezeRuleWire(
                        code: rule.code, message: rule.message(language),
                        advice: MessageKey(rawValue: rule.code + ".advice")?.text(language) ?? "")
                })
        }
    }
}
