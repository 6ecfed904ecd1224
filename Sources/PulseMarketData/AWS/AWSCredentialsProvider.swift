import PulseAnalytics
import Synchronization

/// Where signing credentials come from, looked up before each request (cached by the provider).
public protocol AWSCredentialsProvider: Sendable {
    func credentials() async throws(AWSCredentialsError) -> AWSCredentials
}

/// Credentials that could not be found or fetched. Never holds a secret.
public struct AWSCredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "AWS credentials: \(message)" }
}

/// Fixed credentials (environment variables, Lambda's environment: Lambda rotates them by restarting).
public struct StaticCredentialsProvider: AWSCredentialsProvider {
    public let value: AWSCredentials
    public init(_ value: AWSCredentials) { self.value = value }
    public func credentials() async throws(AWSCredentialsError) -> AWSCredentials { value }
}

/// The ECS task role (and any container credentials endpoint): `GET http://169.254.170.2` +
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, or `AWS_CONTAINER_CREDENTIALS_FULL_URI` with
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN` as the `Authorization` header. The answer
/// (`{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`) is cached and fetched again `refreshBefore`
/// its expiry, so a request never signs with credentials about to lapse; concurrent callers share one fetch.
public final class ContainerCredentialsProvider: AWSCredentialsProvider {
    public static let ecsHost = "http://169.254.170.2"

    private let url: String
    private let authorization: String?
    private let http: HTTPClient
    private let refreshBefore: Duration
    private let now: @Sendable () -> Int64
    private let cache = Mutex<(AWSCredentials, expires: Int64)?>(nil)
    private let fetches = Atomic<Int>(0)

    public init(
        url: String, authorization: String? = nil, http: HTTPClient, refreshBefore: Duration = .seconds(300),
        now: @escaping @Sendable () -> Int64 = RedisRequestPacer.wallClock
    ) {
        self.url = url
        self.authorization = authorization
        self.http = http
        self.refreshBefore = refreshBefore
        self.now = now
    }

    /// The provider the environment describes, or nil when it names no container endpoint.
    public convenience init?(environment: [String: String], http: HTTPClient) {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            self.init(url: Self.ecsHost + relative, http: http)
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            self.init(url: full, authorization: environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], http: http)
        } else {
            return nil
        }
    }

    /// How many times the endpoint was asked (tests).
    public var fetchCount: Int { fetches.load(ordering: .relaxed) }

    public func credentials() async throws(AWSCredentialsError) -> AWSCredentials {
        let margin = Int64(refreshBefore.components.seconds)
        if let (value, expires) = cache.withLock({ $0 }), now() < expires - margin { return value }
        let fetched = try await fetch()
        cache.withLock { $0 = fetched }
        return fetched.0
    }

    private func fetch() async throws(AWSCredentialsError) -> (AWSCredentials, expires: Int64) {
        fetches.add(1, ordering: .relaxed)
        let response: HTTPResponse
        do {
            response = try await http.get(
                url, headers: authorization.map { [HTTPHeader("Authorization", $0)] } ?? [], timeout: .seconds(5))
        } catch {
            throw AWSCredentialsError("the container credentials endpoint did not answer (\(error.code))")
        }
        guard response.status == 200 else {
            throw AWSCredentialsError("the container credentials endpoint answered HTTP \(response.status)")
        }
        guard let document = try? JSONValue.parse(response.body), let id = document["AccessKeyId"]?.string,
            let secret = document["SecretAccessKey"]?.string
        else { throw AWSCredentialsError("the container credentials endpoint answered no credentials") }
        let expires = document["Expiration"]?.string.flatMap { TimestampParser.parse($0) } ?? Int64.max
        return (
            AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: document["Token"]?.string), expires
        )
    }
}

/// The SDKs' order: environment variables (also Lambda's), then the container endpoint (ECS task role).
public enum AWSCredentialChain {
    public static func provider(environment: [String: String], http: HTTPClient) -> (any AWSCredentialsProvider)? {
        if let value = AWSCredentials(environment: environment) { return StaticCredentialsProvider(value) }
        return ContainerCredentialsProvider(environment: environment, http: http)
    }
}
