// Messages of pulse.v1.Quotes (Protocol/pulse/v1/quotes.proto).

extension PulseV1 {
    /// `pulse.v1.DataSource`: where LoadSymbol takes bars from.
    public struct DataSource: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// The server's default: Alpha Vantage when it has a key, else the simulated feed.
        public static let unspecified = DataSource(rawValue: 0)
        public static let alphaVantage = DataSource(rawValue: 1)
        public static let simulated = DataSource(rawValue: 2)
        /// Bars given in `LoadSymbolRequest.csv`.
        public static let csv = DataSource(rawValue: 3)
    }

    /// `pulse.v1.GetQuoteRequest`.
    public struct GetQuoteRequest: ProtoMessage {
        public var symbol: String = ""

        public init() {}
        public init(symbol: String) { self.symbol = symbol }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.ListSymbolsRequest`.
    public struct ListSymbolsRequest: ProtoMessage {
        /// Only symbols starting with this (empty: all).
        public var prefix: String = ""
        /// At most this many (0: no limit).
        public var limit: UInt32 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, prefix)
            writer.writeUInt32(field: 2, limit)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: prefix = try reader.readString(tag)
            case 2: limit = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.SymbolInfo`: one symbol the server holds data for.
    public struct SymbolInfo: ProtoMessage {
        public var symbol: String = ""
        public var name: String = ""
        public var exchange: String = ""
        public var currency: String = ""
        public var source: DataSource = .unspecified
        public var firstTimeMs: Int64 = 0
        public var lastTimeMs: Int64 = 0
        public var barCount: UInt64 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeString(field: 2, name)
            writer.writeString(field: 3, exchange)
            writer.writeString(field: 4, currency)
            writer.writeEnum(field: 5, source)
            writer.writeInt64(field: 6, firstTimeMs)
            writer.writeInt64(field: 7, lastTimeMs)
            writer.writeUInt64(field: 8, barCount)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: name = try reader.readString(tag)
            case 3: exchange = try reader.readString(tag)
            case 4: currency = try reader.readString(tag)
            case 5: source = try reader.readEnum(tag)
            case 6: firstTimeMs = try reader.readInt64(tag)
            case 7: lastTimeMs = try reader.readInt64(tag)
            case 8: barCount = try reader.readUInt64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.ListSymbolsResponse`.
    public struct ListSymbolsResponse: ProtoMessage {
        /// Sorted by symbol.
        public var symbols: [SymbolInfo] = []

        public init() {}
        public init(symbols: [SymbolInfo]) { self.symbols = symbols }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeMessages(field: 1, symbols)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendMessage(tag, to: &symbols)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.GetBarsRequest`: bars of a symbol in `[startTimeMs, endTimeMs)` at `timeframe`.
    public struct GetBarsRequest: ProtoMessage {
        public var symbol: String = ""
        /// Unset: daily.
        public var timeframe: Timeframe? = nil
        /// Inclusive; 0: from the first bar.
        public var startTimeMs: Int64 = 0
        /// Exclusive; 0: up to the last bar.
        public var endTimeMs: Int64 = 0
        /// When non-zero, only the last `limit` bars of the range.
        public var limit: UInt32 = 0
        /// Unset: raw prices.
        public var adjustment: Adjustment = .unspecified
        /// A previous response's `nextPageToken` (same request otherwise); empty: the first page.
        public var pageToken: String = ""
        /// Bars per response; 0 or above the server's page size: the server's (10,000).
        public var pageSize: UInt32 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeMessage(field: 2, timeframe)
            writer.writeInt64(field: 3, startTimeMs)
            writer.writeInt64(field: 4, endTimeMs)
            writer.writeUInt32(field: 5, limit)
            writer.writeEnum(field: 6, adjustment)
            writer.writeString(field: 7, pageToken)
            writer.writeUInt32(field: 8, pageSize)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: try reader.mergeMessage(tag, into: &timeframe)
            case 3: startTimeMs = try reader.readInt64(tag)
            case 4: endTimeMs = try reader.readInt64(tag)
            case 5: limit = try reader.readUInt32(tag)
            case 6: adjustment = try reader.readEnum(tag)
            case 7: pageToken = try reader.readString(tag)
            case 8: pageSize = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.LoadSymbolRequest`: load or refresh a symbol's history (idempotent).
    public struct LoadSymbolRequest: ProtoMessage {
        public var symbol: String = ""
        public var source: DataSource = .unspecified
        public var timeframe: Timeframe? = nil
        public var startTimeMs: Int64 = 0
        public var endTimeMs: Int64 = 0
        /// OHLCV CSV, for `DataSource.csv`.
        public var csv: [UInt8] = []

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeEnum(field: 2, source)
            writer.writeMessage(field: 3, timeframe)
            writer.writeInt64(field: 4, startTimeMs)
            writer.writeInt64(field: 5, endTimeMs)
            writer.writeBytes(field: 6, csv)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: source = try reader.readEnum(tag)
            case 3: try reader.mergeMessage(tag, into: &timeframe)
            case 4: startTimeMs = try reader.readInt64(tag)
            case 5: endTimeMs = try reader.readInt64(tag)
            case 6: csv = try reader.readBytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.LoadSymbolResponse`.
    public struct LoadSymbolResponse: ProtoMessage {
        public var symbol: String = ""
        /// Bars inserted or updated.
        public var barsLoaded: UInt64 = 0
        public var firstTimeMs: Int64 = 0
        public var lastTimeMs: Int64 = 0
        /// The source used (`unspecified` resolved to the server's default).
        public var source: DataSource = .unspecified
        /// The background backfill fetching the history, when there is one.
        public var job: LoadJob? = nil

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeUInt64(field: 2, barsLoaded)
            writer.writeInt64(field: 3, firstTimeMs)
            writer.writeInt64(field: 4, lastTimeMs)
            writer.writeEnum(field: 5, source)
            writer.writeMessage(field: 6, job)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: barsLoaded = try reader.readUInt64(tag)
            case 3: firstTimeMs = try reader.readInt64(tag)
            case 4: lastTimeMs = try reader.readInt64(tag)
            case 5: source = try reader.readEnum(tag)
            case 6: try reader.mergeMessage(tag, into: &job)
            default: try reader.skip(tag)
            }
        }
    }
}
