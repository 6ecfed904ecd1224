// Messages of pulse.v1.Indicators (Protocol/pulse/v1/indicators.proto).

extension PulseV1 {
    /// `pulse.v1.IndicatorSpec`: a TA-Lib function and its parameters (text form `rsi:14`, `bbands:20,2,2`).
    public struct IndicatorSpec: ProtoMessage, CustomStringConvertible {
        /// The function name, case-insensitive (`rsi`, `bbands`).
        public var function: String = ""
        /// Numeric parameters in TA-Lib's order; missing trailing ones take TA-Lib's defaults.
        public var parameters: [Double] = []

        public init() {}
        public init(function: String, parameters: [Double] = []) {
            self.function = function
            self.parameters = parameters
        }

        /// The text form; whole numbers print without a fraction (`bbands:20,2,2`).
        public var description: String {
            guard !parameters.isEmpty else { return function }
            let texts = parameters.map { value in Int64(exactly: value).map { String($0) } ?? String(value) }
            return function + ":" + texts.joined(separator: ",")
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, function)
            writer.writePackedDoubles(field: 2, parameters)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: function = try reader.readString(tag)
            case 2: try reader.appendDoubles(tag, to: &parameters)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.ComputeIndicatorsRequest`: indicators over a stored symbol's range or over given bars.
    public struct ComputeIndicatorsRequest: ProtoMessage {
        public var symbol: String = ""
        public var timeframe: Timeframe? = nil
        public var startTimeMs: Int64 = 0
        public var endTimeMs: Int64 = 0
        public var limit: UInt32 = 0
        /// Bars given inline; used instead of the stored symbol when it has any bars.
        public var bars: BarSeries? = nil
        public var indicators: [IndicatorSpec] = []
        /// Echo the input bars in the response.
        public var includeBars: Bool = false
        /// A previous response's `nextPageToken` (the same request otherwise); empty: the first page.
        public var pageToken: String = ""
        /// Bars per response for stored symbols; 0 or above the server's page size: the server's (10,000).
        public var pageSize: UInt32 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeMessage(field: 2, timeframe)
            writer.writeInt64(field: 3, startTimeMs)
            writer.writeInt64(field: 4, endTimeMs)
            writer.writeUInt32(field: 5, limit)
            writer.writeMessage(field: 6, bars)
            writer.writeMessages(field: 7, indicators)
            writer.writeBool(field: 8, includeBars)
            writer.writeString(field: 9, pageToken)
            writer.writeUInt32(field: 10, pageSize)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: try reader.mergeMessage(tag, into: &timeframe)
            case 3: startTimeMs = try reader.readInt64(tag)
            case 4: endTimeMs = try reader.readInt64(tag)
            case 5: limit = try reader.readUInt32(tag)
            case 6: try reader.mergeMessage(tag, into: &bars)
            case 7: try reader.appendMessage(tag, to: &indicators)
            case 8: includeBars = try reader.readBool(tag)
            case 9: pageToken = try reader.readString(tag)
            case 10: pageSize = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.IndicatorOutput`: one output series aligned with the input bars, NaN in the lookback.
    public struct IndicatorOutput: ProtoMessage {
        /// The column name (`rsi_14`, `bbands_20_2_2_upperband`).
        public var name: String = ""
        public var values: [Double] = []

        public init() {}
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, name)
            writer.writePackedDoubles(field: 2, values)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: name = try reader.readString(tag)
            case 2: try reader.appendDoubles(tag, to: &values)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.IndicatorSeries`: every output of one requested indicator.
    public struct IndicatorSeries: ProtoMessage {
        public var spec: IndicatorSpec? = nil
        /// Leading values that are NaN.
        public var lookback: UInt32 = 0
        public var outputs: [IndicatorOutput] = []

        public init() {}
        public init(spec: IndicatorSpec, lookback: UInt32, outputs: [IndicatorOutput]) {
            self.spec = spec
            self.lookback = lookback
            self.outputs = outputs
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeMessage(field: 1, spec)
            writer.writeUInt32(field: 2, lookback)
            writer.writeMessages(field: 3, outputs)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.mergeMessage(tag, into: &spec)
            case 2: lookback = try reader.readUInt32(tag)
            case 3: try reader.appendMessage(tag, to: &outputs)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.ComputeIndicatorsResponse`.
    public struct ComputeIndicatorsResponse: ProtoMessage {
        public var symbol: String = ""
        public var timeframe: Timeframe? = nil
        /// One time per input bar.
        public var timeMs: [Int64] = []
        /// In request order.
        public var indicators: [IndicatorSeries] = []
        /// The input bars, when requested.
        public var bars: BarSeries? = nil
        /// Set when more bars of a stored symbol's range follow: send it as the request's `pageToken`.
        public var nextPageToken: String = ""

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeMessage(field: 2, timeframe)
            writer.writePackedInt64s(field: 3, timeMs)
            writer.writeMessages(field: 4, indicators)
            writer.writeMessage(field: 5, bars)
            writer.writeString(field: 6, nextPageToken)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: try reader.mergeMessage(tag, into: &timeframe)
            case 3: try reader.appendInt64s(tag, to: &timeMs)
            case 4: try reader.appendMessage(tag, to: &indicators)
            case 5: try reader.mergeMessage(tag, into: &bars)
            case 6: nextPageToken = try reader.readString(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.SubscribeIndicatorsRequest`: live indicator values for one symbol and timeframe.
    public struct SubscribeIndicatorsRequest: ProtoMessage {
        public var symbol: String = ""
        public var timeframe: Timeframe? = nil
        public var indicators: [IndicatorSpec] = []
        /// Resume after this tick sequence number (0: start live).
        public var resumeFrom: UInt64 = 0
        /// Closed bars of history to send first.
        public var history: UInt32 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeMessage(field: 2, timeframe)
            writer.writeMessages(field: 3, indicators)
            writer.writeUInt64(field: 4, resumeFrom)
            writer.writeUInt32(field: 5, history)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: try reader.mergeMessage(tag, into: &timeframe)
            case 3: try reader.appendMessage(tag, to: &indicators)
            case 4: resumeFrom = try reader.readUInt64(tag)
            case 5: history = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.IndicatorUpdate`: the indicators' values as of one tick or one closed bar.
    public struct IndicatorUpdate: ProtoMessage {
        public var symbol: String = ""
        public var timeframe: Timeframe? = nil
        /// The tick sequence number this update reflects.
        public var sequence: UInt64 = 0
        public var timeMs: Int64 = 0
        public var bar: Bar? = nil
        /// False while the bar is still forming.
        public var barClosed: Bool = false
        /// One value per output column, in request order.
        public var values: [Double] = []
        /// The column names for `values`; in the first update of a stream only.
        public var columns: [String] = []
        /// Ticks folded into this update for a slow subscriber.
        public var conflated: UInt32 = 0
        /// Ticks lost to this stream (an update carrying only this, the symbol, timeframe and sequence).
        public var gap: SequenceGap? = nil
        /// 0: a closed bar's first update; n > 0: its values again, recomputed after a late tick.
        public var revision: UInt32 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeMessage(field: 2, timeframe)
            writer.writeUInt64(field: 3, sequence)
            writer.writeInt64(field: 4, timeMs)
            writer.writeMessage(field: 5, bar)
            writer.writeBool(field: 6, barClosed)
            writer.writePackedDoubles(field: 7, values)
            writer.writeStrings(field: 8, columns)
            writer.writeUInt32(field: 9, conflated)
            writer.writeMessage(field: 10, gap)
            writer.writeUInt32(field: 11, revision)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: try reader.mergeMessage(tag, into: &timeframe)
            case 3: sequence = try reader.readUInt64(tag)
            case 4: timeMs = try reader.readInt64(tag)
            case 5: try reader.mergeMessage(tag, into: &bar)
            case 6: barClosed = try reader.readBool(tag)
            case 7: try reader.appendDoubles(tag, to: &values)
            case 8: try reader.appendString(tag, to: &columns)
            case 9: conflated = try reader.readUInt32(tag)
            case 10: try reader.mergeMessage(tag, into: &gap)
            case 11: revision = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }
}
