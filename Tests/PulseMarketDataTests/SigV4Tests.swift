import Testing

@testable import PulseMarketData

@Suite("SHA-256, HMAC-SHA256 and SigV4")
struct SigV4Tests {
    @Test(
        "SHA-256: NIST FIPS 180 examples and hashlib",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ])
    func sha256(text: String, digest: String) {
        #expect(SHA256.hexHash(text) == digest)
    }

    @Test("SHA-256 of long inputs, in one piece or many")
    func sha256Long() {
        #expect(
            SHA256.hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let bytes = Array((0..<3).flatMap { _ in (0...255).map { UInt8($0) } })
        let expected = "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363"  // hashlib
        #expect(SHA256.hex(SHA256.hash(bytes)) == expected)
        for split in [1, 55, 56, 63, 64, 65, 700] {
            var hasher = SHA256()
            hasher.update(bytes[..<split])
            hasher.update(bytes[split...])
            #expect(SHA256.hex(hasher.finalize()) == expected)
        }
    }

    @Test("HMAC-SHA256: RFC 4231 cases 1, 2 and 6, and Python's hmac")
    func hmac() {
        func mac(_ key: [UInt8], _ message: String) -> String {
            SHA256.hex(HMACSHA256.authenticationCode(key: key, message: message))
        }
        #expect(
            mac([UInt8](repeating: 0x0b, count: 20), "Hi There")
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            mac(Array("Jefe".utf8), "what do ya want for nothing?")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            mac([UInt8](repeating: 0xaa, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First")
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        #expect(
            mac(Array("key".utf8), "The quick brown fox jumps over the lazy dog")
                == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    let time = utc("2015-08-30 12:36:00")

    @Test("AWS's get-vanilla example")
    func getVanilla() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let headers = signer.sign(
            method: "GET", url: "https://example.amazonaws.com/", headers: [], body: [], time: time)
        #expect(headers.first { $0.name == "X-Amz-Date" }?.value == "20150830T123600Z")
        #expect(
            headers.last?.value
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
    }

    @Test("Dot segments, repeated query names, whitespace in values and a session token, as botocore signs them")
    func messyRequest() {
        var withToken = credentials
        withToken.sessionToken = "TOKEN"
        let signer = SigV4Signer(credentials: withToken, region: "us-east-1", service: "service")
        let headers = signer.sign(
            method: "POST", url: "https://example.amazonaws.com/a/./b/../c//d?b=2&a=1&a=0",
            headers: [HTTPHeader("X-Amz-Target", "  x   y "), HTTPHeader("Content-Type", "application/json")],
            body: Array("{}".utf8), time: time)
        // botocore 1.44.8's SigV4Auth on the same request.
        #expect(
            headers.last?.value
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
                + "Signature=3ef75034d5f39caae407ce0b44f366f3f384e980dc2c768c08dc890022bcfe8d")
        #expect(headers.contains(HTTPHeader("X-Amz-Security-Token", "TOKEN")))
        #expect(!withToken.description.contains("wJalr") && !withToken.description.contains("TOKEN"))
    }

    @Test(
        "@connections paths: the id encoded as boto3 sends it, the path encoded once more to sign",
        arguments: [
            ("abc=", "/prod/@connections/abc%3D", "/prod/%40connections/abc%253D"),
            ("a%3Db", "/prod/@connections/a%253Db", "/prod/%40connections/a%25253Db"),
            ("id with space", "/prod/@connections/id%20with%20space", "/prod/%40connections/id%2520with%2520space"),
        ])
    func connectionPaths(id: String, sent: String, canonical: String) {
        let url = APIGatewayManagement.connectionURL(
            endpoint: "https://abc.execute-api.eu-west-1.amazonaws.com/prod/", connectionID: id)
        #expect(url == "https://abc.execute-api.eu-west-1.amazonaws.com" + sent)
        let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "execute-api")
        let (request, _) = signer.canonicalRequest(method: "POST", url: url, headers: [], body: [])
        #expect(request.split(separator: "\n")[1] == canonical)
        #expect(SigV4Signer.quote("/prod/@connections/abc=") == "/prod/%40connections/abc%3D")
    }

    @Test("Host: default ports dropped, others kept, user info removed")
    func host() {
        #expect(
            URLParts("https://u:p@Sqs.US-east-1.amazonaws.com:443/q").canonicalHost == "sqs.us-east-1.amazonaws.com")
        #expect(URLParts("http://127.0.0.1:9324/").canonicalHost == "127.0.0.1:9324")
        #expect(URLParts("http://h").path == "" && SigV4Signer.removeDotSegments("") == "/")
    }
}
