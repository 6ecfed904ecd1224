import ArgumentParser
import PulseClient

#if canImport(Glibc)
    import Glibc
#endif

/// `--server HOST:PORT` (env `PULSE_SERVER`, default 127.0.0.1:50051) for the commands that call a server.
struct ServerAddressOption: ParsableArguments {
    @Option(help: "The server, HOST:PORT (default 127.0.0.1:50051; env PULSE_SERVER).")
    var server: String?

    func hostAndPort() throws -> (String, Int) {
        var text = server ?? "127.0.0.1:50051"
        if server == nil, let raw = getenv("PULSE_SERVER"), raw.pointee != 0 { text = String(cString: raw) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port), colon != text.startIndex
        else { throw UsageError("--server: '\(text)' is not HOST:PORT") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// Runs `body` with a client of the server; an RPC failure becomes a one-line error (exit status 1).
    func withClient<T>(_ body: (PulseClient) async throws -> T) async throws -> T {
        let (host, port) = try hostAndPort()
        do {
            return try await PulseClient.withClient(host: host, port: port, body)
        } catch let error as RPCError {
            throw RemoteFailure(description: "\(error.code.name): \(error.message)")
        }
    }
}

/// A call the server refused: its status and message, exit status 1.
struct RemoteFailure: Error, CustomStringConvertible {
    var description: String
}
