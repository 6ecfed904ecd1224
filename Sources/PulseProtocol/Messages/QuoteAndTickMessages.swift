// Quote and Tick of pulse.v1 (Protocol/pulse/v1/market_data.proto).

extension PulseV1 {
    /// `pulse.v1.Quote`: the latest quote of a symbol.
    public struct Quote: ProtoMessage {
        public var symbol: String = ""
        public var timeMs: Int64 = 0
        /// The last trade price.
        public var price: Double = 0
        public var bid: Double = 0
        public var ask: Double = 0
        public var bidSize: Double = 0
        public var askSize: Double = 0
        public var open: Double = 0
        public var high: Double = 0
        public var low: Double = 0
        public var volume: Double = 0
        public var previousClose: Double = 0
        public var change: Double = 0
        public var changePercent: Double = 0
        /// The sequence number of the tick that set this quote.
        public var sequence: UInt64 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeInt64(field: 2, timeMs)
            writer.writeDouble(field: 3, price)
            writer.writeDouble(field: 4, bid)
            writer.writeDouble(field: 5, ask)
            writer.writeDouble(field: 6, bidSize)
            writer.writeDouble(field: 7, askSize)
            writer.writeDouble(field: 8, open)
            writer.writeDouble(field: 9, high)
            writer.writeDouble(field: 10, low)
            writer.writeDouble(field: 11, volume)
            writer.writeDouble(field: 12, previousClose)
            writer.writeDouble(field: 13, change)
            writer.writeDouble(field: 14, changePercent)
            writer.writeUInt64(field: 15, sequence)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: timeMs = try reader.readInt64(tag)
            case 3: price = try reader.readDouble(tag)
            case 4: bid = try reader.readDouble(tag)
            case 5: ask = try reader.readDouble(tag)
            case 6: bidSize = try reader.readDouble(tag)
            case 7: askSize = try reader.readDouble(tag)
            case 8: open = try reader.readDouble(tag)
            case 9: high = try reader.readDouble(tag)
            case 10: low = try reader.readDouble(tag)
            case 11: volume = try reader.readDouble(tag)
            case 12: previousClose = try reader.readDouble(tag)
            case 13: change = try reader.readDouble(tag)
            case 14: changePercent = try reader.readDouble(tag)
            case 15: sequence = try reader.readUInt64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.Tick`: one tick of a live stream, with its per-symbol sequence number.
    public struct Tick: ProtoMessage {
        public var symbol: String = ""
        /// Strictly increasing per symbol, assigned once by the symbol's ingester.
        public var sequence: UInt64 = 0
        public var timeMs: Int64 = 0
        public var price: Double = 0
        public var size: Double = 0
        public var bid: Double = 0
        public var ask: Double = 0
        /// How many earlier ticks this one replaces for a slow subscriber (0: none). With `last` the previous
        /// sequence delivered, `sequence == last + 1 + conflated` means nothing was lost.
        public var conflated: UInt32 = 0
        /// When the ingester accepted the tick, in microseconds since the Unix epoch (0: unknown): a client's
        /// receive time minus this is the latency end to end.
        public var ingestTimeUs: Int64 = 0
        /// The summed size of the `conflated` ticks this one replaces (0 when none), without this tick's own.
        public var conflatedSize: Double = 0
        /// The highest price among the replaced ticks (0 when none).
        public var conflatedHigh: Double = 0
        /// The lowest price among the replaced ticks (0 when none).
        public var conflatedLow: Double = 0

        public init() {}
        public init(symbol: String, sequence: UInt64, timeMs: Int64, price: Double, size: Double = 0) {
            self.symbol = symbol
            self.sequence = sequence
            self.timeMs = timeMs
            self.price = price
            self.size = size
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeUInt64(field: 2, sequence)
            writer.writeInt64(field: 3, timeMs)
            writer.writeDouble(field: 4, price)
            writer.writeDouble(field: 5, size)
            writer.writeDouble(field: 6, bid)
            writer.writeDouble(field: 7, ask)
            writer.writeUInt32(field: 8, conflated)
            writer.writeInt64(field: 9, ingestTimeUs)
            writer.writeDouble(field: 10, conflatedSize)
            writer.writeDouble(field: 11, conflatedHigh)
            writer.writeDouble(field: 12, conflatedLow)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: sequence = try reader.readUInt64(tag)
            case 3: timeMs = try reader.readInt64(tag)
            case 4: price = try reader.readDouble(tag)
            case 5: size = try reader.readDouble(tag)
            case 6: bid = try reader.readDouble(tag)
            case 7: ask = try reader.readDouble(tag)
            case 8: conflated = try reader.readUInt32(tag)
            case 9: ingestTimeUs = try reader.readInt64(tag)
            case 10: conflatedSize = try reader.readDouble(tag)
            case 11: conflatedHigh = try reader.readDouble(tag)
            case 12: conflatedLow = try reader.readDouble(tag)
            default: try reader.skip(tag)
            }
        }
    }
}
