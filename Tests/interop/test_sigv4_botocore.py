"""SigV4 by `pulse aws-sign` (Sources/PulseMarketData/AWS/SigV4Signer.swift) equals botocore's, byte for byte.

Each request is built by boto3 exactly as it would be sent (SQS's JSON protocol, API Gateway's management API
with its `@connections/{id}` paths), captured before signing, signed by botocore at a fixed time with fixed
credentials, and signed again by pulse from the captured method, URL, headers and body."""
import datetime
import os
import subprocess
from unittest import mock

import pytest

from conftest import pulse_binary, require_module

boto3 = require_module("boto3")
botocore_config = require_module("botocore.config")

WHEN = datetime.datetime(2024, 3, 15, 12, 34, 56)
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token/with=chars"


class Captured(Exception):
    pass


def capture(service, call, region="us-east-1", token=None, endpoint_url=None):
    client = boto3.client(
        service, region_name=region, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
        aws_session_token=token, endpoint_url=endpoint_url,
        config=botocore_config.Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    seen = {}

    def before_sign(request, **_):
        seen["method"], seen["url"] = request.method, request.url
        seen["headers"] = list(request.headers.items())
        body = request.body or b""
        seen["body"] = body.encode() if isinstance(body, str) else bytes(body)

    def before_send(request, **_):
        text = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        seen["authorization"] = text["Authorization"]
        seen["sent_headers"] = text
        raise Captured()

    client.meta.events.register("before-sign", before_sign)
    client.meta.events.register("before-send", before_send)
    with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN):
        with pytest.raises(Captured):
            call(client)
    return seen


def pulse_sign(seen, service, region, token, tmp_path):
    body_file = tmp_path / "body"
    body_file.write_bytes(seen["body"])
    args = [str(pulse_binary()), "aws-sign", "--service", service, "--region", region, "--method", seen["method"],
            "--url", seen["url"], "--body-file", str(body_file), "--date", WHEN.strftime("%Y%m%dT%H%M%SZ")]
    for name, value in seen["headers"]:
        value = value.decode() if isinstance(value, bytes) else value
        args += ["--header", f"{name}: {value}"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET)
    env.pop("AWS_SESSION_TOKEN", None)
    if token:
        env["AWS_SESSION_TOKEN"] = token
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    return dict(line.split(": ", 1) for line in result.stdout.splitlines())


QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/pulse-bars-ingested"

CASES = [
    ("sqs", "send", lambda c: c.send_message(QueueUrl=QUEUE, MessageBody='{"symbol":"IBM","count":390}')),
    ("sqs", "send-attributes", lambda c: c.send_message(
        QueueUrl=QUEUE, MessageBody="héllo  wörld\n", DelaySeconds=5,
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "bars ingested"}})),
    ("sqs", "receive", lambda c: c.receive_message(
        QueueUrl=QUEUE, MaxNumberOfMessages=10, WaitTimeSeconds=20, VisibilityTimeout=30,
        MessageSystemAttributeNames=["ApproximateReceiveCount"])),
    ("sqs", "delete", lambda c: c.delete_message(QueueUrl=QUEUE, ReceiptHandle="AQEB+abc/def==")),
    ("apigatewaymanagementapi", "post-raw-id", lambda c: c.post_to_connection(ConnectionId="abc=", Data=b'{"tick":1}')),
    ("apigatewaymanagementapi", "post-real-id", lambda c: c.post_to_connection(
        ConnectionId="L0SM9cOFvHcCIhw=", Data=b"x" * 3000)),
    ("apigatewaymanagementapi", "post-encoded-id", lambda c: c.post_to_connection(ConnectionId="a%3Db", Data=b"")),
    ("apigatewaymanagementapi", "get", lambda c: c.get_connection(ConnectionId="Zm9v+/bar=")),
    ("apigatewaymanagementapi", "delete", lambda c: c.delete_connection(ConnectionId="id with space")),
]

ENDPOINTS = {
    "sqs": [None, "http://127.0.0.1:9324"],
    "apigatewaymanagementapi": ["https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
                                "http://localhost:3001/dev/"],
}


@pytest.mark.parametrize("token", [None, TOKEN], ids=["long-term", "session-token"])
@pytest.mark.parametrize("service,name,call", CASES, ids=[c[1] for c in CASES])
def test_authorization_equals_botocore(service, name, call, token, tmp_path):
    region = "us-east-1" if service == "sqs" else "eu-west-1"
    signing_name = "sqs" if service == "sqs" else "execute-api"
    for endpoint in ENDPOINTS[service]:
        seen = capture(service, call, region=region, token=token, endpoint_url=endpoint)
        ours = pulse_sign(seen, signing_name, region, token, tmp_path)
        assert ours["Authorization"] == seen["authorization"], (seen["url"], seen["headers"])
        assert ours["X-Amz-Date"] == seen["sent_headers"]["X-Amz-Date"]
        if token:
            assert ours["X-Amz-Security-Token"] == token


def test_connection_path_is_quoted_once_more():
    """The note's example: a raw `@connections/abc=` path signs as `%40connections/abc%3D`, and a path already
    carrying `%3D` has its `%` encoded again."""
    args = [str(pulse_binary()), "aws-sign", "--service", "execute-api", "--region", "us-east-1", "--method", "POST",
            "--date", "20240315T123456Z", "--canonical"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET)
    env.pop("AWS_SESSION_TOKEN", None)
    raw = subprocess.run(args + ["--url", "https://h/prod/@connections/abc="], capture_output=True, text=True, env=env)
    assert raw.stdout.splitlines()[1] == "/prod/%40connections/abc%3D"
    encoded = subprocess.run(args + ["--url", "https://h/prod/%40connections/abc%3D"], capture_output=True, text=True,
                             env=env)
    assert encoded.stdout.splitlines()[1] == "/prod/%2540connections/abc%253D"
