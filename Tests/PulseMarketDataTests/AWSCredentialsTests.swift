import Testing

@testable import PulseMarketData

@Suite("AWS credentials: environment, container endpoint, refresh")
struct AWSCredentialsTests {
    @Test("Environment variables, with and without a session token; region")
    func environment() {
        let env = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "S", "AWS_DEFAULT_REGION": "eu-west-1"]
        #expect(AWSCredentials(environment: env) == AWSCredentials(accessKeyID: "AKID", secretAccessKey: "S"))
        #expect(
            AWSCredentials(environment: env.merging(["AWS_SESSION_TOKEN": "T"]) { $1 })?.sessionToken == "T")
        #expect(AWSCredentials(environment: ["AWS_ACCESS_KEY_ID": "AKID"]) == nil)
        #expect(AWSCredentials.region(environment: env) == "eu-west-1")
        #expect(AWSCredentials.region(environment: env.merging(["AWS_REGION": "us-east-2"]) { $1 }) == "us-east-2")
    }

    @Test("The container endpoint is asked once, then again shortly before the credentials expire")
    func containerRefresh() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let clock = Clock(RedisRequestPacer.wallClock())
            let provider = ContainerCredentialsProvider(
                url: fake.root + "/credentials?ttl=600&token=secret-token", authorization: "secret-token",
                http: http, refreshBefore: .seconds(300), now: { clock.now })
            let first = try await provider.credentials()
            #expect(first.accessKeyID == "ASIA0001" && first.sessionToken == "token-1")
            _ = try await provider.credentials()
            #expect(provider.fetchCount == 1)
            clock.now += 200  // 400 s left: still good
            #expect(try await provider.credentials().accessKeyID == "ASIA0001")
            clock.now += 150  // 250 s left: inside the refresh window
            #expect(try await provider.credentials().accessKeyID == "ASIA0002")
            #expect(provider.fetchCount == 2)
        }
    }

    @Test("The chain: environment first, then AWS_CONTAINER_CREDENTIALS_FULL_URI with its token; a refused token")
    func chain() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let fromEnvironment = AWSCredentialChain.provider(
                environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "S"], http: http)
            #expect(try await fromEnvironment?.credentials().accessKeyID == "AKID")
            let container = try #require(
                AWSCredentialChain.provider(
                    environment: [
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI": fake.root + "/credentials?token=t0k",
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t0k",
                    ], http: http))
            #expect(try await container.credentials().accessKeyID.hasPrefix("ASIA"))
            let refused = ContainerCredentialsProvider(
                url: fake.root + "/credentials?token=right", authorization: "wrong", http: http)
            do {
                _ = try await refused.credentials()
                Issue.record("a refused token gave credentials")
            } catch {
                #expect(String(describing: error).contains("403"))
            }
            #expect(AWSCredentialChain.provider(environment: [:], http: http) == nil)
            #expect(
                (ContainerCredentialsProvider(
                    environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"], http: http) != nil))
        }
    }
}
