import Logging
import PulseIO
import PulseMarketData
import PulseProtocol
import PulseStore
import ServiceLifecycle

/// Feeds this instance's hub with the ticks of symbols that other instances ingest, so every instance serves
/// every symbol: while a symbol has subscribers here and this instance's own ingester is not publishing it,
/// one `XREAD BLOCK` loop (a Redis connection of its own, for all such symbols at once) follows its tick
/// stream and publishes what it reads. A symbol's follower starts when its first subscriber arrives and stops
/// when the last leaves. When Redis goes away it retries with backoff and continues after the last sequence
/// it published, so a trimmed stretch reaches subscribers as a gap (their calls fill and report it).
struct TickFollower: Sendable {
    let hub: TickHub
    let log: TickLog
    let settings: StreamSettings
    let logger: Logger
    /// How long without a local publish before a symbol counts as someone else's.
    var localQuiet: Int64 = 3_000_000

    /// Runs until cancelled.
    func run() async {
        var following: [String: UInt64] = [:]
        var backoff = Duration.milliseconds(100)
        var failing = false
        while !Task.isCancelled {
            let nowUs = WallClock.nowUs()
            let wanted = hub.subscribedSymbols.filter { !hub.isFedLocally($0, sinceUs: nowUs - localQuiet) }
            for symbol in following.keys where !wanted.contains(symbol) { following[symbol] = nil }
            do {
                for symbol in wanted.sorted() where following[symbol] == nil {
                    following[symbol] = try await startingPoint(symbol, nowUs: nowUs)
                }
                if following.isEmpty {
                    try? await Task.sleep(for: settings.followBlock)
                    continue
                }
                let read = try await log.follow(following, block: settings.followBlock)
                for (symbol, entries) in read where following[symbol] != nil {
                    for entry in entries {
                        hub.publish(PulseV1.Tick(entry, symbol: symbol), origin: .follower)
                        // As the feed does: subscribers take each tick before the next (back to back they conflate).
                        await Task.yield()
                    }
                    if let last = entries.last { following[symbol] = last.sequence }
                }
                if failing {
                    logger.info("tick-log follower reconnected", metadata: ["symbols": "\(following.count)"])
                    failing = false
                }
                backoff = .milliseconds(100)
            } catch {
                if !failing { logger.warning("tick-log follower: \(error); retrying") }
                failing = true
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    /// Where to follow a symbol from: right after what the hub published, when that is recent (a hand-over
    /// from this instance's ingester, or a short break), else the log's current top (a fresh start: new
    /// subscribers start live, resuming ones fill from the log themselves).
    private func startingPoint(_ symbol: String, nowUs: Int64) async throws(RedisError) -> UInt64 {
        let top = try await log.lastSequence(symbol)
        let published = hub.lastSequence(symbol)
        if published > 0, published <= top, hub.isFedLocally(symbol, sinceUs: nowUs - 2 * localQuiet) {
            return published
        }
        hub.restartBars(symbol)
        return top
    }
}

/// Live-stream upkeep as a part of `pulse serve`: the follower (with Redis) and the clock that closes each
/// minute's bar when its symbol goes quiet.
struct LiveStreamsPart: Service {
    let hub: TickHub
    let follower: TickFollower?

    func run() async throws {
        let hub = self.hub
        let follower = self.follower
        let work = Task {
            await withTaskGroup(of: Void.self) { group in
                if let follower { group.addTask { await follower.run() } }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(500))
                        hub.closeBars(upTo: WallClock.nowMs())
                    }
                }
            }
        }
        try? await gracefulShutdown()
        work.cancel()
        await work.value
    }
}
