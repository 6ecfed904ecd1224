import PulseMarketData
import PulseProtocol

/// Which API Gateway proxy payload an HTTP event came in, so the response goes back in the same one.
public enum HTTPPayloadVersion: Sendable, Equatable {
    /// REST APIs (and HTTP APIs configured for 1.0): `httpMethod`, `path`, `multiValueQueryStringParameters`.
    case v1
    /// HTTP APIs: `version: "2.0"`, `rawPath`, `rawQueryString`, `requestContext.http.method`, `cookies`.
    case v2
}

/// An HTTP request as API Gateway hands it to a Lambda, reduced to what the routes read.
public struct HTTPEvent: Sendable, Equatable {
    public var version: HTTPPayloadVersion
    public var method: String
    /// The path without the stage prefix API Gateway adds to REST APIs' `requestContext.path`.
    public var path: String
    /// Query parameters; a repeated name keeps every value, in order.
    public var query: [String: [String]]
    /// Header names in lower case (HTTP header names are case-insensitive; API Gateway keeps the sender's case).
    public var headers: [String: String]
    public var body: [UInt8]

    public init(
        version: HTTPPayloadVersion, method: String, path: String, query: [String: [String]] = [:],
        headers: [String: String] = [:], body: [UInt8] = []
    ) {
        self.version = version
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? { query[name]?.first }

    /// Decodes a proxy event of either payload version from its JSON text.
    public static func decode(_ bytes: [UInt8]) throws(EventDecodingError) -> HTTPEvent {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw EventDecodingError("the event is not JSON: \(error)")
        }
        return try decode(json)
    }

    public static func decode(_ json: JSONValue) throws(EventDecodingError) -> HTTPEvent {
        guard json.members != nil else { throw EventDecodingError("the event is not a JSON object") }
        var headers: [String: String] = [:]
        for member in json["headers"]?.members ?? [] {
            if let value = member.value.string { headers[member.name.lowercased()] = value }
        }
        let body = try decodeBody(json)
        if json["version"]?.string == "2.0" {
            guard let method = json["requestContext"]?["http"]?["method"]?.string else {
                throw EventDecodingError("a 2.0 event without requestContext.http.method")
            }
            guard let path = json["rawPath"]?.string else { throw EventDecodingError("a 2.0 event without rawPath") }
            // Cookies travel beside the headers in 2.0; the routes read none, but keep them for completeness.
            if let cookies = json["cookies"], case .array(let list) = cookies {
                headers["cookie"] = list.compactMap(\.string).joined(separator: "; ")
            }
            return HTTPEvent(
                version: .v2, method: method.uppercased(), path: path,
                query: QueryString.parse(json["rawQueryString"]?.string ?? ""), headers: headers, body: body)
        }
        guard let method = json["httpMethod"]?.string else {
            throw EventDecodingError("an event with neither httpMethod (1.0) nor version 2.0")
        }
        guard let path = json["path"]?.string else { throw EventDecodingError("a 1.0 event without path") }
        var query: [String: [String]] = [:]
        if let multi = json["multiValueQueryStringParameters"]?.members {
            for member in multi {
                if case .array(let values) = member.value { query[member.name] = values.compactMap(\.string) }
            }
        } else {
            for member in json["queryStringParameters"]?.members ?? [] {
                if let value = member.value.string { query[member.name] = [value] }
            }
        }
        return HTTPEvent(
            version: .v1, method: method.uppercased(), path: path, query: query, headers: headers, body: body)
    }

    private static func decodeBody(_ json: JSONValue) throws(EventDecodingError) -> [UInt8] {
        guard let text = json["body"]?.string else { return [] }
        if json["isBase64Encoded"] == .bool(true) {
            guard let bytes = Base64.decode(text) else { throw EventDecodingError("the body is not valid base64") }
            return bytes
        }
        return Array(text.utf8)
    }
}

/// An event that is not an API Gateway proxy event this bridge understands.
public struct EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// An HTTP response as a Lambda returns it to API Gateway.
public struct HTTPResult: Sendable, Equatable {
    public var statusCode: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(statusCode: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }

    public static func == (a: HTTPResult, b: HTTPResult) -> Bool {
        a.statusCode == b.statusCode && a.body == b.body && a.headers.map(\.name) == b.headers.map(\.name)
            && a.headers.map(\.value) == b.headers.map(\.value)
    }

    /// The header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The response object API Gateway expects back. Bodies that are not UTF-8 go base64-encoded.
    public func encoded(for version: HTTPPayloadVersion) -> JSONValue {
        var members: [JSONMember] = [JSONMember(name: "statusCode", value: .number(Double(statusCode)))]
        members.append(
            JSONMember(
                name: "headers", value: .object(headers.map { JSONMember(name: $0.name, value: .string($0.value)) })))
        if version == .v1 {
            members.append(
                JSONMember(
                    name: "multiValueHeaders",
                    value: .object(headers.map { JSONMember(name: $0.name, value: .array([.string($0.value)])) })))
        }
        if let text = String(validating: body, as: UTF8.self) {
            members.append(JSONMember(name: "body", value: .string(text)))
            members.append(JSONMember(name: "isBase64Encoded", value: .bool(false)))
        } else {
            members.append(JSONMember(name: "body", value: .string(Base64.encode(body, padded: true))))
            members.append(JSONMember(name: "isBase64Encoded", value: .bool(true)))
        }
        return .object(members)
    }
}

/// `application/x-www-form-urlencoded` query strings, as HTTP API 2.0 events carry them raw.
public enum QueryString {
    public static func parse(_ text: String) -> [String: [String]] {
        var query: [String: [String]] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(parts[0])
            let value = parts.count > 1 ? percentDecoded(parts[1]) : ""
            query[name, default: []].append(value)
        }
        return query
    }

    /// Decodes `%XX` escapes and `+` as a space; a malformed escape stays as written.
    public static func percentDecoded(_ text: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%"), i + 2 < utf8.count, let hi = hexValue(utf8[i + 1]),
                let lo = hexValue(utf8[i + 2])
            {
                bytes.append(hi << 4 | lo)
                i += 3
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
