import PulseMarketData
import PulseMetrics
import PulseProtocol
import PulseRPC
import PulseStore

/// `pulse.v1.Quotes/Subscribe`: live ticks (and 1-minute bars) for one or many symbols, resumable by sequence
/// number, conflated per symbol for slow readers, with heartbeats for quiet symbols. Only this method: the
/// unary Quotes methods are another service value of the same name (the router dispatches by full path).
///
/// A symbol nobody ingests yet is not an error: the stream starts live for it and sends heartbeats.
public struct QuoteStreamService: RPCService {
    public let hub: TickHub
    /// The tick log to replay from; nil without Redis (a resume then gets a gap up to the first live tick).
    public let log: TickLog?
    public let settings: StreamSettings
    /// `pulse_tick_lag_seconds` when metrics are on: each tick's ingest time to its hand-off to the client's stream
    /// (a replayed tick counts with its age: that is how late the resuming client got it).
    public let tickLag: ValueHistogram?

    public init(
        hub: TickHub, log: TickLog?, settings: StreamSettings = StreamSettings(), tickLag: ValueHistogram? = nil
    ) {
        self.hub = hub
        self.log = log
        self.settings = settings
        self.tickLag = tickLag
    }

    public var serviceName: String { PulseMethods.Quotes.service }

    public var methods: [RPCMethodDefinition] {
        [
            .serverStreaming(PulseMethods.Quotes.subscribe) { request, writer, _ in
                try await subscribe(request, writer)
            }
        ]
    }

    func subscribe(_ request: PulseV1.SubscribeQuotesRequest, _ writer: StreamWriter<PulseV1.QuoteEvent>)
        async throws
    {
        var validated = try ValidatedSubscription(
            symbols: request.symbols, resumeFrom: request.resumeFrom, maxSymbols: settings.maxSymbols)
        validated.includeBars = request.includeBars
        let subscription = hub.subscribe(to: validated.symbols, bars: request.includeBars)
        defer { subscription.close() }
        let tickLag = self.tickLag
        var call = QuoteStreamCall(subscription: subscription, hub: hub, log: log, settings: settings) { event in
            try await writer.send(event)
            if let tickLag, case .tick(let tick) = event.event, tick.ingestTimeUs > 0 {
                ServerMetrics.recordTickLag(tickLag, ingestTimeUs: tick.ingestTimeUs)
            }
        }
        // Wakes the call when nothing arrives, so quiet symbols get their heartbeats on time.
        let interval = call.checkInterval
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                subscription.wake()
            }
        }
        defer { ticker.cancel() }
        try await call.run(validated)
    }
}
