import Foundation
import Station
import Testing

/// `[listener]` and the CORS allow-list, without sockets.
@Suite struct ListenerConfigurationTests {
    @Test("off and on loopback by default; files beside the store")
    func defaults() throws {
        let configuration = try StationConfiguration.load(
            file: nil, environment: ["STATIOND_STORE_DATABASE": "/srv/station/queue.sqlite"])
        let listener = configuration.listener
        #expect(!listener.enabled && listener.address == "127.0.0.1" && listener.port == 8790 && !listener.tls)
        #expect(listener.isLoopback)
        #expect(listener.certificatePath == "/srv/station/listener/station.crt")
        #expect(listener.keyPath == "/srv/station/listener/station.key")
        #expect(listener.clientsPath == "/srv/station/clients.json")
        #expect(listener.corsOrigins.isEmpty)
    }

    @Test("a LAN address without TLS, a host name, a bad origin are refused with the key")
    func refusals() throws {
        let environment = [
            "STATIOND_LISTENER_ENABLED": "true", "STATIOND_LISTENER_ADDRESS": "0.0.0.0",
        ]
        do {
            _ = try StationConfiguration.load(file: nil, environment: environment)
            Issue.record("a LAN listener without TLS was accepted")
        } catch {
            #expect(error.errors.map(\.key) == ["listener.tls"])
        }
        var withTLS = environment
        withTLS["STATIOND_LISTENER_TLS"] = "true"
        #expect(try StationConfiguration.load(file: nil, environment: withTLS).listener.tls)
        do {
            _ = try StationConfiguration.load(
                file: nil,
                environment: [
                    "STATIOND_LISTENER_ADDRESS": "his.local",
                    "STATIOND_LISTENER_CORS_ORIGINS": "https://ok.example, https://bad.example/path",
                ])
            Issue.record("a host name and an origin with a path were accepted")
        } catch {
            #expect(Set(error.errors.compactMap(\.key)) == ["listener.address", "listener.cors_origins"])
        }
    }

    @Test("CORS: exact origins (default ports folded), preflight only with Access-Control-Request-Method")
    func cors() {
        let policy = CORSPolicy(origins: ["https://HIS.example:443", "http://localhost:3000"])
        #expect(policy.decide(method: "GET", origin: nil, requestMethod: nil) == .noOrigin)
        #expect(
            policy.decide(method: "OPTIONS", origin: "https://his.example", requestMethod: "POST")
                == .preflight(origin: "https://his.example"))
        #expect(
            policy.decide(method: "POST", origin: "http://localhost:3000", requestMethod: nil)
                == .allowed(origin: "http://localhost:3000"))
        #expect(policy.decide(method: "OPTIONS", origin: "http://localhost:3001", requestMethod: "POST") == .refused)
        #expect(policy.decide(method: "GET", origin: "https://his.example.evil", requestMethod: nil) == .refused)
        #expect(policy.decide(method: "GET", origin: "null", requestMethod: nil) == .refused)
        #expect(CORSPolicy.normalizedOrigin("https://his.example/") == "https://his.example")
        #expect(CORSPolicy.normalizedOrigin("https://user@his.example") == nil)
        #expect(CORSPolicy.normalizedOrigin("ftp://his.example") == nil)
    }
}
