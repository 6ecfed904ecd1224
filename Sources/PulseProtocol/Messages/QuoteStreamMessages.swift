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
        /// Also stream each symbol's 1-minute bars as they close (and as late ticks revise them).
        public var includeBars = false

        public init() {}
        public init(symbols: [String], resumeFrom: [ResumePoint] = [], includeBars: Bool = false) {
            self.symbols = symbols
            self.resumeFrom = resumeFrom
            self.includeBars = includeBars
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeStrings(field: 1, symbols)
            writer.writeMessages(field: 2, resumeFrom)
            writer.writeBool(field: 3, includeBars)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.appendString(tag, to: &symbols)
            case 2: try reader.appendMessage(tag, to: &resumeFrom)
            case 3: includeBars = try reader.readBool(tag)
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

    /// `pulse.v1.LiveBar`: a 1-minute bar of a live stream; `revision` 0 as it closed, then 1, 2, … when
    /// late ticks revise it.
    public struct LiveBar: ProtoMessage {
        public var symbol: String = ""
        public var bar = Bar()
        public var revision: UInt32 = 0
        public var lastSequence: UInt64 = 0

        public init() {}
        public init(symbol: String, bar: Bar, revision: UInt32 = 0, lastSequence: UInt64 = 0) {
            self.symbol = symbol
            self.bar = bar
            self.revision = revision
            self.lastSequence = lastSequence
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeMessage(field: 2, bar)
            writer.writeUInt32(field: 3, revision)
            writer.writeUInt64(field: 4, lastSequence)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: try reader.mergeMessage(tag, into: &bar)
            case 3: revision = try reader.readUInt32(tag)
            case 4: lastSequence = try reader.readUInt64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.Heartbeat`: a quiet symbol's sign of life, with the last sequence the server knows.
    public struct Heartbeat: ProtoMessage {
        public var symbol: String = ""
        public var lastSequence: UInt64 = 0
        public var serverTimeMs: Int64 = 0

        public init() {}
        public init(symbol: String, lastSequence: UInt64, serverTimeMs: Int64) {
            self.symbol = symbol
            self.lastSequence = lastSequence
            self.serverTimeMs = serverTimeMs
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, symbol)
            writer.writeUInt64(field: 2, lastSequence)
            writer.writeInt64(field: 3, serverTimeMs)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: symbol = try reader.readString(tag)
            case 2: lastSequence = try reader.readUInt64(tag)
            case 3: serverTimeMs = try reader.readInt64(tag)
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
            case bar(LiveBar)
            case heartbeat(Heartbeat)
        }

        public var event: Event? = nil

        public init() {}
        public init(_ event: Event) { self.event = event }

        /// The tick, when this event is one.
        public var tick: Tick? {
            if case .tick(let tick) = event { return tick }
            return nil
        }

        public func encode(to writer: inout ProtobufWriter) {
            switch event {
            case .tick(let tick): writer.writeMessage(field: 1, tick)
            case .gap(let gap): writer.writeMessage(field: 2, gap)
            case .bar(let bar): writer.writeMessage(field: 3, bar)
            case .heartbeat(let heartbeat): writer.writeMessage(field: 4, heartbeat)
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
            case 3:
                var bar = LiveBar()
                if case .bar(let current) = event { bar = current }
                try reader.mergeMessage(tag, into: &bar)
                event = .bar(bar)
            case 4:
                var heartbeat = Heartbeat()
                if case .heartbeat(let current) = event { heartbeat = current }
                try reader.mergeMessage(tag, into: &heartbeat)
                event = .heartbeat(heartbeat)
            default: try reader.skip(tag)
            }
        }
    }
}
