import PulseMarketData

/// Sends frames to browsers through the API Gateway Management API (`POST {endpoint}/@connections/{id}`),
/// signed with the project's SigV4 (service `execute-api`) with credentials asked for before every call.
public struct ConnectionPoster: Sendable {
    public enum Outcome: Sendable, Equatable {
        case delivered
        /// 410: the browser went away; forget the connection.
        case gone
        /// Anything else (throttling, credentials, transport): the frame is lost, the connection kept.
        case failed(String)
    }

    private let http: HTTPClient
    private let credentials: any AWSCredentialsProvider
    public let region: String
    public var timeout: Duration

    public init(
        http: HTTPClient, credentials: any AWSCredentialsProvider, region: String, timeout: Duration = .seconds(5)
    ) {
        self.http = http
        self.credentials = credentials
        self.region = region
        self.timeout = timeout
    }

    /// - Parameters:
    ///   - endpoint: `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`, or a custom domain's.
    ///   - traceID: X-Ray's trace header, passed on as `X-Amzn-Trace-Id` (not signed, as botocore does).
    public func post(endpoint: String, connectionID: String, data: [UInt8], traceID: String? = nil) async -> Outcome {
        let signer: SigV4Signer
        do {
            signer = SigV4Signer(
                credentials: try await credentials.credentials(), region: region, service: "execute-api")
        } catch {
            return .failed("\(error)")
        }
        var request = APIGatewayManagement.postToConnection(
            endpoint: endpoint, connectionID: connectionID, data: data, signer: signer)
        if let traceID { request.headers.append(HTTPHeader("X-Amzn-Trace-Id", traceID)) }
        request.timeout = timeout
        do {
            let response = try await http.execute(request)
            switch response.status {
            case 200..<300: return .delivered
            case 410: return .gone
            default: return .failed("@connections answered HTTP \(response.status)")
            }
        } catch {
            return .failed("\(error)")
        }
    }
}
