"""`pulse sqs` (the project's SQS client: JSON protocol, SigV4, libcurl on the loop) against the moto server:
send, long-poll receive, redelivery after the visibility timeout, delete, a poison message moved to the
dead-letter queue after N receives, and SQS's error for a missing queue."""
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import pulse_binary, require_module

boto3 = require_module("boto3")
moto_server = require_module("moto.server")


@pytest.fixture(scope="module")
def endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


ENV = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")


@pytest.fixture
def sqs(endpoint):
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def pulse_sqs(endpoint, queue, *args):
    env = dict(os.environ, **ENV, AWS_ENDPOINT_URL_SQS=endpoint)
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run([str(pulse_binary()), "sqs", args[0], "--queue-url", queue, *args[1:]],
                          capture_output=True, text=True, env=env, timeout=60)


def receive(endpoint, queue, *args):
    result = pulse_sqs(endpoint, queue, "receive", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_round_trip_redelivery_and_delete(endpoint, sqs):
    queue = sqs.create_queue(QueueName="bars-ingested")["QueueUrl"]
    event = {"type": "bars_ingested", "version": 1, "symbol": "IBM", "timeframe": "1m",
             "from": "2024-03-01T09:00:00Z", "to": "2024-03-28T23:59:00Z", "count": 19200, "note": "é \"q\"\n"}
    body = json.dumps(event)
    sent = pulse_sqs(endpoint, queue, "send", "--body", body)
    assert sent.returncode == 0, sent.stderr
    first = receive(endpoint, queue, "--wait", "1", "--visibility-timeout", "1")
    assert len(first) == 1
    assert first[0]["body"] == body and first[0]["message_id"] == sent.stdout.strip()
    assert first[0]["receive_count"] == 1
    assert receive(endpoint, queue, "--wait", "0") == []  # invisible while being handled
    time.sleep(1.5)
    again = receive(endpoint, queue, "--wait", "1", "--visibility-timeout", "30")
    assert [m["message_id"] for m in again] == [first[0]["message_id"]]
    assert again[0]["receive_count"] == 2  # redelivered after the visibility timeout
    deleted = pulse_sqs(endpoint, queue, "delete", "--receipt-handle", again[0]["receipt_handle"])
    assert deleted.returncode == 0, deleted.stderr
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_boto3_sees_what_pulse_sends_and_pulse_receives_what_boto3_sends(endpoint, sqs):
    queue = sqs.create_queue(QueueName="interop")["QueueUrl"]
    assert pulse_sqs(endpoint, queue, "send", "--body", "from pulse").returncode == 0
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["from pulse"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=got[0]["ReceiptHandle"])
    for i in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=f"from boto3 {i}")
    bodies = sorted(m["body"] for m in receive(endpoint, queue, "--wait", "1", "--max", "10"))
    assert bodies == [f"from boto3 {i}" for i in range(3)]


def test_poison_message_goes_to_the_dead_letter_queue(endpoint, sqs):
    dead = sqs.create_queue(QueueName="bars-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName="bars-with-dlq", Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "2"})})["QueueUrl"]
    assert pulse_sqs(endpoint, queue, "send", "--body", "poison").returncode == 0
    for attempt in (1, 2):  # a consumer that fails and never deletes
        got = receive(endpoint, queue, "--wait", "1", "--visibility-timeout", "1")
        assert [(m["body"], m["receive_count"]) for m in got] == [("poison", attempt)]
        time.sleep(1.5)
    assert receive(endpoint, queue, "--wait", "1") == []
    moved = sqs.receive_message(QueueUrl=dead, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in moved] == ["poison"]


def test_long_poll_on_an_empty_queue_and_a_missing_queue(endpoint, sqs):
    queue = sqs.create_queue(QueueName="quiet")["QueueUrl"]
    started = time.monotonic()
    assert receive(endpoint, queue, "--wait", "2") == []
    assert time.monotonic() - started < 15
    missing = pulse_sqs(endpoint, queue.replace("quiet", "nope"), "send", "--body", "x")
    assert missing.returncode == 1
    assert "QueueDoesNotExist" in missing.stderr or "NonExistentQueue" in missing.stderr, missing.stderr
    assert "testing" not in missing.stderr
