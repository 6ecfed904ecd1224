import PulseIO
import PulseStore

/// Ownership through PostgreSQL: a session advisory lock per symbol held on one dedicated connection (never a
/// pooled one: the lock belongs to the session), the owner's epoch and the high-water mark in `symbol_owners`.
/// The epoch also claims the tick log, so a former owner that has not noticed it lost the lock is fenced there.
///
/// The connection lives on its loop: every call must come from a task that prefers that loop.
public final class PostgresOwnership: SymbolOwnership, @unchecked Sendable {
    // @unchecked: `connection` is used only on its loop (it checks), and replaced only there.
    private let configuration: PostgresConfiguration
    private let loop: EventLoop
    private let log: TickLog?
    private let instance: String
    private var connection: PostgresConnection?
    /// The symbols whose advisory lock `connection` holds (a new session holds none).
    private var locked: Set<String> = []

    public init(configuration: PostgresConfiguration, loop: EventLoop, log: TickLog?, instance: String) {
        self.configuration = configuration
        self.loop = loop
        self.log = log
        self.instance = instance
    }

    /// The advisory-lock key of a symbol: a stable 64-bit hash of its name in a namespace of our own.
    public static func lockKey(_ symbol: String) -> Int64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in "pulse.owner:\(symbol)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }

    private func session() async throws -> PostgresConnection {
        if let connection, connection.isUsable { return connection }
        // A new session holds no locks: renew takes a lease's lock back only while its epoch is still the latest.
        let fresh = try await PostgresConnection.connect(to: configuration, on: loop)
        connection = fresh
        locked = []
        return fresh
    }

    public func acquire(_ symbol: String) async throws -> SymbolLease? {
        let connection = try await session()
        let locked = try await connection.query(
            "SELECT pg_try_advisory_lock($1)", [.int(Self.lockKey(symbol))])
        guard try locked.bool(0, 0) == true else { return nil }
        self.locked.insert(symbol)
        let row = try await connection.query(
            """
            INSERT INTO symbol_owners (symbol, epoch, owner) VALUES ($1, 1, $2)
            ON CONFLICT (symbol) DO UPDATE SET epoch = symbol_owners.epoch + 1, owner = $2, updated_at = now()
            RETURNING epoch, high_water
            """, [.text(symbol), .text(instance)])
        let epoch = UInt64(try row.int(0, 0) ?? 0)
        var highWater = UInt64(max(try row.int(0, 1) ?? 0, 0))
        if let log {
            guard try await log.claim(symbol, epoch: epoch) else {
                _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [.int(Self.lockKey(symbol))])
                self.locked.remove(symbol)
                return nil
            }
            highWater = max(highWater, try await log.lastSequence(symbol))
        }
        return SymbolLease(symbol: symbol, epoch: epoch, highWater: highWater)
    }

    /// Ends the dedicated session (and with it every lock it holds).
    public func close() {
        connection?.close()
        connection = nil
        locked = []
    }

    /// Keeps the lease while PostgreSQL is away (throws, so the ingester goes on and its bars spool): nobody can take
    /// the symbol without PostgreSQL either, and a taker that reaches it first fences this owner's tick-log appends.
    /// When it answers again on a new session, the lock is taken back only if the epoch is still ours.
    public func renew(_ lease: SymbolLease, highWater: UInt64) async throws -> Bool {
        if let connection, connection.isUsable, locked.contains(lease.symbol) {
            do {
                return try await recordHighWater(lease, highWater, on: connection)
            } catch {
                guard !connection.isUsable else { throw error }
                self.connection = nil
            }
        }
        // The session is gone, and its advisory locks with it: PostgreSQL away (this throws) or back.
        let fresh = try await session()
        let locked = try await fresh.query("SELECT pg_try_advisory_lock($1)", [.int(Self.lockKey(lease.symbol))])
        guard try locked.bool(0, 0) == true else { return false }
        guard try await recordHighWater(lease, highWater, on: fresh) else {
            _ = try? await fresh.query("SELECT pg_advisory_unlock($1)", [.int(Self.lockKey(lease.symbol))])
            return false
        }
        self.locked.insert(lease.symbol)
        return true
    }

    /// The lock is ours while this session lives and our epoch is the latest.
    private func recordHighWater(_ lease: SymbolLease, _ highWater: UInt64, on connection: PostgresConnection)
        async throws -> Bool
    {
        let result = try await connection.query(
            """
            UPDATE symbol_owners SET high_water = GREATEST(high_water, $3), updated_at = now()
            WHERE symbol = $1 AND epoch = $2
            """, [.text(lease.symbol), .int(Int64(lease.epoch)), .int(Int64(highWater))])
        return result.affectedRows == 1
    }

    public func release(_ lease: SymbolLease) async {
        guard let connection, connection.isUsable, locked.remove(lease.symbol) != nil else { return }
        _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [.int(Self.lockKey(lease.symbol))])
    }
}
