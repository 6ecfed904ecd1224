// Request messages of pulse.v1.Backtests (Protocol/pulse/v1/backtests.proto).

extension PulseV1 {
    /// `pulse.v1.StrategyParameter`: a named number (`fast` = 10).
    public struct StrategyParameter: ProtoMessage {
        public var name: String = ""
        public var value: Double = 0

        public init() {}
        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, name)
            writer.writeDouble(field: 2, value)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: name = try reader.readString(tag)
            case 2: value = try reader.readDouble(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.Strategy`: a named strategy with parameters, or entry/exit expressions.
    public struct Strategy: ProtoMessage {
        /// A built-in strategy (`sma-cross`, `ema-cross`, `rsi-reversion`, `bollinger-breakout`, `macd-signal`).
        public var name: String = ""
        public var entry: String = ""
        public var exit: String = ""
        public var parameters: [StrategyParameter] = []
        public var shortEntry: String = ""
        public var shortExit: String = ""

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, name)
            writer.writeString(field: 2, entry)
            writer.writeString(field: 3, exit)
            writer.writeMessages(field: 4, parameters)
            writer.writeString(field: 5, shortEntry)
            writer.writeString(field: 6, shortExit)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: name = try reader.readString(tag)
            case 2: entry = try reader.readString(tag)
            case 3: exit = try reader.readString(tag)
            case 4: try reader.appendMessage(tag, to: &parameters)
            case 5: shortEntry = try reader.readString(tag)
            case 6: shortExit = try reader.readString(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.Sizing`: how many units an entry trades (the `size` oneof).
    public struct Sizing: ProtoMessage {
        public enum Size: Equatable, Sendable {
            /// Fraction of available equity × leverage, in (0, 1].
            case equityFraction(Double)
            case units(Double)
            case cash(Double)
        }

        /// Unset: backtesting.py's default, (1 - ε) of available equity.
        public var size: Size? = nil

        public init() {}
        public init(_ size: Size) { self.size = size }

        public func encode(to writer: inout ProtobufWriter) {
            switch size {
            case .equityFraction(let value): writer.writeDoubleAlways(field: 1, value)
            case .units(let value): writer.writeDoubleAlways(field: 2, value)
            case .cash(let value): writer.writeDoubleAlways(field: 3, value)
            case nil: break
            }
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: size = .equityFraction(try reader.readDouble(tag))
            case 2: size = .units(try reader.readDouble(tag))
            case 3: size = .cash(try reader.readDouble(tag))
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.OrderType`.
    public struct OrderType: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let market = OrderType(rawValue: 0)
        public static let limit = OrderType(rawValue: 1)
        public static let stop = OrderType(rawValue: 2)
        public static let stopLimit = OrderType(rawValue: 3)
    }

    /// `pulse.v1.RebalancePeriod`.
    public struct RebalancePeriod: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let none = RebalancePeriod(rawValue: 0)
        public static let daily = RebalancePeriod(rawValue: 1)
        public static let weekly = RebalancePeriod(rawValue: 2)
        public static let monthly = RebalancePeriod(rawValue: 3)
    }

    /// `pulse.v1.SymbolWeight`: a portfolio target weight.
    public struct SymbolWeight: ProtoMessage {
        public var symbol: String = ""
        public var weight: Double = 0

        public init() {}
        public init(symbol: String, weight: Double) {
            self.symbol = symbol
            self.weight = weight
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeDouble(field: 2, weight)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: weight = try reader.readDouble(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.Rebalance`: portfolio target weights and how often to restore them.
    public struct Rebalance: ProtoMessage {
        public var period: RebalancePeriod = .none
        /// Fixed weights; with none and no expression, equal weights.
        public var weights: [SymbolWeight] = []
        public var weightExpression: String = ""

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeEnum(field: 1, period)
            writer.writeMessages(field: 2, weights)
            writer.writeString(field: 3, weightExpression)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: period = try reader.readEnum(tag)
            case 2: try reader.appendMessage(tag, to: &weights)
            case 3: weightExpression = try reader.readString(tag)
            default: try reader.skip(tag)
            }
        }
    }
}
