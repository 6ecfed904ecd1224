"""A local stand-in for the Lambda Runtime API (2018-06-01), for testing `pulse lambda`'s loop.

Speaks what Lambda's own endpoint does for a custom runtime:
- GET  /2018-06-01/runtime/invocation/next       blocks until an invocation is queued, then answers its event
  with Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms, Lambda-Runtime-Invoked-Function-Arn and
  Lambda-Runtime-Trace-Id;
- POST /2018-06-01/runtime/invocation/{id}/response   202; 413 when the body is over --max-response bytes;
  400 for an id that was not handed out or is already answered;
- POST /2018-06-01/runtime/invocation/{id}/error      202 (Lambda-Runtime-Function-Error-Type recorded);
- POST /2018-06-01/runtime/init/error                 202.
Test control: POST /__enqueue {"id", "payload" (text), "deadline_in_ms", "trace"} queues an invocation;
GET /__results?count=N&wait=S waits up to S seconds for N outcomes and answers them as a JSON list of
{"id", "kind" (response|error|init_error), "body", "error_type"}.

Run: python3 fake_lambda_runtime.py [--port 0] [--port-file FILE] [--max-response BYTES]
"""
import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Condition()
queue = []
open_ids = set()
results = []
MAX_RESPONSE = 6 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/2018-06-01/runtime/invocation/next":
            with lock:
                while not queue:
                    lock.wait()
                item = queue.pop(0)
                open_ids.add(item["id"])
            headers = [
                ("Lambda-Runtime-Aws-Request-Id", item["id"]),
                ("Lambda-Runtime-Deadline-Ms", str(item["deadline_ms"])),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:pulse"),
                ("Content-Type", "application/json"),
            ]
            if item.get("trace"):
                headers.append(("Lambda-Runtime-Trace-Id", item["trace"]))
            self.answer(200, item["payload"].encode(), headers)
        elif url.path == "/__results":
            query = parse_qs(url.query)
            count = int(query.get("count", ["1"])[0])
            deadline = time.monotonic() + float(query.get("wait", ["30"])[0])
            with lock:
                while len(results) < count and time.monotonic() < deadline:
                    lock.wait(timeout=max(0.01, deadline - time.monotonic()))
                text = json.dumps(results)
            self.answer(200, text.encode(), [("Content-Type", "application/json")])
        else:
            self.answer(404)

    def do_POST(self):
        body = self.body()
        path = urlparse(self.path).path
        if path == "/__enqueue":
            item = json.loads(body)
            item["deadline_ms"] = int(time.time() * 1000) + int(item.pop("deadline_in_ms", 60000))
            with lock:
                queue.append(item)
                lock.notify_all()
            self.answer(200)
            return
        if path == "/2018-06-01/runtime/init/error":
            self.record(None, "init_error", body)
            self.answer(202, b'{"status":"OK"}')
            return
        match = re.fullmatch(r"/2018-06-01/runtime/invocation/([^/]+)/(response|error)", path)
        if not match:
            self.answer(404)
            return
        request_id, kind = match.groups()
        with lock:
            known = request_id in open_ids
        if not known:
            self.answer(400, b'{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}')
            return
        if kind == "response" and len(body) > MAX_RESPONSE:
            self.answer(413, b'{"errorMessage":"Exceeded maximum allowed payload size","errorType":"RequestEntityTooLarge"}')
            return
        with lock:
            open_ids.discard(request_id)
        self.record(request_id, kind, body)
        self.answer(202, b'{"status":"OK"}')

    def record(self, request_id, kind, body):
        with lock:
            results.append({
                "id": request_id, "kind": kind, "body": body.decode("utf-8", "replace"),
                "error_type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
            })
            lock.notify_all()


def main():
    global MAX_RESPONSE
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--max-response", type=int, default=MAX_RESPONSE)
    args = parser.parse_args()
    MAX_RESPONSE = args.max_response
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
