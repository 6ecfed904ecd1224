import ArgumentParser
import PulseClient

#if canImport(Glibc)
    import Glibc
#endif

/// `--server HOST:PORT` (default `$PULSE_SERVER`, else 127.0.0.1:50051) and a per-call `--timeout`: shared by the
/// commands that call a running `pulse serve`.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "The server, HOST:PORT (default $PULSE_SERVER, else 127.0.0.1:50051).")
    var server: String?

    @Option(name: .long, help: "Seconds each call may take (default 30).")
    var timeout: Double = 30

    /// Host and port of `--server`.
    func address() throws -> (host: String, port: Int) {
        let text = server ?? Self.environment("PULSE_SERVER") ?? "127.0.0.1:50051"
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65_535).contains(port)
        else {
            throw UsageError("--server: '\(text)' is not HOST:PORT (for example 127.0.0.1:50051)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw UsageError("--server: '\(text)' has no host") }
        return (host, port)
    }

    var callOptions: CallOptions { CallOptions(timeout: .milliseconds(Int64(max(0.001, timeout) * 1000))) }

    /// Runs `body` with a client of `--server`; RPC failures become `pulse: CODE: message` (exit status 1).
    func withClient<T>(_ body: (PulseClient) async throws -> T) async throws -> T {
        guard timeout > 0, timeout.isFinite else { throw UsageError("--timeout: must be a positive number of seconds") }
        let (host, port) = try address()
        do {
            return try await PulseClient.withClient(host: host, port: port) { try await body($0) }
        } catch let error as RPCError {
            throw CallFailure(error: error)
        }
    }

    private static func environment(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }
}

/// A call the server (or the connection) failed: printed as `pulse: CODE: message`, exit status 1.
struct CallFailure: Error, CustomStringConvertible {
    var error: RPCError
    var description: String { "pulse: \(error.code.name): \(error.message)" }
}
