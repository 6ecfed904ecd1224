import Logging
import PulseIO
import PulseStore
import ServiceLifecycle

/// The rollups' catch-up: every ``interval``, when hours of 1-minute bars are noted as changed, brings the 5m, 1h
/// and 1d rollups up to date (`BarStore.refreshRollups`, `pulse_refresh_rollups` underneath) on a session of its
/// own. PulseTrader's writers refresh right after each write; this covers minutes written around them (a script's
/// INSERTs, a restore, a writer that died between its commit and its refresh). Reads never wait for it: while hours
/// are noted they group the minutes. Concurrent refreshes (other instances, writers) take turns on an advisory lock.
struct RollupRefresher: Service {
    let database: PostgresConfiguration
    let loop: EventLoop
    let logger: Logger
    var interval: Duration = .seconds(5)

    func run() async throws {
        var settings = database
        settings.connectTimeout = .seconds(2)
        let logger = self.logger
        let interval = self.interval
        let refreshing = Task(executorPreference: loop) { [loop] in
            var session: PostgresConnection?
            while !Task.isCancelled {
                do {
                    if session?.isUsable != true {
                        session?.close()
                        session = try await PostgresConnection.connect(to: settings, on: loop)
                    }
                    let noted = try await session!.query(
                        "SELECT EXISTS (SELECT 1 FROM bar_rollup_invalidations)", timeout: .seconds(2))
                    if noted.string(0, 0) == "t" {
                        let changed = try await BarStore(connection: session!).refreshRollups(timeout: .seconds(120))
                        logger.debug("rollups refreshed", metadata: ["rows": "\(changed)"])
                    }
                } catch {
                    // The database is down or not migrated yet: the health monitor says so; try again next time.
                    session?.close()
                    session = nil
                }
                try? await loop.sleep(nanoseconds: interval.wholeNanoseconds)
            }
            session?.close()
        }
        try? await gracefulShutdown()
        refreshing.cancel()
        await refreshing.value
    }
}
