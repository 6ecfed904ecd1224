import Histogram
import PulseProtocol
import Synchronization

/// Latencies in microseconds, 1 µs to one hour at three significant digits.
typealias LatencyHistogram = Histogram<UInt64>

func makeLatencyHistogram() -> LatencyHistogram {
    LatencyHistogram(
        lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
}

/// What one event loop's calls measured. Each loop's workers record into their own instance, so the
/// lock is uncontended; the progress line and the final report merge the instances.
final class LoopStats: Sendable {
    struct State {
        /// From the intended send time (open loop) or the send time (closed loop).
        var latency = makeLatencyHistogram()
        /// From the actual send time; kept for open-loop runs only.
        var uncorrected = makeLatencyHistogram()
        var ok = 0
        var errors = [Int](repeating: 0, count: 17)
        var lastError: (GRPCStatus.Code, String)?
        var lastOKTime: UInt64 = 0
        /// When the latest measured call ended.
        var lastMeasuredTime: UInt64 = 0
        /// Streams: messages seen, sequence gaps (missing ticks), ticks replaced by conflation, ticks out of
        /// order or repeated, gaps the server announced, ticks older than their own timestamp allows.
        var messages = 0
        var missing = 0
        var conflated = 0
        var outOfOrder = 0
        var announcedMissing = 0
        var negativeLatency = 0
    }

    let state = Mutex(State())

    /// Records one finished call measured in microseconds.
    func record(_ outcome: CallOutcome, latency: UInt64, uncorrected: UInt64?, now: UInt64, measured: Bool) {
        state.withLock { state in
            switch outcome {
            case .ok:
                state.lastOKTime = now
                guard measured else { return }
                state.lastMeasuredTime = now
                state.ok += 1
                _ = state.latency.record(max(1, latency))
                if let uncorrected { _ = state.uncorrected.record(max(1, uncorrected)) }
            case .failed(let code, let message):
                state.lastError = (code, message)
                guard measured else { return }
                state.lastMeasuredTime = now
                state.errors[min(max(code.rawValue, 0), 16)] += 1
            }
        }
    }
}

/// The merged figures of every loop.
struct StatsSnapshot {
    var latency: LatencyHistogram
    var uncorrected: LatencyHistogram
    var ok = 0
    var errors = [Int](repeating: 0, count: 17)
    var lastError: (GRPCStatus.Code, String)?
    var lastOKTime: UInt64 = 0
    var lastMeasuredTime: UInt64 = 0
    var messages = 0
    var missing = 0
    var conflated = 0
    var outOfOrder = 0
    var announcedMissing = 0
    var negativeLatency = 0

    var errorCount: Int { errors.reduce(0, +) }
    var requests: Int { ok + errorCount }

    /// Merges `stats`; the histograms only when `histograms` (the progress line needs counts only,
    /// and p99 once a second).
    init(_ stats: [LoopStats], histograms: Bool = true) {
        if histograms {
            latency = makeLatencyHistogram()
            uncorrected = makeLatencyHistogram()
        } else {
            // Counts only (the monitor, 20 times a second): no full-size histograms to allocate.
            latency = LatencyHistogram(
                lowestDiscernibleValue: 1, highestTrackableValue: 2, numberOfSignificantValueDigits: .one)
            uncorrected = latency
        }
        for loop in stats {
            loop.state.withLock { state in
                if histograms {
                    latency.add(state.latency)
                    uncorrected.add(state.uncorrected)
                }
                ok += state.ok
                for index in errors.indices { errors[index] += state.errors[index] }
                if let error = state.lastError { lastError = error }
                lastOKTime = max(lastOKTime, state.lastOKTime)
                lastMeasuredTime = max(lastMeasuredTime, state.lastMeasuredTime)
                messages += state.messages
                missing += state.missing
                conflated += state.conflated
                outOfOrder += state.outOfOrder
                announcedMissing += state.announcedMissing
                negativeLatency += state.negativeLatency
            }
        }
    }

    /// Error counts by gRPC status name, most frequent first.
    var errorsByName: [(String, Int)] {
        errors.indices.compactMap { index in
            errors[index] > 0 ? ((GRPCStatus.Code(rawValue: index) ?? .unknown).name, errors[index]) : nil
        }
        .sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    }
}

extension LoopStats {
    /// Records one streamed tick: its latency (µs, from its own timestamp) and what its sequence number says.
    func recordTick(latency: Int64, missing: Int, conflated: Int, outOfOrder: Bool, now: UInt64, measured: Bool) {
        state.withLock { state in
            state.lastOKTime = now
            guard measured else { return }
            state.lastMeasuredTime = now
            state.messages += 1
            state.missing += missing
            state.conflated += conflated
            if outOfOrder { state.outOfOrder += 1 }
            if latency < 0 { state.negativeLatency += 1 }
            _ = state.latency.record(UInt64(max(1, latency)))
        }
    }

    /// Records a gap the server announced (ticks it no longer retains).
    func recordAnnouncedGap(_ count: Int, measured: Bool) {
        guard measured else { return }
        state.withLock { $0.announcedMissing += count }
    }

    /// Records how a stream ended: nil when it was still open when the run stopped (a success).
    func recordStreamEnd(_ outcome: CallOutcome?) {
        state.withLock { state in
            switch outcome {
            case nil, .ok: state.ok += 1
            case .failed(let code, let message):
                state.lastError = (code, message)
                state.errors[min(max(code.rawValue, 0), 16)] += 1
            }
        }
    }
}
