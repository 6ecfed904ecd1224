// Optimisation messages of pulse.v1.Backtests (Protocol/pulse/v1/backtests.proto).

extension PulseV1 {
    /// `pulse.v1.ParameterRange`: `values`, or `start`, `start + step`, ... up to `stop` inclusive.
    public struct ParameterRange: ProtoMessage {
        public var name: String = ""
        public var start: Double = 0
        public var stop: Double = 0
        public var step: Double = 0
        public var values: [Double] = []

        public init() {}
        public init(name: String, start: Double, stop: Double, step: Double) {
            self.name = name
            self.start = start
            self.stop = stop
            self.step = step
        }
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, name)
            writer.writeDouble(field: 2, start)
            writer.writeDouble(field: 3, stop)
            writer.writeDouble(field: 4, step)
            writer.writePackedDoubles(field: 5, values)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: name = try reader.readString(tag)
            case 2: start = try reader.readDouble(tag)
            case 3: stop = try reader.readDouble(tag)
            case 4: step = try reader.readDouble(tag)
            case 5: try reader.appendDoubles(tag, to: &values)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.OptimizeRequest`: a grid (or random subset) of parameter sets ranked by one statistic.
    public struct OptimizeRequest: ProtoMessage {
        public var base: BacktestRequest? = nil
        public var grid: [ParameterRange] = []
        /// backtesting.py's statistic name or an alias; empty: `Sharpe Ratio`.
        public var maximize: String = ""
        public var minimize: Bool = false
        /// Random search of this many sets when non-zero and below the grid size.
        public var maxTries: UInt32 = 0
        public var randomSeed: UInt64 = 0
        /// Send trades and equity for every result.
        public var includeDetails: Bool = false

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeMessage(field: 1, base)
            writer.writeMessages(field: 2, grid)
            writer.writeString(field: 3, maximize)
            writer.writeBool(field: 4, minimize)
            writer.writeUInt32(field: 5, maxTries)
            writer.writeUInt64(field: 6, randomSeed)
            writer.writeBool(field: 7, includeDetails)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.mergeMessage(tag, into: &base)
            case 2: try reader.appendMessage(tag, to: &grid)
            case 3: maximize = try reader.readString(tag)
            case 4: minimize = try reader.readBool(tag)
            case 5: maxTries = try reader.readUInt32(tag)
            case 6: randomSeed = try reader.readUInt64(tag)
            case 7: includeDetails = try reader.readBool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.OptimizeResult`: one finished parameter set.
    public struct OptimizeResult: ProtoMessage {
        public var parameters: [StrategyParameter] = []
        /// The ranking statistic's value.
        public var score: Double = 0
        /// Sets finished so far, this one included.
        public var completed: UInt32 = 0
        public var total: UInt32 = 0
        public var result: BacktestResult? = nil

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeMessages(field: 1, parameters)
            writer.writeDouble(field: 2, score)
            writer.writeUInt32(field: 3, completed)
            writer.writeUInt32(field: 4, total)
            writer.writeMessage(field: 5, result)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendMessage(tag, to: &parameters)
            case 2: score = try reader.readDouble(tag)
            case 3: completed = try reader.readUInt32(tag)
            case 4: total = try reader.readUInt32(tag)
            case 5: try reader.mergeMessage(tag, into: &result)
            default: try reader.skip(tag)
            }
        }
    }
}
