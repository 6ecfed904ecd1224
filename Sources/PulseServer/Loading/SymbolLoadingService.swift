import PulseIO
import PulseMarketData
import PulseProtocol
import PulseRPC
import PulseStore

/// The slice of `pulse.v1.Quotes` that brings symbols into the system and ranks them: LoadSymbol (CSV bytes,
/// simulated history, or a resumable Alpha Vantage backfill in the background) and Screen (SQL over the stored
/// bars). The other Quotes methods are served by their own service value under the same name; the router
/// dispatches by full method path.
///
/// Without a database every call is UNAVAILABLE `no database configured`.
public struct SymbolLoadingService: RPCService {
    public var serviceName: String { PulseMethods.Quotes.service }
    let resources: LoadingResources?

    /// - Parameter resources: database pools and the backfill runner; nil when no database is configured.
    public init(resources: LoadingResources?) { self.resources = resources }

    public var methods: [RPCMethodDefinition] {
        let resources = self.resources
        return [
            .unary(PulseMethods.Quotes.loadSymbol) { request, context in
                guard let resources else { throw GRPCStatus(.unavailable, "no database configured") }
                return try await SymbolLoader(resources: resources, loop: context.loop).load(request)
            },
            .unary(PulseMethods.Quotes.screen) { request, context in
                guard let resources else { throw GRPCStatus(.unavailable, "no database configured") }
                // The statement gets the call's own deadline, so a slow screen stops in PostgreSQL too.
                let timeout = context.timeRemaining.map { Duration.nanoseconds(Int64(clamping: $0)) }
                return try await ScreenHandler.screen(
                    request, pool: resources.pools[context.loop], timeout: timeout, cache: resources.cache)
            },
        ]
    }
}

/// What the loading service needs at run time: a PostgreSQL pool per event loop (a handler uses its own loop's),
/// the runner of Alpha Vantage backfills when an API key is configured, and the Redis cache whose values derived
/// from a symbol's bars are dropped when new bars land.
public final class LoadingResources: Sendable {
    public let pools: LoopLocal<PostgresPool>
    public let backfills: BackfillRunner?
    public let cache: MarketCache?
    /// Hears of every load that changed rows ("bars ingested").
    public let events: (any BarsIngestedSink)?

    public init(
        pools: LoopLocal<PostgresPool>, backfills: BackfillRunner?, cache: MarketCache? = nil,
        events: (any BarsIngestedSink)? = nil
    ) {
        self.pools = pools
        self.backfills = backfills
        self.cache = cache
        self.events = events
    }

    /// Closes every loop's pool, each on its own loop.
    public func close() async {
        _ = await pools.collect { pool in pool.close() }
    }
}
