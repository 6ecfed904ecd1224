// Messages of pulse.v1.Quotes' read side added after v1's first methods (Protocol/pulse/v1/quotes.proto): price
// adjustment, multi-symbol quotes, the market clock and calendar.

extension PulseV1 {
    /// `pulse.v1.Adjustment`: how GetBars adjusts prices for splits and dividends.
    public struct Adjustment: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// Raw prices.
        public static let unspecified = Adjustment(rawValue: 0)
        public static let raw = Adjustment(rawValue: 1)
        public static let split = Adjustment(rawValue: 2)
        public static let dividend = Adjustment(rawValue: 3)
        /// Splits and dividends.
        public static let all = Adjustment(rawValue: 4)
    }

    /// `pulse.v1.GetQuotesRequest`.
    public struct GetQuotesRequest: ProtoMessage {
        public var symbols: [String] = []

        public init() {}
        public init(symbols: [String]) { self.symbols = symbols }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeStrings(field: 1, symbols)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendString(tag, to: &symbols)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.GetQuotesResponse`: a quote per known symbol, and the unknown ones.
    public struct GetQuotesResponse: ProtoMessage {
        public var quotes: [Quote] = []
        public var notFound: [String] = []

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeMessages(field: 1, quotes)
            writer.writeStrings(field: 2, notFound)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendMessage(tag, to: &quotes)
            case 2: try reader.appendString(tag, to: &notFound)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.GetClockRequest` (no fields).
    public struct GetClockRequest: ProtoMessage {
        public init() {}

        public func encode(to writer: inout ProtobufWriter) {}

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            try reader.skip(tag)
        }
    }

    /// `pulse.v1.MarketClock`: the NYSE clock at `timeMs`.
    public struct MarketClock: ProtoMessage {
        public var timeMs: Int64 = 0
        /// Regular hours.
        public var isOpen = false
        public var nextOpenTimeMs: Int64 = 0
        public var nextCloseTimeMs: Int64 = 0
        /// Pre-market or after-hours trading, outside regular hours.
        public var isExtendedHours = false

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeInt64(field: 1, timeMs)
            writer.writeBool(field: 2, isOpen)
            writer.writeInt64(field: 3, nextOpenTimeMs)
            writer.writeInt64(field: 4, nextCloseTimeMs)
            writer.writeBool(field: 5, isExtendedHours)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: timeMs = try reader.readInt64(tag)
            case 2: isOpen = try reader.readBool(tag)
            case 3: nextOpenTimeMs = try reader.readInt64(tag)
            case 4: nextCloseTimeMs = try reader.readInt64(tag)
            case 5: isExtendedHours = try reader.readBool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.GetSessionsRequest`: sessions whose regular open is in `[startTimeMs, endTimeMs)`.
    public struct GetSessionsRequest: ProtoMessage {
        public var startTimeMs: Int64 = 0
        /// 0: 31 days after the start.
        public var endTimeMs: Int64 = 0

        public init() {}
        public init(startTimeMs: Int64, endTimeMs: Int64) {
            self.startTimeMs = startTimeMs
            self.endTimeMs = endTimeMs
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeInt64(field: 1, startTimeMs)
            writer.writeInt64(field: 2, endTimeMs)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: startTimeMs = try reader.readInt64(tag)
            case 2: endTimeMs = try reader.readInt64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.MarketSession`: one NYSE trading day.
    public struct MarketSession: ProtoMessage {
        /// US/Eastern date, `YYYY-MM-DD`.
        public var date: String = ""
        public var openTimeMs: Int64 = 0
        public var closeTimeMs: Int64 = 0
        public var preMarketOpenTimeMs: Int64 = 0
        public var afterHoursCloseTimeMs: Int64 = 0
        /// A half day.
        public var earlyClose = false

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, date)
            writer.writeInt64(field: 2, openTimeMs)
            writer.writeInt64(field: 3, closeTimeMs)
            writer.writeInt64(field: 4, preMarketOpenTimeMs)
            writer.writeInt64(field: 5, afterHoursCloseTimeMs)
            writer.writeBool(field: 6, earlyClose)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: date = try reader.readString(tag)
            case 2: openTimeMs = try reader.readInt64(tag)
            case 3: closeTimeMs = try reader.readInt64(tag)
            case 4: preMarketOpenTimeMs = try reader.readInt64(tag)
            case 5: afterHoursCloseTimeMs = try reader.readInt64(tag)
            case 6: earlyClose = try reader.readBool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.GetSessionsResponse`.
    public struct GetSessionsResponse: ProtoMessage {
        public var sessions: [MarketSession] = []

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeMessages(field: 1, sessions)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendMessage(tag, to: &sessions)
            default: try reader.skip(tag)
            }
        }
    }
}
