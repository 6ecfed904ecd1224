/// Live prices from Alpha Vantage: the tracked symbols' `GLOBAL_QUOTE`s, polled round-robin within the key's
/// budget and written through the same ``TickIngester`` as the simulated feed (ownership, fencing, sequence
/// numbers, minute bars). A quote whose price and day volume are unchanged since the last poll is not a trade and
/// publishes nothing; a changed one becomes one tick with the day-volume increase as its size, timed when it was
/// seen (the quote carries only its trading day).
///
/// The pause between requests spreads the budget over its window: 86,400 s / daily limit (a free key: one quote
/// every hour) or 60 s / per-minute limit, whichever is longer, unless `pollInterval` says otherwise. A spent daily
/// quota waits until midnight US/Eastern; other failures are counted and the next symbol is polled.
public struct AlphaVantageFeed: Sendable {
    public let client: AlphaVantageClient
    /// The symbols to poll now (the database's tracked Alpha Vantage symbols, or a fixed list).
    public let symbols: @Sendable () async -> [String]
    public let ingester: TickIngester
    public var pollInterval: Duration
    /// How often the symbol list is read again.
    public var refreshInterval: Duration = .seconds(5)
    /// How often leases are renewed (recording the high-water marks) and unowned symbols retried.
    public var leaseCheck: Duration = .seconds(1)

    public init(
        client: AlphaVantageClient, ingester: TickIngester, pollInterval: Duration? = nil,
        symbols: @escaping @Sendable () async -> [String]
    ) {
        self.client = client
        self.ingester = ingester
        self.symbols = symbols
        self.pollInterval = pollInterval ?? Self.pacing(client.configuration)
    }

    /// The pause between two requests that keeps within the key's daily and per-minute budgets.
    public static func pacing(_ configuration: AlphaVantageConfiguration) -> Duration {
        var seconds = 1.0
        if configuration.dailyLimit > 0 { seconds = max(seconds, 86_400 / Double(configuration.dailyLimit)) }
        if configuration.perMinuteLimit > 0 { seconds = max(seconds, 60 / Double(configuration.perMinuteLimit)) }
        return .milliseconds(Int64(seconds * 1000))
    }

    public struct Counters: Sendable, Equatable {
        public var polls = 0
        public var failures = 0
        public var ingested = TickIngester.Counters()
    }

    /// Polls until the task is cancelled; returns what it did.
    @discardableResult
    public func run() async -> Counters {
        var ingester = self.ingester
        var counters = Counters()
        var tracked: [String] = []
        var lastRefresh = ContinuousClock.now - refreshInterval
        var lastLeaseCheck = ContinuousClock.now - leaseCheck
        var next = 0
        var lastSeen: [String: (price: Double, volume: Double)] = [:]
        while !Task.isCancelled {
            if ContinuousClock.now - lastRefresh >= refreshInterval {
                lastRefresh = .now
                tracked = await symbols()
                lastLeaseCheck = .now - leaseCheck
            }
            if ContinuousClock.now - lastLeaseCheck >= leaseCheck {
                lastLeaseCheck = .now
                await ingester.checkLeases(for: tracked)
            }
            let mine = tracked.filter { ingester.owns($0) }
            var pause = pollInterval
            if !mine.isEmpty {
                let symbol = mine[next % mine.count]
                next += 1
                counters.polls += 1
                do {
                    let quote = try await client.globalQuote(symbol: symbol)
                    let previous = lastSeen[symbol]
                    if previous.map({ $0.price != quote.price || $0.volume != quote.volume }) ?? true {
                        let size = previous.map { max(0, quote.volume - $0.volume) } ?? 0
                        lastSeen[symbol] = (quote.price, quote.volume)
                        await ingester.publish(
                            symbol,
                            [FeedTick(symbol: symbol, timeUs: TickIngester.nowUs(), price: quote.price, size: size)])
                    }
                } catch  where error.code == .dailyQuotaExhausted {
                    counters.failures += 1
                    pause = max(pause, error.retryAfter ?? .seconds(3600))
                } catch {
                    counters.failures += 1
                }
            }
            await ingester.closeBars(upTo: TickIngester.nowUs())
            do { try await Task.sleep(for: mine.isEmpty ? min(pause, leaseCheck) : pause) } catch { break }
        }
        await ingester.releaseAll()
        counters.ingested = ingester.counters
        return counters
    }
}
