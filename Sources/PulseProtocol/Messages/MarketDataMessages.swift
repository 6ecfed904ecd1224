// Shared market-data messages of pulse.v1 (Protocol/pulse/v1/market_data.proto).

extension PulseV1 {
    /// `pulse.v1.Timeframe`: a bar period, `multiple` × `unit` (text form `5m`, `1h`, `1d`, `1mo`).
    public struct Timeframe: ProtoMessage, CustomStringConvertible {
        /// `Timeframe.Unit`.
        public struct Unit: ProtoEnum {
            public var rawValue: Int32
            public init(rawValue: Int32) { self.rawValue = rawValue }
            public static let unspecified = Unit(rawValue: 0)
            public static let second = Unit(rawValue: 1)
            public static let minute = Unit(rawValue: 2)
            public static let hour = Unit(rawValue: 3)
            public static let day = Unit(rawValue: 4)
            public static let week = Unit(rawValue: 5)
            public static let month = Unit(rawValue: 6)
        }

        public var unit: Unit = .unspecified
        /// How many units make one bar; 0 is read as 1.
        public var multiple: UInt32 = 0

        public init() {}
        public init(_ multiple: UInt32, _ unit: Unit) {
            self.multiple = multiple
            self.unit = unit
        }

        public static let oneMinute = Timeframe(1, .minute)
        public static let oneDay = Timeframe(1, .day)

        private static let symbols: [(Unit, String)] = [
            (.second, "s"), (.minute, "m"), (.hour, "h"), (.day, "d"), (.week, "w"), (.month, "mo"),
        ]

        /// Parses the text form (`5m`, `1h`, `1d`, `2w`, `1mo`); nil when it is not one.
        public init?(text: some StringProtocol) {
            let digits = text.prefix { $0.isASCII && $0.isNumber }
            guard let multiple = UInt32(digits), multiple > 0,
                let unit = Self.symbols.first(where: { $0.1 == text.dropFirst(digits.count) })?.0
            else { return nil }
            self.init(multiple, unit)
        }

        /// The text form, e.g. `5m`.
        public var description: String {
            let symbol = Self.symbols.first { $0.0 == unit }?.1 ?? "?"
            return "\(max(multiple, 1))\(symbol)"
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeEnum(field: 1, unit)
            writer.writeUInt32(field: 2, multiple)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: unit = try reader.readEnum(tag)
            case 2: multiple = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.Bar`: one OHLCV bar; `timeMs` is its opening time.
    public struct Bar: ProtoMessage {
        public var timeMs: Int64 = 0
        public var open: Double = 0
        public var high: Double = 0
        public var low: Double = 0
        public var close: Double = 0
        public var volume: Double = 0

        public init() {}
        public init(timeMs: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
            self.timeMs = timeMs
            self.open = open
            self.high = high
            self.low = low
            self.close = close
            self.volume = volume
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeInt64(field: 1, timeMs)
            writer.writeDouble(field: 2, open)
            writer.writeDouble(field: 3, high)
            writer.writeDouble(field: 4, low)
            writer.writeDouble(field: 5, close)
            writer.writeDouble(field: 6, volume)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: timeMs = try reader.readInt64(tag)
            case 2: open = try reader.readDouble(tag)
            case 3: high = try reader.readDouble(tag)
            case 4: low = try reader.readDouble(tag)
            case 5: close = try reader.readDouble(tag)
            case 6: volume = try reader.readDouble(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.BarSeries`: bars by column, each numeric column one packed block.
    public struct BarSeries: ProtoMessage {
        public var symbol: String = ""
        public var timeframe: Timeframe? = nil
        public var timeMs: [Int64] = []
        public var open: [Double] = []
        public var high: [Double] = []
        public var low: [Double] = []
        public var close: [Double] = []
        public var volume: [Double] = []
        /// GetBars only: set when more bars of the request follow (send it as `GetBarsRequest.pageToken`).
        public var nextPageToken: String = ""

        public init() {}

        /// The number of bars (the length of the time column).
        public var count: Int { timeMs.count }

        /// Whether every column has the same length.
        public var isRectangular: Bool {
            [open.count, high.count, low.count, close.count, volume.count].allSatisfy { $0 == timeMs.count }
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeMessage(field: 2, timeframe)
            writer.writePackedInt64s(field: 3, timeMs)
            writer.writePackedDoubles(field: 4, open)
            writer.writePackedDoubles(field: 5, high)
            writer.writePackedDoubles(field: 6, low)
            writer.writePackedDoubles(field: 7, close)
            writer.writePackedDoubles(field: 8, volume)
            writer.writeString(field: 9, nextPageToken)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: try reader.mergeMessage(tag, into: &timeframe)
            case 3: try reader.appendInt64s(tag, to: &timeMs)
            case 4: try reader.appendDoubles(tag, to: &open)
            case 5: try reader.appendDoubles(tag, to: &high)
            case 6: try reader.appendDoubles(tag, to: &low)
            case 7: try reader.appendDoubles(tag, to: &close)
            case 8: try reader.appendDoubles(tag, to: &volume)
            case 9: nextPageToken = try reader.readString(tag)
            default: try reader.skip(tag)
            }
        }
    }
}
