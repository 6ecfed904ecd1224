import PulseProtocol
import Synchronization

/// Where a ``LiveQuotes`` stands: each symbol's last sequence (the next call's `resume_from`) and a check that
/// every sequence is accounted for — a jump the server did not report is turned into a gap for the caller.
struct LiveQuotesState {
    let symbols: [String]
    private(set) var lastSequence: [String: UInt64]
    /// Per symbol, the highest revision passed on for each recent minute: after a resume the server may send
    /// again, identical, the one bar the clock closed just as the client left (Protocol/README.md).
    private var barRevisions: [String: [Int64: UInt32]] = [:]
    let activity = SymbolActivity()

    init(symbols: [String], resumeFrom: [String: UInt64]) {
        self.symbols = symbols
        self.lastSequence = resumeFrom.filter { symbols.contains($0.key) }
    }

    func touchAll() { activity.touch(symbols) }

    /// The caller's events for one event of the stream (usually one; a gap first for an unreported jump).
    mutating func receive(_ event: PulseV1.QuoteEvent) -> [LiveQuotes.Event] {
        switch event.event {
        case .tick(let tick):
            activity.touch([tick.symbol])
            var events: [LiveQuotes.Event] = []
            if let last = lastSequence[tick.symbol] {
                if tick.sequence <= last { return [] }  // never expected: a duplicate is dropped, not passed on
                let firstCovered = tick.sequence - min(UInt64(tick.conflated), tick.sequence)
                if firstCovered > last + 1 {
                    events.append(
                        .gap(
                            PulseV1.SequenceGap(
                                symbol: tick.symbol, firstMissing: last + 1, lastMissing: firstCovered - 1)))
                }
            }
            lastSequence[tick.symbol] = tick.sequence
            events.append(.tick(tick))
            return events
        case .gap(let gap):
            activity.touch([gap.symbol])
            lastSequence[gap.symbol] = max(lastSequence[gap.symbol] ?? 0, gap.lastMissing)
            return [.gap(gap)]
        case .heartbeat(let heartbeat):
            activity.touch([heartbeat.symbol])
            return [.heartbeat(heartbeat)]
        case .bar(let bar):
            let minute = bar.bar.timeMs
            if let seen = barRevisions[bar.symbol]?[minute], bar.revision <= seen { return [] }
            var revisions = barRevisions[bar.symbol] ?? [:]
            revisions[minute] = bar.revision
            // Late ticks revise only the last few minutes: older entries can go.
            if revisions.count > 16, let oldest = revisions.keys.min() { revisions[oldest] = nil }
            barRevisions[bar.symbol] = revisions
            return [.bar(bar)]
        case nil:
            return []
        }
    }
}

/// When each symbol last showed life, and which ones were already reported stale.
final class SymbolActivity: Sendable {
    private struct State {
        var last: [String: ContinuousClock.Instant] = [:]
        var reported: Set<String> = []
    }
    private let state = Mutex(State())

    func touch(_ symbols: [String]) {
        let now = ContinuousClock.now
        state.withLock { state in
            for symbol in symbols {
                state.last[symbol] = now
                state.reported.remove(symbol)
            }
        }
    }

    /// Symbols quiet for longer than `limit` not reported before, and whether every symbol is quiet.
    func staleness(after limit: Duration) -> (newly: [(String, Duration)], all: Bool) {
        let now = ContinuousClock.now
        return state.withLock { state in
            var newly: [(String, Duration)] = []
            var quiet = 0
            for (symbol, last) in state.last.sorted(by: { $0.key < $1.key }) where now - last > limit {
                quiet += 1
                if state.reported.insert(symbol).inserted { newly.append((symbol, now - last)) }
            }
            return (newly, quiet == state.last.count && quiet > 0)
        }
    }
}

/// A small bounded queue between a producer task and one reader: `push` waits while it is full, so a slow
/// reader slows the producer (and through HTTP/2 flow control, the server) instead of growing memory.
final class EventBuffer<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var reader: CheckedContinuation<Result<Element?, any Error>, Never>?
        var writers: [CheckedContinuation<Void, Never>] = []
        var finished: (any Error)?? = nil
    }
    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Appends, waiting while the buffer is full.
    func push(_ element: Element) async {
        while true {
            let full = state.withLock { $0.items.count - $0.head >= capacity && $0.reader == nil && $0.finished == nil }
            if !full { break }
            await withCheckedContinuation { continuation in
                let wait = state.withLock { state -> Bool in
                    guard state.items.count - state.head >= capacity, state.finished == nil else { return false }
                    state.writers.append(continuation)
                    return true
                }
                if !wait { continuation.resume() }
            }
        }
        pushNow(element)
    }

    /// Appends without waiting (small out-of-band reports).
    func pushNow(_ element: Element) {
        let reader = state.withLock { state -> CheckedContinuation<Result<Element?, any Error>, Never>? in
            guard state.finished == nil else { return nil }
            if let reader = state.reader {
                state.reader = nil
                return reader
            }
            state.items.append(element)
            return nil
        }
        reader?.resume(returning: .success(element))
    }

    /// Ends the buffer: the reader gets what is queued, then nil (or `error`).
    func finish(throwing error: (any Error)?) {
        let (reader, writers) = state.withLock { state in
            state.finished = .some(error)
            defer {
                state.reader = nil
                state.writers = []
            }
            return (state.items.count == state.head ? state.reader : nil, state.writers)
        }
        for writer in writers { writer.resume() }
        if let error { reader?.resume(returning: .failure(error)) } else { reader?.resume(returning: .success(nil)) }
    }

    func next() async throws -> Element? {
        let result = await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<Element?, any Error>? in
                if state.head < state.items.count {
                    let item = state.items[state.head]
                    state.head += 1
                    if state.head == state.items.count {
                        state.items.removeAll(keepingCapacity: true)
                        state.head = 0
                    }
                    return .success(item)
                }
                if let finished = state.finished {
                    if let error = finished { return .failure(error) }
                    return .success(nil)
                }
                state.reader = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
            wakeWriter()
        }
        return try result.get()
    }

    private func wakeWriter() {
        let writer = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.writers.isEmpty, state.items.count - state.head < capacity else { return nil }
            return state.writers.removeFirst()
        }
        writer?.resume()
    }
}
