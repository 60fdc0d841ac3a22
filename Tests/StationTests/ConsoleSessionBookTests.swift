import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import Station

/// The console's session, cookie, CSRF, idle-logout and lockout rules, over a clock (no daemon, no PAM).
@Suite struct ConsoleSessionBookTests {
    static let officer = ConsoleSessionBook.Identity(account: "op-lan", uid: 5001, gid: 5001, groups: [5001, 64_202])

    static func opened(_ book: inout ConsoleSessionBook, at now: Double) -> ConsoleSessionBook.Session {
        book.open(officer, role: .operator, id: "session-1", csrf: "csrf-1", now: now)
    }

    @Test("a session is the officer's credentials and role; reads need no CSRF token, writes need the right one")
    func csrf() {
        var book = ConsoleSessionBook()
        let session = Self.opened(&book, at: 1000)
        #expect(session.identity.peer.uid == 5001 && session.identity.peer.groups.contains(64_202))
        let c12 = book.check(id: "session-1", csrf: nil, stateChanging: false, now: 1001)
        #expect(c12 == .valid(book.sessions["session-1"]!))
        let c13 = book.check(id: "session-1", csrf: nil, stateChanging: true, now: 1002)
        #expect(c13 == .csrfMismatch)
        let c14 = book.check(id: "session-1", csrf: "csrf-2", stateChanging: true, now: 1003)
        #expect(c14 == .csrfMismatch)
        let c15 = book.check(id: "session-1", csrf: "csrf-", stateChanging: true, now: 1004)
        #expect(c15 == .csrfMismatch)
        guard case .valid(let renewed) = book.check(id: "session-1", csrf: "csrf-1", stateChanging: true, now: 1005)
        else {
            Issue.record("the right CSRF token was refused")
            return
        }
        #expect(renewed.role == .operator && renewed.lastSeen == 1005)
        let c16 = book.check(id: "other", csrf: "csrf-1", stateChanging: false, now: 1006)
        #expect(c16 == .unknown)
    }

    @Test("idle logout: every accepted request renews the session; unused for idleSeconds it is closed")
    func idle() {
        var book = ConsoleSessionBook(policy: .init(idleSeconds: 60, maxFailures: 5, lockoutSeconds: 900))
        let session = Self.opened(&book, at: 0)
        #expect(book.remaining(session, now: 20) == 40)
        guard case .valid(let renewed) = book.check(id: "session-1", csrf: nil, stateChanging: false, now: 59) else {
            Issue.record("refused inside the idle window")
            return
        }
        #expect(book.remaining(renewed, now: 59) == 60)
        let c17 = book.check(id: "session-1", csrf: nil, stateChanging: false, now: 118)
        #expect(c17 != .unknown)
        let c18 = book.check(id: "session-1", csrf: nil, stateChanging: false, now: 178)
        #expect(c18 == .unknown)
        #expect(book.sessions.isEmpty)
        // Closed for good: coming back within the window does not revive it.
        let c19 = book.check(id: "session-1", csrf: nil, stateChanging: false, now: 179)
        #expect(c19 == .unknown)
    }

    @Test("a screen's own polling (not the officer's doing) does not keep an idle session alive")
    func pollingDoesNotRenew() {
        var book = ConsoleSessionBook(policy: .init(idleSeconds: 60, maxFailures: 5, lockoutSeconds: 900))
        _ = Self.opened(&book, at: 0)
        for now in stride(from: 5.0, through: 55, by: 5) {
            let polled = book.check(id: "session-1", csrf: nil, stateChanging: false, now: now, renews: false)
            #expect(polled == .valid(book.sessions["session-1"]!))
        }
        #expect(book.sessions["session-1"]?.lastSeen == 0)
        let late = book.check(id: "session-1", csrf: nil, stateChanging: false, now: 61, renews: false)
        #expect(late == .unknown)
        #expect(book.sessions.isEmpty)
    }

    @Test("logout closes the session at once")
    func logout() {
        var book = ConsoleSessionBook()
        _ = Self.opened(&book, at: 0)
        book.close(id: "session-1")
        let c20 = book.check(id: "session-1", csrf: "csrf-1", stateChanging: true, now: 1)
        #expect(c20 == .unknown)
    }

    @Test("the fifth failure locks the account for lockoutSeconds; others are unaffected; the lock ends")
    func lockout() {
        var book = ConsoleSessionBook(policy: .init(idleSeconds: 900, maxFailures: 5, lockoutSeconds: 600))
        for attempt in 1...4 {
            let r1 = book.recordFailure("op-lan", now: Double(attempt))
            #expect(!r1)
            #expect(book.lockedUntil("op-lan", now: Double(attempt)) == nil)
        }
        let r2 = book.recordFailure("op-lan", now: 5)
        #expect(r2)
        #expect(book.lockedUntil("op-lan", now: 6) == 605)
        #expect(book.lockedUntil("op-mai", now: 6) == nil)
        // More failures while locked neither lock again (one audit line) nor extend the lock.
        let r3 = book.recordFailure("op-lan", now: 7)
        #expect(!r3)
        #expect(book.lockedUntil("op-lan", now: 604) == 605)
        #expect(book.lockedUntil("op-lan", now: 605) == nil)
        // After the lock the count starts again.
        let r4 = book.recordFailure("op-lan", now: 606)
        #expect(!r4)
        #expect(book.lockedUntil("op-lan", now: 607) == nil)
    }

    @Test("failures spread wider than the window do not add up; a successful login clears the count")
    func failureWindow() {
        var book = ConsoleSessionBook(policy: .init(idleSeconds: 900, maxFailures: 3, lockoutSeconds: 100))
        let r5 = book.recordFailure("op-lan", now: 0)
        #expect(!r5)
        let r6 = book.recordFailure("op-lan", now: 50)
        #expect(!r6)
        let r7 = book.recordFailure("op-lan", now: 150)
        #expect(!r7)  // the first two are older than the window
        let r8 = book.recordFailure("op-lan", now: 160)
        #expect(!r8)
        _ = Self.opened(&book, at: 170)
        let r9 = book.recordFailure("op-lan", now: 171)
        #expect(!r9)
        let r10 = book.recordFailure("op-lan", now: 172)
        #expect(!r10)
        let r11 = book.recordFailure("op-lan", now: 173)
        #expect(r11)
    }

    @Test("the cookie is HttpOnly, SameSite=Strict, Secure on TLS; read back from a Cookie header among others")
    func cookie() {
        #expect(ConsoleCookie.set("abc", secure: false) == "stn_console=abc; Path=/; HttpOnly; SameSite=Strict")
        #expect(ConsoleCookie.set("abc", secure: true).hasSuffix("; HttpOnly; SameSite=Strict; Secure"))
        #expect(ConsoleCookie.clear(secure: false).contains("Max-Age=0"))
        #expect(ConsoleCookie.sessionID(from: "theme=dark; stn_console=abc-_1; lang=vi") == "abc-_1")
        #expect(ConsoleCookie.sessionID(from: "xstn_console=abc") == nil)
        #expect(ConsoleCookie.sessionID(from: "stn_console=") == nil)
        #expect(ConsoleCookie.sessionID(from: nil) == nil)
        let token = ConsoleCookie.randomToken()
        #expect(token.count == 43 && token != ConsoleCookie.randomToken())
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    @Test("account names PAM is asked about")
    func accountNames() {
        #expect(ConsoleLogin.validAccountName("op-lan.2"))
        #expect(!ConsoleLogin.validAccountName(""))
        #expect(!ConsoleLogin.validAccountName("-rf"))
        #expect(!ConsoleLogin.validAccountName("a b"))
        #expect(!ConsoleLogin.validAccountName(String(repeating: "a", count: 33)))
    }
}

/// Which `Origin` is the console's own page (same-origin) and which stays under the CORS allow-list.
@Suite struct ConsoleOriginTests {
    static func gate() throws -> ListenerGate {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("console-origin-\(getpid()).json")
        var gate = ListenerGate(clients: try ClientRegistry(path: path.path), cors: CORSPolicy(origins: []))
        gate.console = ConsoleLogin(
            authorization: Authorization(operatorsGroup: "64202", supervisorsGroup: "64203"), secure: false)
        gate.consoleHosts = ["localhost", "127.0.0.1", "[::1]"]
        return gate
    }

    static func request(authority: String, origin: String?) -> Request {
        var head = HTTPRequest(method: .post, scheme: "http", authority: authority, path: "/console/login")
        if let origin { head.headerFields[.origin] = origin }
        return Request(head: head, body: .init(buffer: ByteBuffer()))
    }

    @Test("the page's own origin under the station's names is not CORS; another site's (or a rebinding name) is")
    func origins() throws {
        let gate = try Self.gate()
        #expect(gate.crossOrigin(Self.request(authority: "127.0.0.1:8790", origin: "http://127.0.0.1:8790")) == nil)
        #expect(gate.crossOrigin(Self.request(authority: "[::1]:8790", origin: "http://[::1]:8790")) == nil)
        #expect(gate.crossOrigin(Self.request(authority: "localhost:8790", origin: nil)) == nil)
        #expect(
            gate.crossOrigin(Self.request(authority: "127.0.0.1:8790", origin: "http://his.example"))
                == "http://his.example")
        #expect(
            gate.crossOrigin(Self.request(authority: "127.0.0.1:8790", origin: "https://127.0.0.1:8790"))
                == "https://127.0.0.1:8790")
        #expect(
            gate.crossOrigin(Self.request(authority: "evil.example:8790", origin: "http://evil.example:8790"))
                == "http://evil.example:8790")
        var plain = gate
        plain.console = nil
        #expect(
            plain.crossOrigin(Self.request(authority: "127.0.0.1:8790", origin: "http://127.0.0.1:8790"))
                == "http://127.0.0.1:8790")
    }
}
