// Result messages of pulse.v1.Backtests (Protocol/pulse/v1/backtests.proto).

extension PulseV1 {
    /// `pulse.v1.StatisticKind`: how to read a statistic's value.
    public struct StatisticKind: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let number = StatisticKind(rawValue: 0)
        /// Epoch milliseconds (`Start`, `End`).
        public static let timeMs = StatisticKind(rawValue: 1)
        /// Days (`Duration`, `Max. Drawdown Duration`, ...).
        public static let durationDays = StatisticKind(rawValue: 2)
    }

    /// `pulse.v1.Statistic`: one statistic under backtesting.py's name; NaN when undefined.
    public struct Statistic: ProtoMessage {
        public var name: String = ""
        public var value: Double = 0
        public var kind: StatisticKind = .number

        public init() {}
        public init(name: String, value: Double, kind: StatisticKind = .number) {
            self.name = name
            self.value = value
            self.kind = kind
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, name)
            writer.writeDouble(field: 2, value)
            writer.writeEnum(field: 3, kind)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: name = try reader.readString(tag)
            case 2: value = try reader.readDouble(tag)
            case 3: kind = try reader.readEnum(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.Trade`: one round trip of the trade log.
    public struct Trade: ProtoMessage {
        public var symbol: String = ""
        /// Units: positive long, negative short.
        public var size: Double = 0
        public var entryBar: UInt32 = 0
        public var exitBar: UInt32 = 0
        public var entryTimeMs: Int64 = 0
        public var exitTimeMs: Int64 = 0
        public var entryPrice: Double = 0
        public var exitPrice: Double = 0
        /// Profit, commissions deducted.
        public var pnl: Double = 0
        /// backtesting.py's `ReturnPct` (a fraction).
        public var returnFraction: Double = 0
        public var commission: Double = 0
        public var stopLoss: Double? = nil
        public var takeProfit: Double? = nil

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeDouble(field: 2, size)
            writer.writeUInt32(field: 3, entryBar)
            writer.writeUInt32(field: 4, exitBar)
            writer.writeInt64(field: 5, entryTimeMs)
            writer.writeInt64(field: 6, exitTimeMs)
            writer.writeDouble(field: 7, entryPrice)
            writer.writeDouble(field: 8, exitPrice)
            writer.writeDouble(field: 9, pnl)
            writer.writeDouble(field: 10, returnFraction)
            writer.writeDouble(field: 11, commission)
            if let stopLoss { writer.writeDoubleAlways(field: 12, stopLoss) }
            if let takeProfit { writer.writeDoubleAlways(field: 13, takeProfit) }
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: size = try reader.readDouble(tag)
            case 3: entryBar = try reader.readUInt32(tag)
            case 4: exitBar = try reader.readUInt32(tag)
            case 5: entryTimeMs = try reader.readInt64(tag)
            case 6: exitTimeMs = try reader.readInt64(tag)
            case 7: entryPrice = try reader.readDouble(tag)
            case 8: exitPrice = try reader.readDouble(tag)
            case 9: pnl = try reader.readDouble(tag)
            case 10: returnFraction = try reader.readDouble(tag)
            case 11: commission = try reader.readDouble(tag)
            case 12: stopLoss = try reader.readDouble(tag)
            case 13: takeProfit = try reader.readDouble(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.EquityCurve`: equity and drawdown over time, each a packed column.
    public struct EquityCurve: ProtoMessage {
        public var timeMs: [Int64] = []
        public var equity: [Double] = []
        /// Fraction below the running peak.
        public var drawdown: [Double] = []

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writePackedInt64s(field: 1, timeMs)
            writer.writePackedDoubles(field: 2, equity)
            writer.writePackedDoubles(field: 3, drawdown)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendInt64s(tag, to: &timeMs)
            case 2: try reader.appendDoubles(tag, to: &equity)
            case 3: try reader.appendDoubles(tag, to: &drawdown)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.BacktestResult`: statistics, trade log and equity curve of one run.
    public struct BacktestResult: ProtoMessage {
        /// In backtesting.py's order.
        public var statistics: [Statistic] = []
        /// Closed trades, in the order they closed.
        public var trades: [Trade] = []
        public var equity: EquityCurve? = nil
        /// The parameters this run used.
        public var parameters: [StrategyParameter] = []
        /// Trades still open after the last bar (not in the statistics).
        public var openTrades: [Trade] = []

        public init() {}

        /// The statistic named `name`, if present.
        public func statistic(_ name: String) -> Statistic? {
            statistics.first { $0.name == name }
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeMessages(field: 1, statistics)
            writer.writeMessages(field: 2, trades)
            writer.writeMessage(field: 3, equity)
            writer.writeMessages(field: 4, parameters)
            writer.writeMessages(field: 5, openTrades)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendMessage(tag, to: &statistics)
            case 2: try reader.appendMessage(tag, to: &trades)
            case 3: try reader.mergeMessage(tag, into: &equity)
            case 4: try reader.appendMessage(tag, to: &parameters)
            case 5: try reader.appendMessage(tag, to: &openTrades)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.BacktestProgress`.
    public struct BacktestProgress: ProtoMessage {
        public var barsDone: UInt64 = 0
        public var barsTotal: UInt64 = 0

        public init() {}
        public init(barsDone: UInt64, barsTotal: UInt64) {
            self.barsDone = barsDone
            self.barsTotal = barsTotal
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeUInt64(field: 1, barsDone)
            writer.writeUInt64(field: 2, barsTotal)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: barsDone = try reader.readUInt64(tag)
            case 2: barsTotal = try reader.readUInt64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.BacktestEvent`: one message of RunStream — progress, then the result last.
    public struct BacktestEvent: ProtoMessage {
        public enum Event: Equatable, Sendable {
            case progress(BacktestProgress)
            case result(BacktestResult)
        }

        public var event: Event? = nil

        public init() {}
        public init(_ event: Event) { self.event = event }

        public func encode(to writer: inout ProtobufWriter) {
            switch event {
            case .progress(let progress): writer.writeMessage(field: 1, progress)
            case .result(let result): writer.writeMessage(field: 2, result)
            case nil: break
            }
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1:
                var progress = BacktestProgress()
                if case .progress(let current) = event { progress = current }
                try reader.mergeMessage(tag, into: &progress)
                event = .progress(progress)
            case 2:
                var result = BacktestResult()
                if case .result(let current) = event { result = current }
                try reader.mergeMessage(tag, into: &result)
                event = .result(result)
            default: try reader.skip(tag)
            }
        }
    }
}
