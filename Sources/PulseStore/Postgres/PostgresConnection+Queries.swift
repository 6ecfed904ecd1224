extension PostgresConnection {
    /// Runs one statement with parameters (`$1`, `$2`, …) and returns its result.
    ///
    /// - Parameters:
    ///   - binaryResults: ask for binary columns (cheaper to decode for numbers and timestamps).
    ///   - timeout: a deadline for this call; when it passes the statement is cancelled and the call throws
    ///     ``PostgresError/Code/timedOut``.
    /// - Throws: ``PostgresError``; `server` errors carry the SQLSTATE.
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [PostgresValue] = [], binaryResults: Bool = false, timeout: Duration? = nil
    ) async throws -> PostgresResult {
        let outcomes = try await enqueue(
            .statements([.query(sql, parameters, binaryResults: binaryResults)], pipelined: false), timeout: timeout)
        return try outcomes[0].get()
    }

    /// Runs `sql`, which may hold several `;`-separated statements (a migration file), with the simple-query
    /// protocol: no parameters, text results. Returns the result of the last statement.
    @discardableResult
    public func execute(script sql: String, timeout: Duration? = nil) async throws -> PostgresResult {
        try await enqueue(.script(sql), timeout: timeout)[0].get()
    }

    /// Prepares `sql` under `name` on this session.
    public func prepare(_ name: String, _ sql: String) async throws {
        _ = try await enqueue(.statements([.prepare(name: name, sql: sql)], pipelined: false), timeout: nil)[0].get()
    }

    /// Runs the statement prepared under `name`.
    @discardableResult
    public func execute(
        prepared name: String, _ parameters: [PostgresValue] = [], binaryResults: Bool = false,
        timeout: Duration? = nil
    ) async throws -> PostgresResult {
        let outcomes = try await enqueue(
            .statements([.execute(name, parameters, binaryResults: binaryResults)], pipelined: false),
            timeout: timeout)
        return try outcomes[0].get()
    }

    /// Sends every statement at once in pipeline mode (one round trip) and returns one outcome per statement,
    /// in order. After a failed statement the rest of the pipeline is not run (their outcomes say so);
    /// the statements are not one transaction unless they include `BEGIN`/`COMMIT`.
    public func pipeline(_ statements: [PostgresStatement], timeout: Duration? = nil) async throws
        -> [Result<PostgresResult, PostgresError>]
    {
        guard !statements.isEmpty else { return [] }
        return try await enqueue(.statements(statements, pipelined: true), timeout: timeout)
    }

    /// Runs `COPY … FROM STDIN` (`sql`) and streams `data` to it (binary COPY: see ``BinaryCopyWriter``).
    /// Returns the number of rows copied. COPY never runs in pipeline mode.
    @discardableResult
    public func copyIn(_ sql: String, data: [UInt8], timeout: Duration? = nil) async throws -> Int {
        try await enqueue(.copyIn(sql, data: data), timeout: timeout)[0].get().affectedRows
    }

    /// Runs `body` in a transaction: `COMMIT` when it returns, `ROLLBACK` when it throws.
    public func withTransaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query("BEGIN")
        do {
            let value = try await body(self)
            try await query("COMMIT")
            return value
        } catch {
            if isUsable { _ = try? await query("ROLLBACK") }
            throw error
        }
    }
}
