import ArgumentParser
import ControlAPI
import Foundation
import Messages

/// `stationctl client add|ls|revoke`: the TCP listener's client tokens (supervisors, over the socket).
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: HelpText.text(.helpCtlClient),
        subcommands: [ClientAdd.self, ClientList.self, ClientRevoke.self])
}

struct ClientAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: HelpText.text(.helpCtlClientAdd),
        discussion: """
            The client's name is its identity in the audit. Scopes: health:verify (POST /v1/verify and the desk's \
            events; never the queue). The token is printed once on standard output: give it to the HIS, which \
            sends it as "Authorization: Bearer TOKEN".
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Client name: a-z, 0-9, '.', '_', '-' (e.g. his-reception-1).") var name: String
    @Option(name: .long, help: "Scope (repeat for several): health:verify.") var scope: [String] = []

    func run() throws {
        let response = try options.call(
            options.client(), "POST", ControlPaths.clients,
            json: ClientCreateRequest(name: name, scopes: scope.isEmpty ? ["health:verify"] : scope))
        if options.json { return options.printBody(response) }
        let created = try response.decode(ClientCreated.self)
        let issued = options.say(
            .ctlClientIssued,
            ["name": created.client.name, "scopes": created.client.scopes.joined(separator: ", ")])
        FileHandle.standardError.write(Data((issued + "\n").utf8))
        printLine(created.token)
    }
}

struct ClientList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: HelpText.text(.helpCtlClientList))
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let response = try options.call(options.client(), "GET", ControlPaths.clients)
        if options.json { return options.printBody(response) }
        let clients = try response.decode([ClientWire].self)
        if clients.isEmpty { return printLine(options.say(.ctlClientNone)) }
        let formatter = ISO8601DateFormatter()
        for client in clients {
            let state =
                client.revokedAt.map {
                    options.say(
                        .ctlClientRevokedAt, ["time": formatter.string(from: $0), "by": client.revokedBy ?? "?"])
                } ?? options.say(.ctlClientLive)
            printLine(
                "\(client.name)  \(client.scopes.joined(separator: ","))  …\(client.tokenHint)  "
                    + "\(formatter.string(from: client.createdAt)) (\(client.createdBy))  \(state)")
        }
    }
}

struct ClientRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: HelpText.text(.helpCtlClientRevoke))
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Client name.") var name: String

    func run() throws {
        let response = try options.call(options.client(), "DELETE", "\(ControlPaths.clients)/\(name)")
        if options.json { return options.printBody(response) }
        printLine(options.say(.ctlClientRevoked, ["name": name]))
    }
}

/// `stationctl listener show`: where HIS clients connect and the station certificate's fingerprints to pin.
struct ListenerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listener", abstract: HelpText.text(.helpCtlListener), subcommands: [ListenerShow.self])
}

struct ListenerShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: HelpText.text(.helpCtlListenerShow))
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let response = try options.call(options.client(), "GET", ControlPaths.listener)
        if options.json { return options.printBody(response) }
        let listener = try response.decode(ListenerWire.self)
        guard listener.enabled else { return printLine(options.say(.ctlListenerOff)) }
        let scheme = listener.tls ? "https" : "http"
        let host = listener.address.contains(":") ? "[\(listener.address)]" : listener.address
        printLine(options.say(.ctlListenerAddress, ["value": "\(scheme)://\(host):\(listener.port)"]))
        if let certificate = listener.certificateSHA256 {
            printLine(options.say(.ctlListenerCertificateFingerprint, ["value": certificate]))
        }
        if let key = listener.publicKeySHA256 {
            printLine(options.say(.ctlListenerKeyPin, ["value": "sha256//\(key)"]))
        }
        if let path = listener.certificatePath { printLine(options.say(.ctlListenerCertificateFile, ["value": path])) }
        printLine(
            "CORS: "
                + (listener.corsOrigins.isEmpty
                    ? options.say(.ctlListenerNoOrigin) : listener.corsOrigins.joined(separator: ", ")))
    }
}
