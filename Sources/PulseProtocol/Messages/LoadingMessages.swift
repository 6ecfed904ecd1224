// Messages of pulse.v1.Quotes' LoadSymbol jobs (Protocol/pulse/v1/quotes.proto).

extension PulseV1 {
    /// `pulse.v1.LoadJobState`.
    public struct LoadJobState: ProtoEnum {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let unspecified = LoadJobState(rawValue: 0)
        public static let running = LoadJobState(rawValue: 1)
        /// Waiting until `resumeAfterTimeMs` (a spent quota, a rate limit).
        public static let paused = LoadJobState(rawValue: 2)
        public static let completed = LoadJobState(rawValue: 3)
        /// Stopped by an error retrying cannot fix.
        public static let failed = LoadJobState(rawValue: 4)
    }

    /// `pulse.v1.LoadJob`: a resumable backfill and how far it got.
    public struct LoadJob: ProtoMessage {
        public var id: String = ""
        public var state: LoadJobState = .unspecified
        public var unitsTotal: UInt32 = 0
        public var unitsDone: UInt32 = 0
        public var barsStored: UInt64 = 0
        public var resumeAfterTimeMs: Int64 = 0
        public var message: String = ""

        public init() {}

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, id)
            writer.writeEnum(field: 2, state)
            writer.writeUInt32(field: 3, unitsTotal)
            writer.writeUInt32(field: 4, unitsDone)
            writer.writeUInt64(field: 5, barsStored)
            writer.writeInt64(field: 6, resumeAfterTimeMs)
            writer.writeString(field: 7, message)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: id = try reader.readString(tag)
            case 2: state = try reader.readEnum(tag)
            case 3: unitsTotal = try reader.readUInt32(tag)
            case 4: unitsDone = try reader.readUInt32(tag)
            case 5: barsStored = try reader.readUInt64(tag)
            case 6: resumeAfterTimeMs = try reader.readInt64(tag)
            case 7: message = try reader.readString(tag)
            default: try reader.skip(tag)
            }
        }
    }
}
