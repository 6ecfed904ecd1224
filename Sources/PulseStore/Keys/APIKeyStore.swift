/// The `api_keys` table (migration 0007): create, list, revoke, and look a key up by its hash.
///
/// Works on one connection or a pool (both on one loop, non-blocking libpq), so a key check on the RPC path never
/// blocks a loop.
///
/// ```swift
/// let store = APIKeyStore(pool: pool)
/// if let key = try await store.lookup(hash: SHA256.hash(Array(presented.utf8))) { … }
/// ```
public struct APIKeyStore: Sendable {
    private let run: @Sendable (String, [PostgresValue]) async throws -> PostgresResult

    /// Every statement on `connection` (a CLI command).
    public init(connection: PostgresConnection) {
        let box = UncheckedConnection(connection: connection)
        run = { sql, parameters in try await box.connection.query(sql, parameters, binaryResults: true) }
    }

    /// Every statement on a session lent by `pool` (the server).
    public init(pool: PostgresPool, timeout: Duration = .seconds(5)) {
        run = { sql, parameters in
            try await pool.query(sql, parameters, binaryResults: true, timeout: timeout)
        }
    }

    private static let columns = """
        id, name, key_prefix, array_to_string(scopes, ','), rate, burst, max_streams, expires_at, revoked_at, \
        created_at
        """

    /// Inserts a key; returns its row. Throws `server` with SQLSTATE 23505 when the name is taken.
    public func create(_ key: NewAPIKey) async throws -> APIKeyRecord {
        let result = try await run(
            """
            INSERT INTO api_keys (name, key_hash, key_prefix, scopes, rate, burst, max_streams, expires_at)
            VALUES ($1, $2, $3, string_to_array($4, ','), $5, $6, $7, $8)
            RETURNING \(Self.columns)
            """,
            [
                .text(key.name), .bytes(key.hash), .text(key.prefix), .text(key.scopes.joined(separator: ",")),
                .double(key.rate), .int(Int64(key.burst)), .int(Int64(key.maxStreams)),
                key.expiresAtMicros.map { .timestamp(microseconds: $0) } ?? .null,
            ])
        return try Self.records(result)[0]
    }

    /// Every key, oldest first (revoked and expired ones included).
    public func list() async throws -> [APIKeyRecord] {
        try Self.records(try await run("SELECT \(Self.columns) FROM api_keys ORDER BY id", []))
    }

    /// The key with this SHA-256, revoked and expired ones included (the caller decides); nil when none.
    public func lookup(hash: [UInt8]) async throws -> APIKeyRecord? {
        try Self.records(try await run("SELECT \(Self.columns) FROM api_keys WHERE key_hash = $1", [.bytes(hash)]))
            .first
    }

    /// Revokes the key named `nameOrID` (a name, or its numeric id); returns the revoked rows (none when no such
    /// key exists or it was already revoked).
    public func revoke(_ nameOrID: String) async throws -> [APIKeyRecord] {
        let result: PostgresResult
        if let id = Int64(nameOrID) {
            result = try await run(
                "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING \(Self.columns)",
                [.int(id)])
        } else {
            result = try await run(
                """
                UPDATE api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL
                RETURNING \(Self.columns)
                """, [.text(nameOrID)])
        }
        return try Self.records(result)
    }

    private static func records(_ result: PostgresResult) throws -> [APIKeyRecord] {
        try (0..<result.rowCount).map { row in
            APIKeyRecord(
                id: try result.int(row, 0) ?? 0, name: result.string(row, 1) ?? "", prefix: result.string(row, 2) ?? "",
                scopes: (result.string(row, 3) ?? "").split(separator: ",").map(String.init),
                rate: try result.double(row, 4) ?? 0, burst: Int(try result.int(row, 5) ?? 0),
                maxStreams: Int(try result.int(row, 6) ?? 0), expiresAtMicros: try result.timestamp(row, 7),
                revokedAtMicros: try result.timestamp(row, 8), createdAtMicros: try result.timestamp(row, 9) ?? 0)
        }
    }
}

/// A connection captured by the store's closure; used only on the connection's loop, like the connection itself.
private struct UncheckedConnection: @unchecked Sendable {
    let connection: PostgresConnection
}
