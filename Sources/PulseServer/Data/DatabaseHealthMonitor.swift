import Logging
import PulseIO
import PulseProtocol
import PulseStore
import ServiceLifecycle

/// Keeps the health of the services that read PostgreSQL true: a cheap probe (`SELECT 1` on a session of its own,
/// reopened when it breaks) every ``interval``, so they turn NOT_SERVING while the database cannot be reached and
/// SERVING again within `interval` plus a connect of its return. Without a database configured they stay
/// NOT_SERVING (Quotes) or SERVING (Indicators and Backtests, which still serve bars given inline).
///
/// A database away at start-up gets its migrations applied on the first probe that reaches it, before anything
/// reports SERVING.
///
/// It probes with its own session rather than a pool's, so a pool's reconnect backoff never delays noticing that
/// the database is back. Stops at the graceful shutdown, before health turns NOT_SERVING for good.
struct DatabaseHealthMonitor: Service {
    /// Services whose calls need PostgreSQL.
    static let dependentServices = [
        PulseMethods.Quotes.service, PulseMethods.Indicators.service, PulseMethods.Backtests.service,
    ]
    /// Services that need PostgreSQL for everything they serve (NOT_SERVING without one).
    static let databaseOnlyServices = [PulseMethods.Quotes.service]

    let data: ServerDataLayer
    let health: HealthStatusRegistry
    let loop: EventLoop
    let logger: Logger
    var interval: Duration = .milliseconds(500)
    /// Whether the start-up applied the migrations; if not (the database was away then), they are applied as soon
    /// as the database can be reached, before its services report SERVING.
    var migrated = true

    func run() async throws {
        guard let database = data.database else {
            logger.warning("no database configured: \(Self.databaseOnlyServices) NOT_SERVING; set DATABASE_URL")
            // A part that returns ends the process: wait for the shutdown like the others.
            try? await gracefulShutdown()
            return
        }
        var probeSettings = database
        probeSettings.connectTimeout = .seconds(2)
        probeSettings.statementTimeout = .seconds(1)
        let data = self.data
        let health = self.health
        let logger = self.logger
        let interval = self.interval
        let migratedAtStart = self.migrated
        let probing = Task(executorPreference: loop) { [loop] in
            var session: PostgresConnection?
            var wasUp: Bool?
            var migrated = migratedAtStart
            while !Task.isCancelled {
                let up: Bool
                do {
                    if session?.isUsable != true {
                        session?.close()
                        session = try await PostgresConnection.connect(to: probeSettings, on: loop)
                    }
                    try await session!.query("SELECT 1", timeout: .seconds(1))
                    if !migrated {
                        // The database came after the server: its schema first (a fresh one has none yet).
                        do {
                            let applied = try await SchemaMigrations.apply(on: session!)
                            logger.info("applied database migrations", metadata: ["versions": "\(applied)"])
                            migrated = true
                        } catch {
                            if wasUp != false { logger.warning("database reached, migrations refused: \(error)") }
                            throw error
                        }
                    }
                    up = true
                } catch {
                    session?.close()
                    session = nil
                    up = false
                }
                if Task.isCancelled { break }
                data.setDatabaseReachable(up)
                for service in Self.dependentServices { health.setStatus(up ? .serving : .notServing, for: service) }
                if wasUp != up {
                    if up { logger.info("database reachable") } else { logger.warning("database unreachable") }
                    wasUp = up
                }
                try? await loop.sleep(nanoseconds: interval.wholeNanoseconds)
            }
            session?.close()
        }
        try? await gracefulShutdown()
        probing.cancel()
        await probing.value
    }
}
