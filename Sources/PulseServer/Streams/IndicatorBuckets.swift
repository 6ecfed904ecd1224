import PulseAnalytics
import PulseProtocol

/// Indicators.Subscribe at a timeframe longer than a minute (5m, 15m, 1h, 4h, …): the 1-minute updates of an
/// ``IndicatorStreamCall`` run without indicators — its forming, closed and revised minutes, its gaps — folded
/// into bars of the timeframe on GetBars' grid (`TimeBucket`), the indicators fed each of those bars as it closes
/// and the forming bar's values computed on copies of them.
///
/// A bar closes when its last minute on the grid closes, when a minute of a later bar arrives, or once its end
/// has passed by ``closeGraceMs`` (a quiet symbol). A revised minute (a late trade) revises its bar while it is
/// forming or among the last ``revisable`` closed, which go out again with the next `revision`. A bar this call
/// cannot have whole is never sent as closed: the one it joins midway (unless stored minutes start it), one
/// holding a minute the inner call left unclosed (it saw part of it), and around a gap the bar it interrupts and
/// the bar the stream resumes in (the lost ticks may lie in either).
struct IndicatorBuckets {
    let symbol: String
    let timeframe: PulseV1.Timeframe
    private let bucket: TimeBucket
    private var instances: [IndicatorInstance]
    private let columns: [String]
    private var columnsSent = false
    /// The bar being formed: its bucket, its closed minutes (ascending) and the minute still forming in it.
    private var formingKey: Int64?
    private var minutes: [PulseV1.Bar] = []
    private var formingMinute: PulseV1.Bar?
    private var lastSequence: UInt64 = 0
    private var lastClosedKey: Int64 = .min
    /// The latest bucket a gap may have fallen in: never closed, its minutes ignored.
    private var droppedKey: Int64 = .min
    private var afterGap = false
    /// Whether every minute since the current bar's start reached this call (stored minutes seeded it, or it
    /// has watched since a bar's start); the first bar it joins midway is incomplete.
    private var watching = false
    private var recent: [ClosedBucket] = []
    private struct ClosedBucket {
        var key: Int64
        var minutes: [PulseV1.Bar]
        var before: [IndicatorInstance]
        var revision: UInt32
    }
    static let revisable = 5
    /// How long after its end a bar with no later minute closes.
    static let closeGraceMs: Int64 = 2_000

    init(symbol: String, timeframe: Timeframe, wire: PulseV1.Timeframe, specs: [IndicatorSpec]) {
        self.symbol = symbol
        self.timeframe = wire
        bucket = TimeBucket(timeframe: timeframe)
        instances = specs.map { IndicatorRegistry.standard.instance($0) }
        columns = specs.flatMap(\.columnNames)
    }

    /// The bucket of a bar or minute time in milliseconds.
    func key(_ timeMs: Int64) -> Int64 { bucket.key(floorDiv(timeMs, 1000)) }

    /// The end of the bar `timeMs` falls in, in milliseconds.
    func endMs(of timeMs: Int64) -> Int64 { bucket.end(key(timeMs)) * 1000 }

    /// Feeds stored bars of the timeframe (closed ones) and returns the last `history` of them as closed updates.
    mutating func warmUp(_ stored: BarSeries, history: Int) -> [PulseV1.IndicatorUpdate] {
        var updates: [PulseV1.IndicatorUpdate] = []
        let first = max(0, stored.count - history)
        for k in 0..<stored.count {
            let bar = PulseV1.Bar(stored, at: k)
            let values = instances.feed(bar)
            lastClosedKey = max(lastClosedKey, key(bar.timeMs))
            if k >= first { updates.append(update(bar, closed: true, values: values, sequence: 0)) }
        }
        return updates
    }

    /// Stored minutes of the bucket still forming (closed by the ingester, so exact): the start of its bar.
    mutating func seed(minutes stored: BarSeries) {
        for k in 0..<stored.count {
            let minute = PulseV1.Bar(stored, at: k)
            let k = key(minute.timeMs)
            guard k > lastClosedKey, formingKey == nil || formingKey == k else { continue }
            formingKey = k
            minutes.append(minute)
            watching = true
        }
    }

    /// The updates one 1-minute update of the inner call makes at this timeframe.
    mutating func take(_ minute: PulseV1.IndicatorUpdate) -> [PulseV1.IndicatorUpdate] {
        if let gap = minute.gap {
            var update = PulseV1.IndicatorUpdate.gap(
                gap, symbol: symbol, timeframe: timeframe, sequence: minute.sequence)
            attachColumns(&update)
            if let formingKey { droppedKey = max(droppedKey, formingKey) }
            clearForming()
            afterGap = true
            lastSequence = minute.sequence
            return [update]
        }
        guard let bar = minute.bar else { return [] }
        let k = key(bar.timeMs)
        var updates: [PulseV1.IndicatorUpdate] = []
        if afterGap {
            afterGap = false
            droppedKey = max(droppedKey, k)
        }
        lastSequence = max(lastSequence, minute.sequence)
        if let open = formingMinute, open.timeMs < bar.timeMs {
            // The inner call left that minute without closing it (it saw only part of it): its bar is incomplete.
            droppedKey = max(droppedKey, key(open.timeMs))
            if formingKey == key(open.timeMs) { clearForming() }
        }
        if !watching {
            watching = true
            if bar.timeMs != bucket.start(k) * 1000 { droppedKey = max(droppedKey, k) }
        }
        if k <= droppedKey { return [] }
        if k <= lastClosedKey {
            if minute.barClosed { updates += revise(bucket: k, with: bar, sequence: minute.sequence) }
            return updates
        }
        if let formingKey {
            // A minute of a bar this call passed without forming it (its start was dropped): not whole.
            if k < formingKey { return updates }
            if k > formingKey { updates += closeForming() }
        }
        formingKey = k
        if minute.barClosed {
            // A closed minute, first or revised: it replaces what the bucket held for that minute.
            if let index = minutes.firstIndex(where: { $0.timeMs == bar.timeMs }) {
                minutes[index] = bar
            } else {
                minutes.append(bar)
                minutes.sort { $0.timeMs < $1.timeMs }
            }
            if formingMinute?.timeMs == bar.timeMs { formingMinute = nil }
            if bar.timeMs + 60_000 >= bucket.end(k) * 1000 {
                updates += closeForming()
                return updates
            }
        } else {
            formingMinute = bar
        }
        if let folded = formingBar() {
            var copies = instances
            let values = copies.feed(folded)
            updates.append(
                update(folded, closed: false, values: values, sequence: minute.sequence, conflated: minute.conflated))
        }
        return updates
    }

    /// Closes the forming bar if its end passed `closeGraceMs` ago (nothing later arrived to close it).
    mutating func closeDue(nowMs: Int64) -> [PulseV1.IndicatorUpdate] {
        guard let formingKey, nowMs >= bucket.end(formingKey) * 1000 + Self.closeGraceMs else { return [] }
        return closeForming()
    }

    private mutating func closeForming() -> [PulseV1.IndicatorUpdate] {
        defer { clearForming() }
        // Only closed minutes make a closed bar: a minute still forming at the end was never closed by the hub.
        guard let formingKey, let bar = Self.fold(minutes, at: bucket.start(formingKey) * 1000) else { return [] }
        lastClosedKey = formingKey
        recent.append(ClosedBucket(key: formingKey, minutes: minutes, before: instances, revision: 0))
        if recent.count > Self.revisable { recent.removeFirst(recent.count - Self.revisable) }
        let values = instances.feed(bar)
        return [update(bar, closed: true, values: values, sequence: lastSequence)]
    }

    private mutating func clearForming() {
        formingKey = nil
        minutes = []
        formingMinute = nil
    }

    /// A closed minute of a closed bucket: folds it in (if still revisable) and recomputes that bar and the
    /// ones after it from the state before it, each sent again with its next revision.
    private mutating func revise(bucket k: Int64, with minute: PulseV1.Bar, sequence: UInt64)
        -> [PulseV1.IndicatorUpdate]
    {
        guard let index = recent.firstIndex(where: { $0.key == k }) else { return [] }
        if let m = recent[index].minutes.firstIndex(where: { $0.timeMs == minute.timeMs }) {
            recent[index].minutes[m] = minute
        } else {
            recent[index].minutes.append(minute)
            recent[index].minutes.sort { $0.timeMs < $1.timeMs }
        }
        var updates: [PulseV1.IndicatorUpdate] = []
        instances = recent[index].before
        for j in index..<recent.count {
            recent[j].before = instances
            guard let bar = Self.fold(recent[j].minutes, at: bucket.start(recent[j].key) * 1000) else { continue }
            let values = instances.feed(bar)
            recent[j].revision += 1
            updates.append(
                update(bar, closed: true, values: values, sequence: sequence, revision: recent[j].revision))
        }
        return updates
    }

    /// The forming bar: its closed minutes and the minute still forming.
    private func formingBar() -> PulseV1.Bar? {
        guard let formingKey else { return nil }
        return Self.fold(minutes + (formingMinute.map { [$0] } ?? []), at: bucket.start(formingKey) * 1000)
    }

    /// Minutes (ascending) as one bar stamped `timeMs`: the first open, the extremes, the last close, the volume.
    static func fold(_ minutes: [PulseV1.Bar], at timeMs: Int64) -> PulseV1.Bar? {
        guard let first = minutes.first, let last = minutes.last else { return nil }
        var bar = PulseV1.Bar(
            timeMs: timeMs, open: first.open, high: first.high, low: first.low, close: last.close, volume: 0)
        for minute in minutes {
            bar.high = max(bar.high, minute.high)
            bar.low = min(bar.low, minute.low)
            bar.volume += minute.volume
        }
        return bar
    }

    private mutating func update(
        _ bar: PulseV1.Bar, closed: Bool, values: [Double], sequence: UInt64, conflated: UInt32 = 0,
        revision: UInt32 = 0
    ) -> PulseV1.IndicatorUpdate {
        var update = PulseV1.IndicatorUpdate.bar(
            bar, symbol: symbol, timeframe: timeframe, closed: closed, values: values, sequence: sequence,
            conflated: conflated, revision: revision)
        attachColumns(&update)
        return update
    }

    private mutating func attachColumns(_ update: inout PulseV1.IndicatorUpdate) {
        guard !columnsSent else { return }
        update.columns = columns
        columnsSent = true
    }

}
