/// AWS credentials as the SDKs find them in the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN` (temporary credentials: Lambda's environment, assumed roles) and `AWS_REGION` (or
/// `AWS_DEFAULT_REGION`). The description shows the key id only.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The credentials of `environment`, or nil when the key id or the secret is missing.
    public init?(environment: [String: String]) {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else { return nil }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    public static func region(environment: [String: String]) -> String? {
        (environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String {
        "AWSCredentials(\(accessKeyID), secret: REDACTED\(sessionToken == nil ? "" : ", session token: REDACTED"))"
    }
}
