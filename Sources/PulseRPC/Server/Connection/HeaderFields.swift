internal import CNghttp2
import PulseProtocol

/// Header blocks the server sends, as `nghttp2_nv` arrays.
///
/// Constant names and values live in immortal storage and are passed with NO_COPY flags; values that
/// vary (a grpc-message) are copied by nghttp2 at submit time, so no call keeps memory alive for them.
enum HeaderFields {
    private static func immortal(_ text: String) -> (UnsafeMutablePointer<UInt8>, Int) {
        let bytes = Array(text.utf8)
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
        pointer.initialize(from: bytes, count: bytes.count)
        return (pointer, bytes.count)
    }

    static func constant(_ name: String, _ value: String) -> nghttp2_nv {
        let (namePointer, nameLength) = immortal(name)
        let (valuePointer, valueLength) = immortal(value)
        return nghttp2_nv(
            name: namePointer, value: valuePointer, namelen: nameLength, valuelen: valueLength,
            flags: UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue))
    }

    /// `:status 200` and `content-type: application/grpc`: the response head of every accepted call.
    nonisolated(unsafe) static let responseHead: [nghttp2_nv] = [
        constant(":status", "200"), constant("content-type", "application/grpc"),
    ]

    /// `grpc-status: N` for every code, indexed by code.
    nonisolated(unsafe) static let statusFields: [nghttp2_nv] = (0...16).map { constant("grpc-status", String($0)) }

    nonisolated(unsafe) static let messageName = immortal("grpc-message")
    nonisolated(unsafe) static let statusName = immortal(":status")
    nonisolated(unsafe) static let contentTypePlain = constant("content-type", "text/plain")

    /// Calls `body` with the trailer fields for `status` (plus the response head and `headers` first when
    /// `trailersOnly`), then the custom `trailers`; valid for the duration of the call.
    static func withTrailers<T>(
        _ status: GRPCStatus, trailersOnly: Bool, headers: Metadata = Metadata(), trailers: Metadata = Metadata(),
        _ body: (UnsafePointer<nghttp2_nv>, Int) -> T
    ) -> T {
        let code = status.code.rawValue
        if !trailersOnly && status.message.isEmpty && trailers.isEmpty, (0...16).contains(code) {
            // The common end of a successful call: a constant field, no allocation.
            return statusFields.withUnsafeBufferPointer { body($0.baseAddress! + code, 1) }
        }
        return withCustomFields(trailersOnly ? headers : Metadata()) { customHeaders in
            withCustomFields(trailers) { customTrailers in
                var fields: [nghttp2_nv] = trailersOnly ? responseHead + customHeaders : []
                fields.append(statusFields[(0...16).contains(code) ? code : 2])
                if status.message.isEmpty {
                    fields.append(contentsOf: customTrailers)
                    return fields.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
                }
                var encoded = Array(GRPCMessageEncoding.percentEncode(status.message).utf8)
                return encoded.withUnsafeMutableBufferPointer { value in
                    fields.append(
                        nghttp2_nv(
                            name: messageName.0, value: value.baseAddress!, namelen: messageName.1,
                            valuelen: value.count, flags: UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue)))
                    fields.append(contentsOf: customTrailers)
                    return fields.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
                }
            }
        }
    }

    /// Calls `body` with the response head plus custom `headers` (only called when there are some).
    static func withResponseHead<T>(headers: Metadata, _ body: (UnsafePointer<nghttp2_nv>, Int) -> T) -> T {
        withCustomFields(headers) { custom in
            (responseHead + custom).withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }

    /// Fields set by handlers and interceptors, as `nghttp2_nv`s nghttp2 copies at submit time (`-bin` values
    /// base64-encoded, unpadded). Pseudo-headers and the fields the transport owns are dropped.
    private static func withCustomFields<T>(_ metadata: Metadata, _ body: ([nghttp2_nv]) -> T) -> T {
        if metadata.isEmpty { return body([]) }
        var vector = HeaderVector(capacity: metadata.count)
        metadata.forEachField { binary, name, value in
            guard !isReserved(name) else { return true }
            if binary {
                vector.append(name: name, value: Base64.encode(value).utf8)
            } else {
                vector.append(name: name, value: value)
            }
            return true
        }
        return vector.withFields(body)
    }

    private static func isReserved(_ name: ArraySlice<UInt8>) -> Bool {
        if name.first == UInt8(ascii: ":") || name.isEmpty { return true }
        let text = String(decoding: name, as: UTF8.self)
        return text == "grpc-status" || text == "grpc-message" || text == "content-type" || text == "te"
    }

    /// A response to a non-gRPC request: `:status` plus a gRPC status for clients that look for one.
    static func withHTTPError<T>(
        status: Int, _ grpc: GRPCStatus, _ body: (UnsafePointer<nghttp2_nv>, Int) -> T
    ) -> T {
        var statusText = Array(String(status).utf8)
        return statusText.withUnsafeMutableBufferPointer { value in
            let head = nghttp2_nv(
                name: statusName.0, value: value.baseAddress!, namelen: statusName.1, valuelen: value.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue))
            return withTrailers(grpc, trailersOnly: false) { trailers, count in
                var fields = [head, contentTypePlain]
                fields.append(contentsOf: UnsafeBufferPointer(start: trailers, count: count))
                return fields.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
            }
        }
    }
}
