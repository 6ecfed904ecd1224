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
/// away — is thrown, so the event is delivered again. (The screener keeps nothing between calls: it reads the
/// stored bars and their rollups when asked, so there is nothing of it to recompute.)
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
}
