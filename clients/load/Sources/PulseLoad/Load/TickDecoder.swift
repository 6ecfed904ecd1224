/// Reads what the subscriber needs from each `pulse.v1.QuoteEvent`: a tick's symbol, sequence, conflation
/// count and timestamp, or an announced gap. Field numbers come from the schema, so the harness follows
/// the `.proto` files.
struct TickDecoder: Sendable {
    /// The Tick field latency is measured from, with its units per second: the first one the schema
    /// defines wins. `ingest_time_us` (the ingest time, end to end) is preferred once the protocol has
    /// it; until then `time_ms` (the tick's exchange/feed time, millisecond resolution) is used.
    static let timeFieldPreference: [(name: String, unitsPerSecond: Int64)] = [
        ("ingest_time_us", 1_000_000), ("time_ms", 1_000),
    ]

    enum Event {
        case tick(symbol: ArraySlice<UInt8>, sequence: UInt64, conflated: UInt64, timeMicros: Int64)
        case gap(symbol: ArraySlice<UInt8>, first: UInt64, last: UInt64)
        case other
    }

    let tickField: Int
    let gapField: Int
    let symbol: Int
    let sequence: Int
    let conflated: Int
    let time: Int
    let timeField: String
    let microsPerUnit: Int64
    let gapSymbol: Int
    let gapFirst: Int
    let gapLast: Int

    init(schema: ProtoSchema) throws(SchemaError) {
        let event = try schema.message("pulse.v1.QuoteEvent")
        let tick = try schema.message("pulse.v1.Tick")
        let gap = try schema.message("pulse.v1.SequenceGap")
        func number(_ message: MessageDescriptor, _ name: String) throws(SchemaError) -> Int {
            guard let field = message.field(named: name) else {
                throw SchemaError("\(message.fullName) has no field \(name)")
            }
            return field.number
        }
        tickField = try number(event, "tick")
        gapField = try number(event, "gap")
        symbol = try number(tick, "symbol")
        sequence = try number(tick, "sequence")
        conflated = try number(tick, "conflated")
        guard let choice = Self.timeFieldPreference.first(where: { tick.field(named: $0.name) != nil }) else {
            throw SchemaError("pulse.v1.Tick has none of the time fields \(Self.timeFieldPreference.map(\.name))")
        }
        time = try number(tick, choice.name)
        timeField = choice.name
        microsPerUnit = 1_000_000 / choice.unitsPerSecond
        gapSymbol = try number(gap, "symbol")
        gapFirst = try number(gap, "first_missing")
        gapLast = try number(gap, "last_missing")
    }

    func decode(_ body: [UInt8]) throws(SchemaError) -> Event {
        var fields = WireFields(body[...])
        var result = Event.other
        while let (number, value) = try fields.next() {
            guard case .bytes(let inner) = value else { continue }
            if number == tickField { result = try decodeTick(inner) }
            if number == gapField { result = try decodeGap(inner) }
        }
        return result
    }

    private func decodeTick(_ bytes: ArraySlice<UInt8>) throws(SchemaError) -> Event {
        var fields = WireFields(bytes)
        var symbolBytes: ArraySlice<UInt8> = []
        var sequenceValue: UInt64 = 0
        var conflatedValue: UInt64 = 0
        var timeValue: Int64 = 0
        while let (number, value) = try fields.next() {
            switch (number, value) {
            case (symbol, .bytes(let text)): symbolBytes = text
            case (sequence, .varint(let raw)): sequenceValue = raw
            case (conflated, .varint(let raw)): conflatedValue = raw
            case (time, .varint(let raw)): timeValue = Int64(bitPattern: raw)
            default: break
            }
        }
        return .tick(
            symbol: symbolBytes, sequence: sequenceValue, conflated: conflatedValue,
            timeMicros: timeValue &* microsPerUnit)
    }

    private func decodeGap(_ bytes: ArraySlice<UInt8>) throws(SchemaError) -> Event {
        var fields = WireFields(bytes)
        var symbolBytes: ArraySlice<UInt8> = []
        var first: UInt64 = 0
        var last: UInt64 = 0
        while let (number, value) = try fields.next() {
            if number == gapSymbol, case .bytes(let text) = value { symbolBytes = text }
            if number == gapFirst, case .varint(let raw) = value { first = raw }
            if number == gapLast, case .varint(let raw) = value { last = raw }
        }
        return .gap(symbol: symbolBytes, first: first, last: last)
    }
}
