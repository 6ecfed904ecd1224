import PulseProtocol

extension ClientCallMachine {
    /// Checks `:status` and `content-type` of the first header block; nil when it is a gRPC response.
    static func validateResponseHead(_ fields: [HTTP2HeaderField]) -> GRPCStatus? {
        let httpStatus = fields.first { $0.name == ":status" }?.value
        guard httpStatus == "200" else {
            return GRPCStatus(
                code(forHTTPStatus: httpStatus), "the server answered HTTP \(httpStatus ?? "without :status")")
        }
        let contentType = fields.first { $0.name == "content-type" }?.value ?? ""
        guard contentType.hasPrefix("application/grpc") else {
            return GRPCStatus(.unknown, "the response is not gRPC (content-type \"\(contentType)\")")
        }
        return nil
    }

    /// The call status carried by trailers (or a Trailers-Only block).
    static func status(fromTrailers fields: [HTTP2HeaderField]) -> GRPCStatus {
        guard let value = fields.first(where: { $0.name == "grpc-status" })?.value else {
            return GRPCStatus(.internal, "the response ended without grpc-status")
        }
        let message = fields.first { $0.name == "grpc-message" }.map { GRPCMessageEncoding.percentDecode($0.value) }
        var status = GRPCStatus(GRPCStatus.Code(headerValue: value), message ?? "")
        // Kept as sent (a serialized google.rpc.Status); unreadable base64 is dropped, never fails the call.
        if let details = fields.first(where: { $0.name == "grpc-status-details-bin" })?.value {
            status.details = Base64.decode(details) ?? []
        }
        return status
    }

    /// gRPC's mapping of HTTP statuses to codes when a response is not gRPC (doc/http-grpc-status-mapping.md).
    static func code(forHTTPStatus status: String?) -> GRPCStatus.Code {
        switch status {
        case "400": return .internal
        case "401": return .unauthenticated
        case "403": return .permissionDenied
        case "404": return .unimplemented
        case "429", "502", "503", "504": return .unavailable
        default: return .unknown
        }
    }
}
