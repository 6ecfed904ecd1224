/// Requests of API Gateway's WebSocket management API (`POST/GET/DELETE @connections/{id}`), built as boto3's
/// `apigatewaymanagementapi` client builds them, so they sign (``SigV4Signer``, service `execute-api`) the same.
public enum APIGatewayManagement {
    /// `endpoint/@connections/<id>`, the id percent-encoded like botocore's REST serializer (every byte but
    /// `A–Z a–z 0–9 - _ . ~`; `abc=` → `abc%3D`, an id holding `%3D` → `%253D`). The literal `@` stays: the
    /// signer encodes it in the canonical URI only.
    ///
    /// - Parameter endpoint: `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`.
    public static func connectionURL(endpoint: String, connectionID: String) -> String {
        var base = Substring(endpoint)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/@connections/" + AlphaVantageQuery.encode(connectionID)
    }

    /// A signed `POST @connections/{id}` sending `data` to one WebSocket client.
    public static func postToConnection(
        endpoint: String, connectionID: String, data: [UInt8], signer: SigV4Signer, time: Int64? = nil
    ) -> HTTPRequest {
        let url = connectionURL(endpoint: endpoint, connectionID: connectionID)
        let headers = signer.sign(method: "POST", url: url, headers: [], body: data, time: time)
        return HTTPRequest(method: "POST", url: url, headers: headers, body: data)
    }
}
