// Messages of pulse.v1.Diagnostics (Protocol/pulse/v1/diagnostics.proto): transport tests and benchmarks.

extension PulseV1 {
    /// `pulse.v1.EchoRequest`: echo `payload` after `delayMs`, or fail with `failCode`/`failMessage`.
    public struct EchoRequest: ProtoMessage {
        /// The bytes to echo back.
        public var payload: [UInt8] = []
        /// How long the server waits before answering, in milliseconds.
        public var delayMs: UInt32 = 0
        /// A gRPC status code to fail with instead of answering (0: answer normally).
        public var failCode: Int32 = 0
        /// The `grpc-message` sent with `failCode`.
        public var failMessage: String = ""
        /// Run the handler on the compute pool rather than the connection's loop.
        public var useComputePool: Bool = false

        public init() {}
        public init(
            payload: [UInt8] = [], delayMs: UInt32 = 0, failCode: Int32 = 0, failMessage: String = "",
            useComputePool: Bool = false
        ) {
            self.payload = payload
            self.delayMs = delayMs
            self.failCode = failCode
            self.failMessage = failMessage
            self.useComputePool = useComputePool
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeBytes(field: 1, payload)
            writer.writeUInt32(field: 2, delayMs)
            writer.writeInt32(field: 3, failCode)
            writer.writeString(field: 4, failMessage)
            writer.writeBool(field: 5, useComputePool)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: payload = try reader.readBytes(tag)
            case 2: delayMs = try reader.readUInt32(tag)
            case 3: failCode = try reader.readInt32(tag)
            case 4: failMessage = try reader.readString(tag)
            case 5: useComputePool = try reader.readBool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.EchoResponse`: the echoed payload.
    public struct EchoResponse: ProtoMessage {
        public var payload: [UInt8] = []

        public init() {}
        public init(payload: [UInt8]) { self.payload = payload }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeBytes(field: 1, payload)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: payload = try reader.readBytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.StreamRequest`: send `count` items of `payloadSize` bytes, `intervalMs` apart.
    public struct StreamRequest: ProtoMessage {
        public var count: UInt32 = 0
        public var payloadSize: UInt32 = 0
        public var intervalMs: UInt32 = 0

        public init() {}
        public init(count: UInt32, payloadSize: UInt32 = 0, intervalMs: UInt32 = 0) {
            self.count = count
            self.payloadSize = payloadSize
            self.intervalMs = intervalMs
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeUInt32(field: 1, count)
            writer.writeUInt32(field: 2, payloadSize)
            writer.writeUInt32(field: 3, intervalMs)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: count = try reader.readUInt32(tag)
            case 2: payloadSize = try reader.readUInt32(tag)
            case 3: intervalMs = try reader.readUInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `pulse.v1.StreamItem`: one item of a Diagnostics stream, numbered from 0.
    public struct StreamItem: ProtoMessage {
        public var index: UInt64 = 0
        public var payload: [UInt8] = []

        public init() {}
        public init(index: UInt64, payload: [UInt8] = []) {
            self.index = index
            self.payload = payload
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeUInt64(field: 1, index)
            writer.writeBytes(field: 2, payload)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: index = try reader.readUInt64(tag)
            case 2: payload = try reader.readBytes(tag)
            default: try reader.skip(tag)
            }
        }
    }
}
