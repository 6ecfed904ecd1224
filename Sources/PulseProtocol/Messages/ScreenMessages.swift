// Messages of pulse.v1.Quotes/Screen (Protocol/pulse/v1/quotes.proto).

extension PulseV1 {
    /// `pulse.v1.ScreenMetric`: what a screen ranks symbols by.
    public struct ScreenMetric: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// Read as `return`.
        public static let unspecified = ScreenMetric(rawValue: 0)
        public static let `return` = ScreenMetric(rawValue: 1)
        public static let volumeSpike = ScreenMetric(rawValue: 2)
        public static let volatility = ScreenMetric(rawValue: 3)
        public static let newHigh = ScreenMetric(rawValue: 4)
    }

    /// `pulse.v1.ScreenRequest`.
    public struct ScreenRequest: ProtoMessage {
        public var metric: ScreenMetric = .unspecified
        public var symbols: [String] = []
        public var timeframe: Timeframe? = nil
        public var window: UInt32 = 0
        public var endTimeMs: Int64 = 0
        public var limit: UInt32 = 0
        public var ascending: Bool = false
        public var minValue: Double? = nil
        public var maxValue: Double? = nil
        public var minPrice: Double = 0
        public var minAverageVolume: Double = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeEnum(field: 1, metric)
            writer.writeStrings(field: 2, symbols)
            writer.writeMessage(field: 3, timeframe)
            writer.writeUInt32(field: 4, window)
            writer.writeInt64(field: 5, endTimeMs)
            writer.writeUInt32(field: 6, limit)
            writer.writeBool(field: 7, ascending)
            if let minValue { writer.writeDoubleAlways(field: 8, minValue) }
            if let maxValue { writer.writeDoubleAlways(field: 9, maxValue) }
            writer.writeDouble(field: 10, minPrice)
            writer.writeDouble(field: 11, minAverageVolume)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: metric = try reader.readEnum(tag)
            case 2: try reader.appendString(tag, to: &symbols)
            case 3: try reader.mergeMessage(tag, into: &timeframe)
            case 4: window = try reader.readUInt32(tag)
            case 5: endTimeMs = try reader.readInt64(tag)
            case 6: limit = try reader.readUInt32(tag)
            case 7: ascending = try reader.readBool(tag)
            case 8: minValue = try reader.readDouble(tag)
            case 9: maxValue = try reader.readDouble(tag)
            case 10: minPrice = try reader.readDouble(tag)
            case 11: minAverageVolume = try reader.readDouble(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.ScreenRow`: one symbol's statistics over its last `window` + 1 bars.
    public struct ScreenRow: ProtoMessage {
        public var symbol: String = ""
        public var value: Double = 0
        public var timeMs: Int64 = 0
        public var close: Double = 0
        public var volume: Double = 0
        public var averageVolume: Double = 0
        public var windowReturn: Double = 0
        public var volatility: Double = 0
        public var priorHigh: Double = 0
        public var bars: UInt32 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeDouble(field: 2, value)
            writer.writeInt64(field: 3, timeMs)
            writer.writeDouble(field: 4, close)
            writer.writeDouble(field: 5, volume)
            writer.writeDouble(field: 6, averageVolume)
            writer.writeDouble(field: 7, windowReturn)
            writer.writeDouble(field: 8, volatility)
            writer.writeDouble(field: 9, priorHigh)
            writer.writeUInt32(field: 10, bars)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: value = try reader.readDouble(tag)
            case 3: timeMs = try reader.readInt64(tag)
            case 4: close = try reader.readDouble(tag)
            case 5: volume = try reader.readDouble(tag)
            case 6: averageVolume = try reader.readDouble(tag)
            case 7: windowReturn = try reader.readDouble(tag)
            case 8: volatility = try reader.readDouble(tag)
            case 9: priorHigh = try reader.readDouble(tag)
            case 10: bars = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.ScreenResponse`.
    public struct ScreenResponse: ProtoMessage {
        public var metric: ScreenMetric = .unspecified
        public var window: UInt32 = 0
        public var rows: [ScreenRow] = []

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeEnum(field: 1, metric)
            writer.writeUInt32(field: 2, window)
            writer.writeMessages(field: 3, rows)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: metric = try reader.readEnum(tag)
            case 2: window = try reader.readUInt32(tag)
            case 3: try reader.appendMessage(tag, to: &rows)
            default: try reader.skip(tag)
            }
        }
    }
}
