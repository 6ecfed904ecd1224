"""Renders AWS's sample events with aws-sam-cli's own generator (see README.md)."""
import hashlib, json, sys
sys.path[:0] = sys.argv[2:]  # the unpacked aws-sam-cli wheel, and chevron
from samcli.lib.generated_sample_events import events
lib = events.Events()
out = sys.argv[1]
for service, kind, name, extra in [
    ("apigateway", "aws-proxy", "sam-apigateway-aws-proxy.json", {}),
    ("apigateway", "http-api-proxy", "sam-apigateway-http-api-proxy.json", {}),
    ("sqs", "receive-message", "sam-sqs-receive-message.json", {}),
    ("cloudwatch", "scheduled-event", "sam-cloudwatch-scheduled-event.json", {}),
    ("apigateway", "aws-proxy", "sam-apigateway-aws-proxy-get-quote.json",
     {"method": "GET", "path": "quotes/AAPL", "body": "", "querystringparameters": "{}"}),
    ("apigateway", "http-api-proxy", "sam-apigateway-http-api-get-quote.json",
     {"method": "GET", "path": "quotes/AAPL", "body": ""}),
    ("sqs", "receive-message", "sam-sqs-bars-ingested.json",
     {"body": '{"type":"bars_ingested","version":1,"symbol":"IBM","timeframe":"1m","from":"2024-03-01T14:30:00Z","to":"2024-03-01T14:34:00Z","count":5}'}),
]:
    tags = lib.event_mapping[service][kind]["tags"]
    values = {k.replace("-", "_"): v["default"] for k, v in tags.items()}
    values.update(extra)
    body = values.get("body")
    if service == "sqs" and "{" in body:
        # generate-event substitutes the body unescaped: escape it for JSON, then put back the MD5 of the real body.
        values["body"] = json.dumps(body)[1:-1]
    text = lib.generate_event(service, kind, values)
    if service == "sqs" and "{" in body:
        doc = json.loads(text)
        doc["Records"][0]["md5OfBody"] = hashlib.md5(body.encode()).hexdigest()
        text = json.dumps(doc, indent=2)
    json.loads(text)
    open(f"{out}/{name}", "w").write(text + "\n")
    print(name, len(text))
