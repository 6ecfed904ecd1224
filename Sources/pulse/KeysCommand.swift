import ArgumentParser
import Foundation
import PulseIO
import PulseServer
import PulseStore

/// `pulse keys create|list|revoke`: the API keys of the key store (the `api_keys` table).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys (stored as SHA-256 hashes in PostgreSQL).",
        subcommands: [KeysCreateCommand.self, KeysListCommand.self, KeysRevokeCommand.self])

    /// Runs `body` with the key store of `database`, after applying the schema migrations (idempotent).
    static func withStore<T: Sendable>(
        _ database: DatabaseOptions, _ body: @escaping @Sendable (APIKeyStore) async throws -> T
    ) async throws -> T {
        let configuration = try database.configuration()
        return try await PostgresConnection.withConnection(to: configuration) { connection in
            try await SchemaMigrations.apply(on: connection)
            return try await body(APIKeyStore(connection: connection))
        }
    }

    static func time(_ micros: Int64?) -> String {
        guard let micros else { return "-" }
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1e6))
    }
}

struct KeysCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a key; prints it once on standard output (only its hash is stored).",
        discussion: """
            Example: pulse keys create --name dashboard --scopes read,backtest --expires 30d --rate 50 --burst 100
            Scopes: read (Quotes reads, Indicators), load (Quotes.LoadSymbol), backtest (Backtests), admin \
            (everything, Diagnostics included).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "A unique name: letters, digits, . _ - (up to 64).")
    var name: String
    @Option(help: "Comma-separated scopes of read, load, backtest, admin.")
    var scopes: String
    @Option(help: "Lifetime such as 30d, 12h, 90m or 2w (default: never expires).")
    var expires: String?
    @Option(help: "Calls per second allowed (default 0: unlimited).")
    var rate: Double = 0
    @Option(help: "Calls allowed at once above the rate (default 0: one second of --rate).")
    var burst: Int = 0
    @Option(help: "Server streams open at once per instance (default 0: unlimited).")
    var maxStreams: Int = 0

    func run() async throws {
        guard name.utf8.count <= 64, !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else { throw UsageError("--name: '\(name)' must be 1-64 letters, digits, '.', '_' or '-'") }
        let parsedScopes: [APIKeyScope]
        do { parsedScopes = try APIKeyScope.parseList(scopes) } catch { throw UsageError("--scopes: \(error)") }
        guard rate >= 0, rate.isFinite, rate <= 1_000_000 else { throw UsageError("--rate: 0...1000000") }
        guard (0...10_000_000).contains(burst) else { throw UsageError("--burst: 0...10000000") }
        guard (0...1_000_000).contains(maxStreams) else { throw UsageError("--max-streams: 0...1000000") }
        var expiresAt: Int64?
        if let expires {
            guard let seconds = Self.lifetimeSeconds(expires) else {
                throw UsageError("--expires: '\(expires)' is not a lifetime such as 30d, 12h, 90m, 45s or 2w")
            }
            expiresAt = Int64((Date().timeIntervalSince1970 + Double(seconds)) * 1e6)
        }
        let key = APIKeySecret.generate()
        let new = NewAPIKey(
            name: name, hash: APIKeySecret.hash(key), prefix: APIKeySecret.prefix(key),
            scopes: parsedScopes.map(\.rawValue), rate: rate, burst: burst, maxStreams: maxStreams,
            expiresAtMicros: expiresAt)
        let record: APIKeyRecord
        do {
            record = try await KeysCommand.withStore(database) { try await $0.create(new) }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw UsageError("--name: a key named '\(name)' already exists")
        }
        print(key)
        StandardError.write(
            "created API key '\(record.name)' (id \(record.id), scopes \(record.scopes.joined(separator: ",")), "
                + "expires \(KeysCommand.time(record.expiresAtMicros))); it is shown only this once")
    }

    /// `30d` → seconds; units s, m, h, d, w.
    static func lifetimeSeconds(_ text: String) -> Int64? {
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount > 0 else { return nil }
        let multiplier: Int64
        switch unit {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        case "w": multiplier = 7 * 86_400
        default: return nil
        }
        let (seconds, overflow) = amount.multipliedReportingOverflow(by: multiplier)
        return overflow || seconds > 100 * 365 * 86_400 ? nil : seconds
    }
}

struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List every key (never the secret: its first characters only).")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let keys = try await KeysCommand.withStore(database) { try await $0.list() }
        print("id\tname\tprefix\tscopes\trate\tburst\tmax_streams\texpires\trevoked\tcreated")
        for key in keys {
            print(
                [
                    "\(key.id)", key.name, key.prefix, key.scopes.joined(separator: ","), "\(key.rate)", "\(key.burst)",
                    "\(key.maxStreams)", KeysCommand.time(key.expiresAtMicros), KeysCommand.time(key.revokedAtMicros),
                    KeysCommand.time(key.createdAtMicros),
                ].joined(separator: "\t"))
        }
    }
}

struct KeysRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a key by name or id; servers sharing the Redis stop accepting it within 2 s.",
        discussion: """
            With --redis-url (or REDIS_URL) the revocation is announced through Redis, and every server polling it \
            drops the key within two seconds; servers without Redis notice within their short cache TTL (1 s).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Redis URL to announce the revocation on (env REDIS_URL).")
    var redisURL: String?
    @Argument(help: "The key's name or numeric id.")
    var key: String

    func run() async throws {
        let revoked = try await KeysCommand.withStore(database) { [key] in try await $0.revoke(key) }
        guard let first = revoked.first else {
            throw UsageError("no active key named or numbered '\(key)' (see pulse keys list)")
        }
        var url = redisURL
        if url == nil, let raw = getenv("REDIS_URL"), raw.pointee != 0 { url = String(cString: raw) }
        var announced = false
        if let url {
            let configuration: RedisConfiguration
            do { configuration = try RedisConfiguration(url: url) } catch {
                throw UsageError("--redis-url: \(error.message)")
            }
            let loop = try EventLoop(index: 0)
            defer {
                loop.stop()
                loop.join()
            }
            let redis = RedisClient(configuration: configuration, loop: loop)
            if await redis.waitUntilConnected(timeout: .seconds(5)) {
                announced = (try? await RevocationFeed.announce(on: redis)) != nil
            }
            await redis.close()
        }
        print("revoked API key '\(first.name)' (id \(first.id))")
        if !announced {
            StandardError.write(
                "warning: the revocation was not announced through Redis (pass --redis-url or set REDIS_URL): servers "
                    + "without Redis drop the key within 1 s, servers polling a Redis may accept it for up to 60 s")
        }
    }
}
