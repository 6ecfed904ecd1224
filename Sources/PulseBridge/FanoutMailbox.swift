import PulseProtocol
import Synchronization

/// One connection's frames waiting to be written: the fan-out offers, the connection's drain takes, each under the
/// mailbox's own lock. The drain never waits for the fan-out's actor — with a thousand sockets woken by one tick, a
/// turn of one actor per socket and frame was most of the delay to the last socket.
///
/// Bounded whatever the socket's speed: at most one undelivered tick per symbol (a newer tick absorbs it, its
/// `conflated` counting what it stands for) and `controlLimit` control frames (acknowledgements, errors, gaps,
/// heartbeats), past which `queue` refuses and the fan-out drops the connection.
final class FanoutMailbox: Sendable {
    enum Frame: Sendable {
        case bytes([UInt8])
        /// A tick with its JSON when the fan-out rendered it already (once for every socket that got it unchanged).
        case tick(PulseV1.Tick, rendered: [UInt8]?)
    }

    private struct State {
        var control: [[UInt8]] = []
        var pendingOrder: [String] = []
        var pending: [String: (tick: PulseV1.Tick, rendered: [UInt8]?)] = [:]
        var lastSequence: [String: UInt64] = [:]
        var waiter: CheckedContinuation<[Frame]?, Never>?
        /// When the drain last took frames: the heartbeat sweep's measure of quiet.
        var lastSent = ContinuousClock.now
        var closed = false

        var isEmpty: Bool { control.isEmpty && pendingOrder.isEmpty }

        /// Everything waiting, control frames first.
        mutating func takeAll() -> [Frame] {
            var frames = control.map(Frame.bytes)
            control.removeAll(keepingCapacity: true)
            for symbol in pendingOrder {
                if let entry = pending.removeValue(forKey: symbol) {
                    frames.append(.tick(entry.tick, rendered: entry.rendered))
                }
            }
            pendingOrder.removeAll(keepingCapacity: true)
            lastSent = .now
            return frames
        }

        /// The parked drain and what it is to be handed, when there is both.
        mutating func handOff() -> (CheckedContinuation<[Frame]?, Never>, [Frame])? {
            guard let waiter, !isEmpty else { return nil }
            self.waiter = nil
            return (waiter, takeAll())
        }
    }

    /// Ticks carry `ingest_time_us` (the socket asked for timing).
    let timing: Bool
    let controlLimit: Int
    private let state = Mutex(State())

    init(timing: Bool, controlLimit: Int) {
        self.timing = timing
        self.controlLimit = controlLimit
    }

    /// Queues `tick` unless it is not newer than what the connection has; an undelivered older tick of its symbol
    /// is absorbed into it (and the JSON rendered for the newer one no longer fits).
    func offer(_ tick: PulseV1.Tick, rendered: [UInt8]?) {
        let ready = state.withLock { state -> (CheckedContinuation<[Frame]?, Never>, [Frame])? in
            guard !state.closed else { return nil }
            if let last = state.lastSequence[tick.symbol], tick.sequence <= last { return nil }
            state.lastSequence[tick.symbol] = tick.sequence
            if let earlier = state.pending[tick.symbol] {
                state.pending[tick.symbol] = (tick.absorbing(earlier.tick), nil)
            } else {
                state.pending[tick.symbol] = (tick, rendered)
                state.pendingOrder.append(tick.symbol)
            }
            return state.handOff()
        }
        if let (waiter, frames) = ready { waiter.resume(returning: frames) }
    }

    /// Queues control frames in order; false when that would pass the limit (the socket is not reading).
    func queue(_ frames: [[UInt8]]) -> Bool {
        let outcome = state.withLock { state -> (Bool, (CheckedContinuation<[Frame]?, Never>, [Frame])?) in
            guard !state.closed else { return (false, nil) }
            guard state.control.count + frames.count <= controlLimit else { return (false, nil) }
            state.control += frames
            return (true, state.handOff())
        }
        if let (waiter, frames) = outcome.1 { waiter.resume(returning: frames) }
        return outcome.0
    }

    /// A heartbeat, when the drain is parked and has sent nothing for `interval`.
    func heartbeatIfQuiet(for interval: Duration, now: ContinuousClock.Instant, frame: () -> [UInt8]) {
        let ready = state.withLock { state -> (CheckedContinuation<[Frame]?, Never>, [Frame])? in
            guard !state.closed, state.waiter != nil, now - state.lastSent >= interval else { return nil }
            state.control.append(frame())
            return state.handOff()
        }
        if let (waiter, frames) = ready { waiter.resume(returning: frames) }
    }

    /// Ticks at or below `sequence` are not sent any more (a gap covered them, or a resume starts after them).
    func raiseLastSequence(_ symbol: String, to sequence: UInt64) {
        state.withLock { $0.lastSequence[symbol] = max($0.lastSequence[symbol] ?? 0, sequence) }
    }

    /// Drops the symbol's undelivered tick (the connection stopped following it).
    func drop(_ symbol: String) {
        state.withLock { state in
            state.pending[symbol] = nil
            state.pendingOrder.removeAll { $0 == symbol }
        }
    }

    /// Ends the drain: `next` answers nil from now on.
    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<[Frame]?, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The frames waiting, or once there are some; nil when the mailbox is closed.
    func next() async -> [Frame]? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [Frame]?? in
                if state.closed { return .some(nil) }
                if !state.isEmpty { return .some(state.takeAll()) }
                state.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
