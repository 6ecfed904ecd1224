/// Where Redis is and how to talk to it, from a `redis://` URL (`REDIS_URL`, `--redis-url`).
///
/// `redis://[[user]:password@]host[:port][/db]`. hiredis 0.14 resolves names synchronously, so the host must
/// be a numeric address (`127.0.0.1`, `[::1]`) or `localhost`; it has no TLS (`rediss://` is refused: a
/// TLS-only Redis such as ElastiCache with in-transit encryption needs a TLS proxy in front).
public struct RedisConfiguration: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// How long a command may wait for its reply before the connection is dropped and the command fails.
    public var commandTimeout: Duration = .seconds(2)
    /// How long the first connect (with AUTH and SELECT) may take.
    public var connectTimeout: Duration = .seconds(2)
    /// How long a reconnect attempt may take (at most `connectTimeout`): short, so an attempt that went nowhere
    /// (a SYN lost while Redis was away) is replaced soon after Redis is back, not after the full connect timeout.
    public var reconnectTimeout: Duration = .seconds(1)
    /// Reconnect backoff: first delay, doubling up to the maximum, with jitter. A Redis that is back is used again
    /// within the maximum delay (plus a connect): health promises 2 s.
    public var reconnectInitialDelay: Duration = .milliseconds(50)
    public var reconnectMaximumDelay: Duration = .milliseconds(500)

    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0) {
        self.host = host
        self.port = port
        self.database = database
    }

    /// Parses a `redis://` URL.
    public init(url: String) throws(RedisError) {
        func invalid(_ why: String) -> RedisError { RedisError(.invalidConfiguration, "REDIS_URL: \(why)") }
        var rest = Substring(url)
        if rest.hasPrefix("rediss://") {
            throw invalid("TLS (rediss://) is not supported by hiredis 0.14; put a TLS proxy in front of Redis")
        }
        guard rest.hasPrefix("redis://") else { throw invalid("expected redis://host:port") }
        rest = rest.dropFirst("redis://".count)
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                username = credentials[..<colon].isEmpty ? nil : String(credentials[..<colon])
                password = String(credentials[credentials.index(after: colon)...]).removingURLPercentEncoding
            } else {
                password = String(credentials).removingURLPercentEncoding
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else { throw invalid("the database must be a number") }
                database = number
            }
        }
        var host = String(rest)
        var port = 6379
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw invalid("unclosed [ in the host") }
            let after = host[host.index(after: close)...]
            let inside = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { throw invalid("the port must be a number") }
                port = p
            }
            host = inside
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]) else { throw invalid("the port must be a number") }
            port = p
            host = String(host[..<colon])
        }
        guard (1...65_535).contains(port) else { throw invalid("port \(port) is out of range") }
        if host.isEmpty || host == "localhost" { host = "127.0.0.1" }
        guard Self.isNumericAddress(host) else {
            throw invalid("the host must be a numeric address (hiredis resolves names on the calling thread)")
        }
        self.init(host: host, port: port, database: database)
        self.username = username
        self.password = password
    }

    static func isNumericAddress(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) { return true }
        return host.contains(":") && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    /// The address without credentials, for logs.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(password == nil ? "" : "***@")\(shownHost):\(port)/\(database)"
    }
}

extension String {
    /// Decodes `%XX` escapes (a password in a URL may carry them); invalid escapes are kept as written.
    var removingURLPercentEncoding: String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
