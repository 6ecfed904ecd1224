// Subscription messages of pulse.v1.Quotes (Protocol/pulse/v1/quotes.proto).

extension PulseV1 {
    /// `pulse.v1.ResumePoint`: the last sequence number a client received for a symbol.
    public struct ResumePoint: ProtoMessage {
        public var symbol: String = ""
        public var sequence: UInt64 = 0

        public init() {}
        public init(symbol: String, sequence: UInt64) {
            self.symbol = symbol
            self.sequence = sequence
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeUInt64(field: 2, sequence)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: sequence = try reader.readUInt64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.SubscribeQuotesRequest`: live ticks for `symbols`, resuming where `resumeFrom` says.
    public struct SubscribeQuotesRequest: ProtoMessage {
        public var symbols: [String] = []
        public var resumeFrom: [ResumePoint] = []

        public init() {}
        public init(symbols: [String], resumeFrom: [ResumePoint] = []) {
            self.symbols = symbols
            self.resumeFrom = resumeFrom
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeStrings(field: 1, symbols)
            writer.writeMessages(field: 2, resumeFrom)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendString(tag, to: &symbols)
            case 2: try reader.appendMessage(tag, to: &resumeFrom)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.SequenceGap`: ticks a resumed subscription cannot replay (inclusive range).
    public struct SequenceGap: ProtoMessage {
        public var symbol: String = ""
        public var firstMissing: UInt64 = 0
        public var lastMissing: UInt64 = 0

        public init() {}
        public init(symbol: String, firstMissing: UInt64, lastMissing: UInt64) {
            self.symbol = symbol
            self.firstMissing = firstMissing
            self.lastMissing = lastMissing
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeUInt64(field: 2, firstMissing)
            writer.writeUInt64(field: 3, lastMissing)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: firstMissing = try reader.readUInt64(tag)
            case 3: lastMissing = try reader.readUInt64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.QuoteEvent`: one message of a Quotes.Subscribe stream.
    public struct QuoteEvent: ProtoMessage {
        /// The `event` oneof.
        public enum Event: Equatable, Sendable {
            case tick(Tick)
            case gap(SequenceGap)
        }

        public var event: Event? = nil

        public init() {}
        public init(_ event: Event) { self.event = event }

        public func encode(to writer: inout ProtobufWriter) {
            switch event {
            case .tick(let tick): writer.writeMessage(field: 1, tick)
            case .gap(let gap): writer.writeMessage(field: 2, gap)
            case nil: break
            }
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1:
                var tick = Tick()
                if case .tick(let current) = event { tick = current }
                try reader.mergeMessage(tag, into: &tick)
                event = .tick(tick)
            case 2:
                var gap = SequenceGap()
                if case .gap(let current) = event { gap = current }
                try reader.mergeMessage(tag, into: &gap)
                event = .gap(gap)
            default: try reader.skip(tag)
            }
        }
    }
}
