import Logging
import PulseIO
import PulseRPC
import PulseStore
import ServiceLifecycle

/// API keys, scopes and limits for one server process: the interceptor that enforces them and the long-running
/// part that keeps them current (the revocation feed, the rate-limit reconciliation) and closes the key-store
/// pools at shutdown. List the part before the RPC server's, so it stops after the server has drained.
public struct AccessControl: Sendable {
    let verifier: KeyVerifier
    let feed: RevocationFeed
    let limiter: RateLimiter
    let streams: StreamSlots

    /// - Parameters:
    ///   - database: the key store; nil refuses every call but health with UNAVAILABLE.
    ///   - redis: revocations, shared rate limits and open-stream counts; nil keeps them to this instance (short
    ///     cache TTL).
    public init(
        settings: AuthSettings, database: PostgresConfiguration?, redis: RedisClient?, group: EventLoopGroup,
        logger: Logger
    ) {
        feed = RevocationFeed(redis: redis, interval: settings.revocationPollInterval)
        verifier = KeyVerifier(database: database, group: group, feed: feed, settings: settings, logger: logger)
        limiter = RateLimiter(redis: redis, interval: settings.reconcileInterval, logger: logger)
        streams = StreamSlots(redis: redis)
    }

    /// The interceptor to install on the server.
    public var interceptor: any ServerInterceptor {
        AuthInterceptor(verifier: verifier, limiter: limiter, streams: streams)
    }

    /// The part for ``ProcessLifecycle``.
    public var part: any Service { AccessControlPart(control: self) }
}

private struct AccessControlPart: Service {
    let control: AccessControl

    func run() async throws {
        let feed = control.feed
        let limiter = control.limiter
        let streams = control.streams
        let background = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await feed.run() }
                group.addTask { await limiter.run() }
                group.addTask { await streams.run() }
            }
        }
        try? await gracefulShutdown()
        background.cancel()
        await background.value
        await control.verifier.close()
    }
}
