/// Amazon SQS over the loop's ``HTTPClient``, in SQS's JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`,
/// `application/x-amz-json-1.0`), signed with ``SigV4Signer`` (service `sqs`).
///
/// ```swift
/// let sqs = SQSClient(http: http, signer: SigV4Signer(credentials: credentials, region: "us-east-1", service: "sqs"))
/// try await sqs.sendMessage(queueURL: queue, body: event.json)
/// for message in try await sqs.receiveMessages(queueURL: queue, waitSeconds: 20) {
///     try await handle(message.body)
///     try await sqs.deleteMessage(queueURL: queue, receiptHandle: message.receiptHandle)
/// }
/// ```
public final class SQSClient: Sendable {
    public let endpoint: String
    public let region: String
    private let http: HTTPClient
    private let credentials: any AWSCredentialsProvider

    /// - Parameters:
    ///   - credentials: asked before every call, so refreshed credentials (ECS task roles) are picked up.
    ///   - endpoint: default `https://sqs.<region>.amazonaws.com/` (`AWS_ENDPOINT_URL_SQS` in the SDKs; tests
    ///     give the moto server's address).
    public init(http: HTTPClient, credentials: any AWSCredentialsProvider, region: String, endpoint: String? = nil) {
        self.http = http
        self.credentials = credentials
        self.region = region
        self.endpoint = endpoint ?? "https://sqs.\(region).amazonaws.com/"
    }

    /// A client signing with `signer`'s fixed credentials and region.
    public convenience init(http: HTTPClient, signer: SigV4Signer, endpoint: String? = nil) {
        self.init(
            http: http, credentials: StaticCredentialsProvider(signer.credentials), region: signer.region,
            endpoint: endpoint)
    }

    /// `SendMessage`; returns the message id.
    @discardableResult
    public func sendMessage(queueURL: String, body: String, delaySeconds: Int? = nil) async throws(SQSError) -> String {
        var members = [JSONMember(name: "QueueUrl", value: .string(queueURL))]
        members.append(JSONMember(name: "MessageBody", value: .string(body)))
        if let delaySeconds { members.append(JSONMember(name: "DelaySeconds", value: .number(Double(delaySeconds)))) }
        let reply = try await call("SendMessage", .object(members))
        guard let id = reply["MessageId"]?.string else {
            throw SQSError(.malformedResponse, "SendMessage answered without a MessageId")
        }
        return id
    }

    /// `SendMessageBatch` of at most 10 bodies (SQS's limit per call); returns the indexes of the bodies SQS did
    /// not take (its `Failed` entries), so a caller resends only those.
    public func sendMessageBatch(queueURL: String, bodies: [String]) async throws(SQSError) -> [Int] {
        guard !bodies.isEmpty else { return [] }
        guard bodies.count <= 10 else {
            throw SQSError(.malformedResponse, "SendMessageBatch takes at most 10 messages, not \(bodies.count)")
        }
        let entries = bodies.enumerated().map { index, body in
            JSONValue.object([
                JSONMember(name: "Id", value: .string("m\(index)")),
                JSONMember(name: "MessageBody", value: .string(body)),
            ])
        }
        let reply = try await call(
            "SendMessageBatch",
            .object([
                JSONMember(name: "QueueUrl", value: .string(queueURL)),
                JSONMember(name: "Entries", value: .array(entries)),
            ]))
        guard case .array(let failed)? = reply["Failed"] else { return [] }
        return failed.compactMap { entry in
            entry["Id"]?.string.flatMap { $0.hasPrefix("m") ? Int($0.dropFirst()) : nil }
        }.filter { $0 < bodies.count }
    }

    /// `ReceiveMessage` with long polling: waits up to `waitSeconds` (0…20) for a message; received messages stay
    /// invisible to others for `visibilityTimeout` seconds (the queue's default when nil) unless deleted.
    public func receiveMessages(
        queueURL: String, maximum: Int = 10, waitSeconds: Int = 20, visibilityTimeout: Int? = nil
    ) async throws(SQSError) -> [SQSMessage] {
        var members = [
            JSONMember(name: "QueueUrl", value: .string(queueURL)),
            JSONMember(name: "MaxNumberOfMessages", value: .number(Double(min(max(maximum, 1), 10)))),
            JSONMember(name: "WaitTimeSeconds", value: .number(Double(min(max(waitSeconds, 0), 20)))),
            JSONMember(name: "MessageSystemAttributeNames", value: .array([.string("ApproximateReceiveCount")])),
        ]
        if let visibilityTimeout {
            members.append(JSONMember(name: "VisibilityTimeout", value: .number(Double(visibilityTimeout))))
        }
        let reply = try await call(
            "ReceiveMessage", .object(members), timeout: .seconds(Int64(min(max(waitSeconds, 0), 20)) + 15))
        guard case .array(let messages)? = reply["Messages"] else { return [] }
        return try messages.map { message throws(SQSError) in
            guard let id = message["MessageId"]?.string, let handle = message["ReceiptHandle"]?.string,
                let body = message["Body"]?.string
            else { throw SQSError(.malformedResponse, "ReceiveMessage answered a message without id, handle or body") }
            let count = message["Attributes"]?["ApproximateReceiveCount"]?.string.flatMap { Int($0) } ?? 1
            return SQSMessage(messageID: id, receiptHandle: handle, body: body, receiveCount: count)
        }
    }

    /// `DeleteMessage`: the message was handled and must not come back.
    public func deleteMessage(queueURL: String, receiptHandle: String) async throws(SQSError) {
        _ = try await call(
            "DeleteMessage",
            .object([
                JSONMember(name: "QueueUrl", value: .string(queueURL)),
                JSONMember(name: "ReceiptHandle", value: .string(receiptHandle)),
            ]))
    }

    /// One signed JSON-protocol call; SQS's error answers become `.service` with their type.
    func call(_ action: String, _ request: JSONValue, timeout: Duration? = nil) async throws(SQSError) -> JSONValue {
        let body = Array(request.json.utf8)
        let signer: SigV4Signer
        do {
            signer = SigV4Signer(credentials: try await credentials.credentials(), region: region, service: "sqs")
        } catch {
            throw SQSError(.credentials, "\(action): \(error.message)")
        }
        let headers = signer.sign(
            method: "POST", url: endpoint,
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-1.0"),
                HTTPHeader("X-Amz-Target", "AmazonSQS.\(action)"),
            ], body: body)
        let response: HTTPResponse
        do {
            response = try await http.execute(
                HTTPRequest(method: "POST", url: endpoint, headers: headers, body: body, timeout: timeout))
        } catch {
            throw SQSError(.transport, "\(action): \(error.message)")
        }
        let document = try? JSONValue.parse(response.body)
        guard response.status == 200 else {
            let type = (document?["__type"]?.string).map { String($0.split(separator: "#").last ?? "") }
            let message = document?["message"]?.string ?? document?["Message"]?.string ?? "HTTP \(response.status)"
            throw SQSError(.service, "\(action): \(message)", type: type, status: response.status)
        }
        guard let document else {
            if response.body.isEmpty { return .object([]) }
            throw SQSError(.malformedResponse, "\(action) did not answer JSON")
        }
        return document
    }
}

/// A received SQS message.
public struct SQSMessage: Sendable, Equatable {
    public var messageID: String
    /// What ``SQSClient/deleteMessage(queueURL:receiptHandle:)`` needs; changes with every receive.
    public var receiptHandle: String
    public var body: String
    /// How many times SQS has delivered it (1 the first time; more after visibility timeouts).
    public var receiveCount: Int
}

extension SQSClient {
    /// The variables ``fromEnvironment(_:http:region:endpoint:)`` reads, as the AWS SDKs name them.
    public static let environmentNames = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    ]

    /// A client configured as the SDKs configure one: the region from `AWS_REGION` (or `AWS_DEFAULT_REGION`), the
    /// endpoint from `AWS_ENDPOINT_URL_SQS` or `AWS_ENDPOINT_URL` (else AWS's), credentials from the environment or
    /// the container endpoint. Throws `.credentials` saying what to set when the region or credentials are missing.
    public static func fromEnvironment(
        _ environment: [String: String], http: HTTPClient, region: String? = nil, endpoint: String? = nil
    ) throws(SQSError) -> SQSClient {
        guard let region = region ?? AWSCredentials.region(environment: environment) else {
            throw SQSError(.credentials, "set AWS_REGION for SQS")
        }
        guard let credentials = AWSCredentialChain.provider(environment: environment, http: http) else {
            throw SQSError(
                .credentials,
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or run where AWS_CONTAINER_CREDENTIALS_* is set)")
        }
        return SQSClient(
            http: http, credentials: credentials, region: region,
            endpoint: endpoint ?? environment["AWS_ENDPOINT_URL_SQS"] ?? environment["AWS_ENDPOINT_URL"])
    }
}
