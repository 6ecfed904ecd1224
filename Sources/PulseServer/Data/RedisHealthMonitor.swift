import Logging
import PulseProtocol
import PulseStore
import ServiceLifecycle

/// Keeps the health of what needs Redis true: the live streams' resume and cross-instance side, reported under
/// the names of their methods (`pulse.v1.Quotes/Subscribe`, `pulse.v1.Indicators/Subscribe`). They turn
/// NOT_SERVING when the Redis connection drops and SERVING the moment it is back, as the client reports each change
/// (no polling). The services themselves do not follow Redis: Quotes' unary calls answer from PostgreSQL without
/// it, and the streams still carry this instance's own ticks.
///
/// Without Redis configured the names stay SERVING: there is no tick log to need, streams carry the instance's own
/// ticks and a resume it cannot replay is reported as a gap. Stops at the graceful shutdown.
struct RedisHealthMonitor: Service {
    /// Health names that follow Redis.
    static let dependentNames = [PulseMethods.Quotes.subscribe.path, PulseMethods.Indicators.subscribe.path].map {
        String($0.dropFirst())  // the method's path without its leading slash
    }

    let redis: RedisClient?
    let health: HealthStatusRegistry
    let logger: Logger

    /// Sets the names' first status (before the server listens, so no check ever finds them unknown).
    static func register(in health: HealthStatusRegistry, redisConfigured: Bool) {
        for name in dependentNames { health.setStatus(redisConfigured ? .notServing : .serving, for: name) }
    }

    func run() async throws {
        guard let redis else {
            try? await gracefulShutdown()
            return
        }
        let health = self.health
        let logger = self.logger
        let following = Task {
            var wasUp: Bool?
            for await up in redis.connectionChanges() {
                for name in Self.dependentNames { health.setStatus(up ? .serving : .notServing, for: name) }
                if wasUp != nil, wasUp != up {
                    if up {
                        logger.info("Redis reachable: live streams SERVING")
                    } else {
                        logger.warning("Redis unreachable: \(Self.dependentNames) NOT_SERVING")
                    }
                }
                wasUp = up
            }
        }
        try? await gracefulShutdown()
        following.cancel()
        await following.value
    }
}
