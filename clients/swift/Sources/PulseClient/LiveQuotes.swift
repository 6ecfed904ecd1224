import PulseProtocol
import PulseRPC
import Synchronization

/// A Quotes.Subscribe that survives disconnects: it reconnects with exponential backoff and full jitter,
/// resubscribes with each symbol's last sequence as `resume_from` (so the server replays what was missed), and
/// tells the caller about gaps and staleness instead of hiding them.
///
/// ```swift
/// for try await event in client.liveQuotes(["AAPL", "MSFT"]) {
///     switch event {
///     case .tick(let tick): print(tick.symbol, tick.sequence, tick.price)
///     case .gap(let gap): print("missed", gap.symbol, gap.firstMissing...gap.lastMissing)
///     case .stale(let symbol, let quietFor): print(symbol, "silent for", quietFor)
///     default: break
///     }
/// }
/// ```
///
/// Reading is backpressured: while the caller is busy nothing more is read, so the server conflates per symbol.
/// The sequence ends (throwing) only on an error retrying cannot fix (INVALID_ARGUMENT, UNIMPLEMENTED, …) or
/// when the reading task is cancelled.
public struct LiveQuotes: AsyncSequence, Sendable {
    /// What the caller sees.
    public enum Event: Sendable, Equatable {
        case tick(PulseV1.Tick)
        case bar(PulseV1.LiveBar)
        case heartbeat(PulseV1.Heartbeat)
        /// Sequences that will never arrive: the server said so, or (never expected) the client saw a jump.
        case gap(PulseV1.SequenceGap)
        /// No tick or heartbeat for `symbol` for `quietFor` (more than ``Options/staleAfter``).
        case stale(symbol: String, quietFor: Duration)
        /// The call failed; the next attempt starts after `delay`.
        case reconnecting(attempt: Int, delay: Duration, error: RPCError)
        /// A new call is open (its first event arrived), resuming each symbol from its last sequence.
        case resubscribed(resumeFrom: [String: UInt64])
    }

    /// Reconnection and staleness settings.
    public struct Options: Sendable {
        /// The first reconnect waits up to this (full jitter); each later one doubles it, up to `maxBackoff`.
        public var initialBackoff: Duration = .milliseconds(100)
        public var maxBackoff: Duration = .seconds(5)
        /// A symbol without a tick or heartbeat for this long is reported stale; when every symbol is, the
        /// connection is presumed dead and the call is restarted. Keep it above the server's heartbeat interval.
        public var staleAfter: Duration = .seconds(35)
        public var includeBars = false
        /// Where to start: per symbol, the last sequence already seen (absent: live).
        public var resumeFrom: [String: UInt64] = [:]
        /// Metadata sent with every call (each reconnect too), such as `authorization: Bearer <key>`.
        public var metadata: [(name: String, value: [UInt8])] = []

        public init() {}
    }

    let client: PulseClient
    let symbols: [String]
    let options: Options

    public func makeAsyncIterator() -> Iterator {
        Iterator(runner: LiveQuotesRunner(client: client, symbols: symbols, options: options))
    }

    /// Yields the events; each iterator runs its own call.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let runner: LiveQuotesRunner
        public mutating func next() async throws -> Event? { try await runner.next() }
    }
}

extension PulseClient {
    /// Live quotes for `symbols` that reconnect and resume by themselves; see ``LiveQuotes``.
    public func liveQuotes(_ symbols: [String], options: LiveQuotes.Options = LiveQuotes.Options()) -> LiveQuotes {
        LiveQuotes(client: self, symbols: symbols.map { $0.uppercased() }, options: options)
    }
}

/// The reconnecting call behind a ``LiveQuotes`` iterator: a producer task reads calls one after another into a
/// small bounded buffer (so a slow caller backpressures the server), a watchdog adds staleness reports.
final class LiveQuotesRunner: Sendable {
    private let buffer = EventBuffer<LiveQuotes.Event>(capacity: 64)
    private let producer: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let client: PulseClient
    private let symbols: [String]
    private let options: LiveQuotes.Options

    init(client: PulseClient, symbols: [String], options: LiveQuotes.Options) {
        self.client = client
        self.symbols = symbols
        self.options = options
    }

    deinit { producer.withLock { $0?.cancel() } }

    func next() async throws -> LiveQuotes.Event? {
        producer.withLock { task in
            guard task == nil else { return }
            task = Task { [client, symbols, options, buffer] in
                var state = LiveQuotesState(symbols: symbols, resumeFrom: options.resumeFrom)
                await Self.produce(client: client, options: options, buffer: buffer, state: &state)
            }
        }
        return try await withTaskCancellationHandler {
            try await buffer.next()
        } onCancel: {
            producer.withLock { $0?.cancel() }
        }
    }

    private static func produce(
        client: PulseClient, options: LiveQuotes.Options, buffer: EventBuffer<LiveQuotes.Event>,
        state: inout LiveQuotesState
    ) async {
        var attempt = 0
        while !Task.isCancelled {
            var request = PulseV1.SubscribeQuotesRequest(symbols: state.symbols, includeBars: options.includeBars)
            request.resumeFrom = state.lastSequence.sorted { $0.key < $1.key }.map {
                PulseV1.ResumePoint(symbol: $0.key, sequence: $0.value)
            }
            var announce = attempt > 0
            let resumeFrom = state.lastSequence
            let stream = client.serverStream(
                PulseMethods.Quotes.subscribe, request, options: CallOptions(metadata: options.metadata))
            state.touchAll()
            let watchdog = Self.watch(stream: stream, options: options, buffer: buffer, state: state.activity)
            var failure: RPCError
            do {
                for try await event in stream {
                    attempt = 0
                    if announce {
                        announce = false
                        await buffer.push(.resubscribed(resumeFrom: resumeFrom))
                    }
                    for translated in state.receive(event) { await buffer.push(translated) }
                }
                failure = RPCError(code: .unavailable, message: "the server ended the stream")
            } catch {
                failure = error
            }
            watchdog.cancel()
            if Task.isCancelled { break }
            guard Self.isRetryable(failure.code) else {
                buffer.finish(throwing: failure)
                return
            }
            attempt += 1
            let ceiling = min(options.initialBackoff * (1 << min(attempt - 1, 20)), options.maxBackoff)
            let delay = ceiling * Double.random(in: 0...1)
            await buffer.push(.reconnecting(attempt: attempt, delay: delay, error: failure))
            try? await Task.sleep(for: delay)
        }
        buffer.finish(throwing: nil)
    }

    /// Reports symbols that went quiet; when all did, cancels the call so the loop reconnects.
    private static func watch(
        stream: ResponseStream<PulseV1.QuoteEvent>, options: LiveQuotes.Options, buffer: EventBuffer<LiveQuotes.Event>,
        state activity: SymbolActivity
    ) -> Task<Void, Never> {
        Task {
            let check = max(options.staleAfter / 4, .milliseconds(10))
            while !Task.isCancelled {
                try? await Task.sleep(for: check)
                let (newlyStale, allStale) = activity.staleness(after: options.staleAfter)
                for (symbol, quiet) in newlyStale { buffer.pushNow(.stale(symbol: symbol, quietFor: quiet)) }
                if allStale {
                    stream.cancel()
                    return
                }
            }
        }
    }

    static func isRetryable(_ code: GRPCStatus.Code) -> Bool {
        [.unavailable, .cancelled, .deadlineExceeded, .unknown, .aborted].contains(code)
    }
}
