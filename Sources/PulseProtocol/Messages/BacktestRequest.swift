// pulse.v1.BacktestRequest (Protocol/pulse/v1/backtests.proto).

extension PulseV1 {
    /// `pulse.v1.BacktestRequest`: one backtest over one symbol or a portfolio sharing one cash balance.
    /// Zero values mean the documented defaults (cash 10,000, margin 1, daily bars, market orders).
    public struct BacktestRequest: ProtoMessage {
        public var symbols: [String] = []
        public var timeframe: Timeframe? = nil
        public var startTimeMs: Int64 = 0
        public var endTimeMs: Int64 = 0
        /// Bars given inline instead of stored symbols (one series per symbol).
        public var data: [BarSeries] = []
        public var strategy: Strategy? = nil
        public var cash: Double = 0
        public var commission: Double = 0
        public var fixedCommission: Double = 0
        public var slippage: Double = 0
        public var margin: Double = 0
        public var sizing: Sizing? = nil
        public var fractional: Bool = false
        public var orderType: OrderType = .market
        public var limitOffset: Double = 0
        public var stopOffset: Double = 0
        public var tradeOnClose: Bool = false
        public var exclusiveOrders: Bool = false
        /// Explicit presence (`optional` in the .proto): nil means no stop-loss.
        public var stopLoss: Double? = nil
        public var takeProfit: Double? = nil
        public var trailingStop: Double? = nil
        public var rebalance: Rebalance? = nil
        public var riskFreeRate: Double = 0
        public var finalizeTrades: Bool = false
        public var maxEquityPoints: UInt32 = 0

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeStrings(field: 1, symbols)
            writer.writeMessage(field: 2, timeframe)
            writer.writeInt64(field: 3, startTimeMs)
            writer.writeInt64(field: 4, endTimeMs)
            writer.writeMessages(field: 5, data)
            writer.writeMessage(field: 6, strategy)
            writer.writeDouble(field: 7, cash)
            writer.writeDouble(field: 8, commission)
            writer.writeDouble(field: 9, fixedCommission)
            writer.writeDouble(field: 10, slippage)
            writer.writeDouble(field: 11, margin)
            writer.writeMessage(field: 12, sizing)
            writer.writeBool(field: 13, fractional)
            writer.writeEnum(field: 14, orderType)
            writer.writeDouble(field: 15, limitOffset)
            writer.writeDouble(field: 16, stopOffset)
            writer.writeBool(field: 17, tradeOnClose)
            writer.writeBool(field: 18, exclusiveOrders)
            if let stopLoss { writer.writeDoubleAlways(field: 19, stopLoss) }
            if let takeProfit { writer.writeDoubleAlways(field: 20, takeProfit) }
            if let trailingStop { writer.writeDoubleAlways(field: 21, trailingStop) }
            writer.writeMessage(field: 22, rebalance)
            writer.writeDouble(field: 23, riskFreeRate)
            writer.writeBool(field: 24, finalizeTrades)
            writer.writeUInt32(field: 25, maxEquityPoints)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendString(tag, to: &symbols)
            case 2: try reader.mergeMessage(tag, into: &timeframe)
            case 3: startTimeMs = try reader.readInt64(tag)
            case 4: endTimeMs = try reader.readInt64(tag)
            case 5: try reader.appendMessage(tag, to: &data)
            case 6: try reader.mergeMessage(tag, into: &strategy)
            case 7: cash = try reader.readDouble(tag)
            case 8: commission = try reader.readDouble(tag)
            case 9: fixedCommission = try reader.readDouble(tag)
            case 10: slippage = try reader.readDouble(tag)
            case 11: margin = try reader.readDouble(tag)
            case 12: try reader.mergeMessage(tag, into: &sizing)
            case 13: fractional = try reader.readBool(tag)
            case 14: orderType = try reader.readEnum(tag)
            case 15: limitOffset = try reader.readDouble(tag)
            case 16: stopOffset = try reader.readDouble(tag)
            case 17: tradeOnClose = try reader.readBool(tag)
            case 18: exclusiveOrders = try reader.readBool(tag)
            case 19: stopLoss = try reader.readDouble(tag)
            case 20: takeProfit = try reader.readDouble(tag)
            case 21: trailingStop = try reader.readDouble(tag)
            case 22: try reader.mergeMessage(tag, into: &rebalance)
            case 23: riskFreeRate = try reader.readDouble(tag)
            case 24: finalizeTrades = try reader.readBool(tag)
            case 25: maxEquityPoints = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }
}
