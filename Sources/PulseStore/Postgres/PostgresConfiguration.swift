private import CLibPQ
import PulseIO

#if canImport(Glibc)
    import Glibc
#endif

/// Where and how to connect: a libpq connection string (`postgresql://user@host:port/db?…` or
/// `host=… dbname=…`), parsed by libpq itself, plus the settings this client adds to every connection.
///
/// Its `description` names only the database, never the host, user or password.
///
/// ```swift
/// var configuration = try PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:55432/pulse")
/// configuration.statementTimeout = .seconds(5)
/// ```
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The libpq keyword/value pairs given by the connection string (only the ones that were set).
    var parameters: [(key: String, value: String)]
    /// `statement_timeout` set on every connection, so the server itself stops runaway statements
    /// (nil = the server's default).
    public var statementTimeout: Duration? = .seconds(30)
    /// How long establishing a connection may take, name resolution included.
    public var connectTimeout: Duration = .seconds(10)
    /// `application_name` reported to the server (visible in `pg_stat_activity`).
    public var applicationName = "pulse"
    /// Where the calls that block run — host-name resolution and libpq 15's `PQcancel` — so none blocks a loop:
    /// the process's ``BlockingPool`` (`pulse serve` sets its own); nil: a concurrent queue of the client's own
    /// (one-shot commands with no pool).
    public var blockingPool: BlockingPool?

    /// Parses `url` with libpq (`PQconninfoParse`); throws ``PostgresError/Code/invalidConfiguration`` with a
    /// message that does not repeat the string.
    public init(url: String) throws(PostgresError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(.invalidConfiguration, "the database URL is not a valid libpq connection string")
        }
        defer { PQconninfoFree(options) }
        var parsed: [(key: String, value: String)] = []
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val {
                parsed.append((String(cString: keyword), String(cString: value)))
            }
            cursor += 1
        }
        parameters = parsed
    }

    /// The value of libpq keyword `key` (`"dbname"`, `"host"`, …), if the connection string set it.
    public func value(of key: String) -> String? {
        parameters.last { $0.key == key }?.value
    }

    /// Sets libpq keyword `key` (for example another `dbname` on the same server).
    public mutating func set(_ key: String, to value: String) {
        parameters.removeAll { $0.key == key }
        parameters.append((key, value))
    }

    /// The database name, the only part safe to show.
    public var database: String { value(of: "dbname") ?? value(of: "user") ?? "postgres" }

    public var description: String { "PostgresConfiguration(database: \(database))" }

    /// Every value that must not appear in an error message: host, address, port, user, password and the
    /// database name (they are redacted from libpq's connection errors).
    var secrets: [String] {
        ["password", "user", "host", "hostaddr", "dbname", "passfile", "sslkey", "sslcert"].flatMap { key in
            (value(of: key) ?? "").split(separator: ",").map(String.init)
        }.filter { $0.count >= 2 }
    }

    /// The keyword/value pairs handed to `PQconnectStartParams`: the parsed ones, `host`/`hostaddr`/`port`
    /// replaced by lists resolved beforehand (libpq would otherwise resolve names synchronously), the
    /// timeouts, the application name and `gssencmode=disable` unless set.
    func connectParameters(resolvedHosts: [(key: String, value: String)]?) -> [(key: String, value: String)] {
        var result = parameters
        for (key, value) in resolvedHosts ?? [] {
            result.removeAll { $0.key == key }
            result.append((key, value))
        }
        var options = value(of: "options") ?? ""
        if let statementTimeout {
            let milliseconds = max(1, statementTimeout.wholeMilliseconds)
            options += (options.isEmpty ? "" : " ") + "-c statement_timeout=\(milliseconds)"
        }
        result.removeAll { $0.key == "options" || $0.key == "application_name" || $0.key == "connect_timeout" }
        if !options.isEmpty { result.append(("options", options)) }
        result.append(("application_name", value(of: "application_name") ?? applicationName))
        // libpq probes for a Kerberos credential cache before trying GSSAPI encryption, which can block: off
        // unless the connection string asks for it.
        if value(of: "gssencmode") == nil { result.append(("gssencmode", "disable")) }
        let seconds = max(2, Int(connectTimeout.components.seconds))
        result.append(("connect_timeout", value(of: "connect_timeout") ?? String(seconds)))
        return result
    }

    /// The host names that need resolving before connecting: every entry of `host` that is neither a Unix
    /// socket folder nor a numeric address, unless `hostaddr` is given. Nil when there is nothing to resolve.
    var hostsToResolve: [String]? {
        guard value(of: "hostaddr") == nil, let hosts = value(of: "host"), !hosts.isEmpty else { return nil }
        let entries = hosts.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if entries.contains(where: { $0.hasPrefix("/") || $0.hasPrefix("@") }) { return nil }
        return entries
    }

    static func isNumericAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Every address `host` resolves to, numeric (blocking: call off the event loop); empty when it does not.
    static func resolve(_ host: String) -> [String] {
        if isNumericAddress(host) { return [host] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor = list
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(
                entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0,
                NI_NUMERICHOST) == 0
            {
                let address = String(cString: buffer)
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }

    /// The `host`, `hostaddr` and `port` lists with one entry per resolved address (libpq then tries each
    /// address in turn and never resolves a name itself). Blocking: call off the event loop.
    /// - Throws: `connectionFailed` when a host name does not resolve.
    func resolvedHosts() throws(PostgresError) -> [(key: String, value: String)]? {
        guard let hosts = hostsToResolve else { return nil }
        let ports = (value(of: "port") ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var names: [String] = []
        var addresses: [String] = []
        var expandedPorts: [String] = []
        for (index, host) in hosts.enumerated() {
            let resolved = Self.resolve(host)
            guard !resolved.isEmpty else {
                throw PostgresError(.connectionFailed, "the database host name does not resolve")
            }
            for address in resolved {
                names.append(host)
                addresses.append(address)
                if ports.count == hosts.count { expandedPorts.append(ports[index]) }
            }
        }
        var result = [("host", names.joined(separator: ",")), ("hostaddr", addresses.joined(separator: ","))]
        if !expandedPorts.isEmpty { result.append(("port", expandedPorts.joined(separator: ","))) }
        return result
    }
}

extension PostgresConfiguration {
    /// `message` with every secret of this configuration replaced by `…`, and libpq's quoted host and port
    /// phrases generalised: what a connection error may say outside the process.
    func redact(_ message: String) -> String {
        var text = message
        for secret in secrets.sorted(by: { $0.count > $1.count }) {
            text = text.replacing(secret, with: "…")
        }
        if let port = value(of: "port") {
            for port in port.split(separator: ",") { text = text.replacing("port \(port)", with: "port …") }
        }
        // libpq: `connection to server at "h" (10.0.0.5), port 5432 failed:` — drop any address left in brackets.
        text = text.replacing("connection to server at ", with: "connection to server ")
        let lines = text.split(separator: "\n").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        return lines.joined(separator: "; ").strippingAddresses()
    }
}

extension String {
    /// Replaces every bracketed numeric address `(10.0.0.5)` / `(::1)` with `(…)`.
    func strippingAddresses() -> String {
        var result = ""
        var index = startIndex
        while index < endIndex {
            if self[index] == "(", let close = self[index...].firstIndex(of: ")") {
                let inner = String(self[self.index(after: index)..<close])
                if PostgresConfiguration.isNumericAddress(inner) {
                    result += "(…)"
                    index = self.index(after: close)
                    continue
                }
            }
            result.append(self[index])
            index = self.index(after: index)
        }
        return result
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
