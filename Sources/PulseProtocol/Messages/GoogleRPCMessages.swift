// The standard error-detail messages gRPC servers put in `grpc-status-details-bin`: `google.rpc.Status`
// (googleapis google/rpc/status.proto) carrying `google.protobuf.Any` details, and `google.rpc.RetryInfo`
// (google/rpc/error_details.proto) with a `google.protobuf.Duration`. Field numbers are googleapis'; grpcio-status
// and every other gRPC stack decode them.

/// Messages of the `google.rpc` and `google.protobuf` packages used in status details.
public enum GoogleRPC {
    /// `google.protobuf.Duration`: whole seconds and nanoseconds of the same sign.
    public struct Duration: ProtoMessage {
        public var seconds: Int64 = 0
        public var nanos: Int32 = 0

        public init() {}
        public init(seconds: Int64, nanos: Int32) {
            self.seconds = seconds
            self.nanos = nanos
        }

        /// Rounds a non-negative number of milliseconds into seconds and nanoseconds.
        public init(milliseconds: Int64) {
            seconds = milliseconds / 1000
            nanos = Int32(milliseconds % 1000) * 1_000_000
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeInt64(field: 1, seconds)
            writer.writeInt32(field: 2, nanos)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: seconds = try reader.readInt64(tag)
            case 2: nanos = try reader.readInt32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `google.protobuf.Any`: a message's type URL and its encoding.
    public struct AnyMessage: ProtoMessage {
        public var typeURL = ""
        public var value: [UInt8] = []

        public init() {}
        public init(typeURL: String, value: [UInt8]) {
            self.typeURL = typeURL
            self.value = value
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, typeURL)
            writer.writeBytes(field: 2, value)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: typeURL = try reader.readString(tag)
            case 2: value = try reader.readBytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `google.rpc.RetryInfo`: how long the client should wait before retrying.
    public struct RetryInfo: ProtoMessage {
        public static let typeURL = "type.googleapis.com/google.rpc.RetryInfo"
        public var retryDelay: Duration?

        public init() {}
        public init(retryDelay: Duration) { self.retryDelay = retryDelay }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeMessage(field: 1, retryDelay)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: try reader.mergeMessage(tag, into: &retryDelay)
            default: try reader.skip(tag)
            }
        }
    }

    /// `google.rpc.Status`: the call's code and message again, with typed details.
    public struct Status: ProtoMessage {
        public var code: Int32 = 0
        public var message = ""
        public var details: [AnyMessage] = []

        public init() {}
        public init(code: Int32, message: String, details: [AnyMessage]) {
            self.code = code
            self.message = message
            self.details = details
        }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeInt32(field: 1, code)
            writer.writeString(field: 2, message)
            for detail in details { writer.writeMessage(field: 3, detail) }
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: code = try reader.readInt32(tag)
            case 2: message = try reader.readString(tag)
            case 3: try reader.appendMessage(tag, to: &details)
            default: try reader.skip(tag)
            }
        }
    }
}

extension GRPCStatus {
    /// The `grpc-status-details-bin` value for this status with a `RetryInfo` saying to wait `retryAfterMs`.
    public func detailsWithRetryInfo(retryAfterMs: Int64) -> [UInt8] {
        let retry = GoogleRPC.RetryInfo(retryDelay: GoogleRPC.Duration(milliseconds: max(0, retryAfterMs)))
        return GoogleRPC.Status(
            code: Int32(code.rawValue), message: message,
            details: [GoogleRPC.AnyMessage(typeURL: GoogleRPC.RetryInfo.typeURL, value: retry.serializedBytes())]
        ).serializedBytes()
    }
}
