"""A local API Gateway Management API (`POST /{stage}/@connections/{id}`) that checks every request's SigV4
with botocore, as API Gateway would, and answers 410 Gone for connections it is told are gone.

botocore recomputes the signature from the request as received: the headers named in `SignedHeaders`, the
path, the body and the `X-Amz-Date` time, with the known secret (and session token). A request whose
signature differs gets 403 and is counted; moto's stand-in checks no signature and never answers 410.
"""
import datetime
import threading
from urllib.parse import unquote
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def expected_authorization(method, url, headers, body, key_id, secret, token, region, service="execute-api"):
    """The Authorization header botocore computes for this request, signing the headers the sender signed."""
    authorization = headers.get("Authorization", "")
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";") if "SignedHeaders=" in authorization else []
    kept = {name: value for name, value in headers.items() if name.lower() in signed and name.lower() != "host"}
    request = AWSRequest(method=method, url=url, data=body, headers=kept)
    when = datetime.datetime.strptime(headers.get("X-Amz-Date", "19700101T000000Z"), "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        SigV4Auth(Credentials(key_id, secret, token), service, region).add_auth(request)
    return request.headers["Authorization"]


class FakeConnections:
    def __init__(self, key_id, secret, token=None, region="us-east-1", gone=()):
        self.key_id, self.secret, self.token, self.region = key_id, secret, token, region
        self.gone = set(gone)
        self.lock = threading.Condition()
        self.posts = []          # (connection id, body bytes) of accepted posts
        self.gone_posts = []     # connection ids answered 410
        self.trace_ids = []      # X-Amzn-Trace-Id of each accepted post (None when absent)
        self.bad_signatures = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name: value for name, value in self.headers.items()}
                url = f"http://{self.headers['Host']}{self.path}"
                status = outer.check(self.path, url, headers, body)
                reply = b"" if status == 200 else b'{"message":"%d"}' % status
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def check(self, path, url, headers, body):
        token_ok = headers.get("X-Amz-Security-Token") == self.token
        expected = expected_authorization("POST", url, headers, body, self.key_id, self.secret, self.token,
                                          self.region)
        with self.lock:
            if not token_ok or expected != headers.get("Authorization"):
                self.bad_signatures += 1
                self.lock.notify_all()
                return 403
            connection = unquote(path.rsplit("/@connections/", 1)[-1])
            if connection in self.gone:
                self.gone_posts.append(connection)
                self.lock.notify_all()
                return 410
            self.posts.append((connection, body))
            self.trace_ids.append(headers.get("X-Amzn-Trace-Id"))
            self.lock.notify_all()
            return 200

    def wait_for(self, predicate, timeout):
        with self.lock:
            return self.lock.wait_for(lambda: predicate(self), timeout=timeout)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
