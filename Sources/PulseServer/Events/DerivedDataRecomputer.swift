import PulseIO
import PulseMarketData
import PulseProtocol
import PulseRPC
import PulseStore

/// What "bars ingested" sets going: the symbol's cached derived values are dropped (``MarketCache/invalidate(_:)``)
/// and every `Indicators.Compute` request clients asked of the symbol within the last hour
/// (``MarketCache/askedRequests(_:limit:timeout:)``) is computed again over the new bars and cached under the new
/// data version, so the next client asking is answered from Redis. It runs the service's own code
/// (``IndicatorsService/compute(_:stored:cache:noteAsked:context:)``) in a background context, in `pulse serve`
/// (in-process delivery), `pulse worker` and the SQS-triggered Lambda alike.
///
/// Idempotent: a redelivered event finds the results of its data version cached and computes nothing. A request
/// the new data makes invalid (INVALID_ARGUMENT, NOT_FOUND) is forgotten; any other failure — PostgreSQL or Redis
/// away — is thrown, so the event is delivered again. After a batch of events, the screens clients asked
/// (``ScreenCache``: keyed by the whole store's data version) are computed once more the same way.
public struct DerivedDataRecomputer: BarsIngestedProcessor {
    let data: ServerDataLayer
    let stored: StoredBars
    let loop: EventLoop
    let computePool: ComputePool
    let blockingPool: BlockingPool
    /// The most requests recomputed per symbol and event, most recently asked first.
    public var limit = 32
    /// The bound on each recomputation.
    public var timeout: Duration = .seconds(30)

    public init(
        data: ServerDataLayer, loop: EventLoop, computePool: ComputePool, blockingPool: BlockingPool
    ) {
        self.data = data
        stored = StoredBars(source: data.database == nil ? nil : PostgresBarSource(data: data))
        self.loop = loop
        self.computePool = computePool
        self.blockingPool = blockingPool
    }

    public func process(_ event: BarsIngestedEvent) async throws {
        guard let cache = data.cache else { return }
        try await cache.invalidate(event.symbol)
        guard data.database != nil else { return }
        let computeCache = ComputeCache(data: data)
        for bytes in try await cache.askedRequests(event.symbol, limit: limit) {
            guard let request = try? PulseV1.ComputeIndicatorsRequest(serializedBytes: bytes),
                request.symbol == event.symbol
            else {
                try await cache.forgetAsked(event.symbol, request: bytes)
                continue
            }
            let context = ServerContext.background(
                loop: loop, computePool: computePool, blockingPool: blockingPool, timeout: timeout)
            do {
                _ = try await Task(executorPreference: loop) { [stored] in
                    try await IndicatorsService.compute(
                        request, stored: stored, cache: computeCache, noteAsked: false, context: context)
                }.value
            } catch let status as GRPCStatus where status.code == .invalidArgument || status.code == .notFound {
                try await cache.forgetAsked(event.symbol, request: bytes)
            }
        }
    }

    /// Screens depend on every symbol: dropped and computed again once per batch, best effort (a screen not
    /// recomputed is computed when next asked; one of an older version is never served).
    public func processed(_ batch: [BarsIngestedEvent]) async {
        guard let cache = data.cache, data.database != nil else { return }
        let (data, loop, limit, timeout) = (self.data, self.loop, self.limit, self.timeout)
        // The loop's pool is the loop's own: everything below runs there.
        await Task(executorPreference: loop) {
            guard let pool = data.pool(on: loop) else { return }
            let universe = ScreenCache.universe
            _ = try? await cache.invalidate(universe)
            guard let asked = try? await cache.askedRequests(universe, limit: limit) else { return }
            for bytes in asked {
                guard let request = try? PulseV1.ScreenRequest(serializedBytes: bytes) else {
                    _ = try? await cache.forgetAsked(universe, request: bytes)
                    continue
                }
                do {
                    _ = try await ScreenHandler.screen(
                        request, pool: pool, timeout: timeout, cache: cache, noteAsked: false)
                } catch let status as GRPCStatus where status.code == .invalidArgument {
                    _ = try? await cache.forgetAsked(universe, request: bytes)
                } catch {
                    return  // the database is away: the next batch tries again
                }
            }
        }.value
    }
}
