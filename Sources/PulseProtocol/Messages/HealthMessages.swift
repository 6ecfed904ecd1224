// Messages of grpc.health.v1 (Protocol/grpc/health/v1/health.proto).

extension GRPCHealthV1 {
    /// `grpc.health.v1.HealthCheckRequest`: the service to check (`""` means the whole server).
    public struct HealthCheckRequest: ProtoMessage {
        /// The fully qualified service name, or `""` for the server as a whole.
        public var service: String = ""

        public init() {}
        public init(service: String) { self.service = service }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeString(field: 1, service)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: service = try reader.readString(tag)
            default: try reader.skip(tag)
            }
        }
    }

    /// `grpc.health.v1.HealthCheckResponse`: the serving status.
    public struct HealthCheckResponse: ProtoMessage {
        /// `ServingStatus`: an open enum, so values from newer peers survive a round trip.
        public struct ServingStatus: ProtoEnum, CustomStringConvertible {
            public var rawValue: Int32
            public init(rawValue: Int32) { self.rawValue = rawValue }

            public static let unknown = ServingStatus(rawValue: 0)
            public static let serving = ServingStatus(rawValue: 1)
            public static let notServing = ServingStatus(rawValue: 2)
            /// Only used by Watch, for a service the server does not know.
            public static let serviceUnknown = ServingStatus(rawValue: 3)

            public var description: String {
                switch rawValue {
                case 0: return "UNKNOWN"
                case 1: return "SERVING"
                case 2: return "NOT_SERVING"
                case 3: return "SERVICE_UNKNOWN"
                default: return "ServingStatus(\(rawValue))"
                }
            }
        }

        public var status: ServingStatus = .unknown

        public init() {}
        public init(status: ServingStatus) { self.status = status }

        public func encode(to writer: inout ProtobufWriter) {
            writer.writeEnum(field: 1, status)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
            switch tag.fieldNumber {
            case 1: status = try reader.readEnum(tag)
            default: try reader.skip(tag)
            }
        }
    }
}
