"""A local stand-in for Alpha Vantage's /query endpoint, speaking its exact response shapes.

Serves the fixtures (Tests/interop/fixtures/alphavantage, copied from ../shared/fixtures/alphavantage; or
$PULSE_AV_FIXTURES) for the small cases and
generates larger responses in the same shapes, deterministically from the request:
- TIME_SERIES_INTRADAY&month=YYYY-MM: every NYSE session of the month (weekdays, Good Friday 2024-03-29 off),
  04:00-19:59 US/Eastern with extended_hours=true (default) or 09:30-15:59, at the requested interval, newest
  first. 2024-03 crosses the start of daylight saving time (2024-03-10).
- TIME_SERIES_DAILY for symbol SPLT: 2023-06-01..2024-05-31 with a 2-for-1 split on 2024-02-15 (raw prices halve).
- datatype=csv: the same data as CSV with CRLF line ends, newest first. Errors stay JSON, as Alpha Vantage does.
GLOBAL_QUOTE for a symbol starting MOVE moves on every call: call n answers price 100 + 0.01·n and day volume
1000·n (the fixture's shape; a live feed sees a new trade each poll).
Special symbols give the error shapes: BADCALL (Error Message), PREMIUM (premium Information), QUOTA (daily
quota Information), NOTE<n> (the legacy Note for the first n calls per key, then data).
GET /__stats returns {"requests": n, "by_symbol": {...}}; GET /__reset clears the counters.
GET /__quota?apikey=K&allow=N lets key K make N more data calls, after which every call gets the daily-quota
Information (as a spent free key does); without allow the key is unlimited again.

Run: python3 fake_alphavantage.py [--port 0] [--port-file FILE]  (prints the port it bound).
"""
import argparse
import json
import os
import pathlib
import random
import sys
import threading
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = pathlib.Path(os.environ.get("PULSE_AV_FIXTURES", HERE / "fixtures" / "alphavantage"))

HOLIDAYS = {date(2024, 3, 29), date(2024, 1, 1), date(2024, 1, 15), date(2024, 2, 19), date(2023, 6, 19),
            date(2023, 7, 4), date(2023, 9, 4), date(2023, 11, 23), date(2023, 12, 25), date(2024, 5, 27)}


def sessions(first: date, last: date):
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in HOLIDAYS:
            yield day
        day += timedelta(days=1)


def walk(rng, price, n):
    """n OHLCV rows (as strings) of a random walk starting at price."""
    rows = []
    for _ in range(n):
        open_ = price
        close = max(0.01, open_ * (1 + rng.gauss(0, 0.0015)))
        high = max(open_, close) * (1 + abs(rng.gauss(0, 0.0005)))
        low = min(open_, close) * (1 - abs(rng.gauss(0, 0.0005)))
        rows.append((f"{open_:.4f}", f"{high:.4f}", f"{low:.4f}", f"{close:.4f}", str(rng.randint(100, 50000))))
        price = close
    return rows, price


def intraday(symbol, interval, month, extended):
    minutes = int(interval.removesuffix("min"))
    year, mon = map(int, month.split("-"))
    first = date(year, mon, 1)
    last = (date(year + mon // 12, mon % 12 + 1, 1)) - timedelta(days=1)
    rng = random.Random(f"{symbol}/{interval}/{month}/{extended}")
    start, end = ((4, 0), (20, 0)) if extended else ((9, 30), (16, 0))
    stamps = []
    for day in sessions(first, last):
        t = datetime(day.year, day.month, day.day, *start)
        stop = datetime(day.year, day.month, day.day, *end)
        while t < stop:
            stamps.append(t.strftime("%Y-%m-%d %H:%M:%S"))
            t += timedelta(minutes=minutes)
    rows, _ = walk(rng, 150.0, len(stamps))
    pairs = list(zip(stamps, rows))
    pairs.reverse()  # newest first, as Alpha Vantage sends them
    meta = {
        "1. Information": f"Intraday ({interval}) open, high, low, close prices and volume",
        "2. Symbol": symbol,
        "3. Last Refreshed": pairs[0][0],
        "4. Interval": interval,
        "5. Output Size": "Full size",
        "6. Time Zone": "US/Eastern",
    }
    return meta, f"Time Series ({interval})", pairs


def daily_with_split(symbol):
    rng = random.Random(f"{symbol}/daily")
    days = list(sessions(date(2023, 6, 1), date(2024, 5, 31)))
    rows = []
    price = 300.0
    for day in days:
        if day == date(2024, 2, 15):
            price /= 2  # 2-for-1 split: the raw series halves overnight
        row, price = walk(rng, price, 1)
        rows.append((day.isoformat(), row[0]))
    rows.reverse()
    meta = {
        "1. Information": "Daily Prices (open, high, low, close) and Volumes",
        "2. Symbol": symbol,
        "3. Last Refreshed": rows[0][0],
        "4. Output Size": "Full size",
        "5. Time Zone": "US/Eastern",
    }
    return meta, "Time Series (Daily)", rows


def series_json(meta, key, pairs):
    names = ("1. open", "2. high", "3. low", "4. close", "5. volume")
    body = {"Meta Data": meta, key: {stamp: dict(zip(names, row)) for stamp, row in pairs}}
    return json.dumps(body, indent=4)


def series_csv(pairs):
    lines = ["timestamp,open,high,low,close,volume"] + [",".join((stamp, *row)) for stamp, row in pairs]
    return "\r\n".join(lines) + "\r\n"


def fixture_series(name):
    """The pairs of a fixture file, for its CSV form when no CSV fixture exists."""
    data = json.loads((FIXTURES / name).read_bytes().decode())
    key = next(k for k in data if k.startswith("Time Series"))
    return [(stamp, tuple(v for k, v in sorted(row.items()) if k[0] in "12345")) for stamp, row in data[key].items()]


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.by_symbol = {}
        self.notes = {}
        self.credentials = 0
        self.allowance = {}
        self.quotes = {}


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, text, content_type="application/json"):
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/__stats":
            with STATE.lock:
                return self.send(json.dumps({"requests": STATE.requests, "by_symbol": STATE.by_symbol}))
        if url.path == "/__reset":
            with STATE.lock:
                STATE.requests, STATE.by_symbol, STATE.notes, STATE.allowance, STATE.quotes = 0, {}, {}, {}, {}
            return self.send("{}")
        if url.path == "/__quota":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            with STATE.lock:
                if "allow" in q:
                    STATE.allowance[q.get("apikey", "")] = int(q["allow"])
                else:
                    STATE.allowance.pop(q.get("apikey", ""), None)
            return self.send("{}")
        if url.path == "/echo":  # for HTTP client tests: the request's headers back as JSON
            return self.send(json.dumps({"path": self.path, "headers": dict(self.headers.items())}))
        if url.path == "/status":
            code = int(parse_qs(url.query).get("code", ["500"])[0])
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if url.path == "/credentials":  # a container credentials endpoint (ECS task role shape)
            q = parse_qs(url.query)
            wanted = q.get("token", [None])[0]
            if wanted and self.headers.get("Authorization") != wanted:
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with STATE.lock:
                STATE.credentials += 1
                n = STATE.credentials
            ttl = int(q.get("ttl", ["3600"])[0])
            expires = (datetime.utcnow() + timedelta(seconds=ttl)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return self.send(json.dumps({"RoleArn": "arn:aws:iam::123456789012:role/pulse", "AccessKeyId": f"ASIA{n:04d}",
                                         "SecretAccessKey": f"secret-{n}", "Token": f"token-{n}",
                                         "Expiration": expires}))
        if url.path == "/slow":
            import time
            time.sleep(float(parse_qs(url.query).get("seconds", ["5"])[0]))
            return self.send("{}")
        if url.path != "/query":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        symbol = q.get("symbol", q.get("keywords", ""))
        with STATE.lock:
            STATE.requests += 1
            STATE.by_symbol[symbol] = STATE.by_symbol.get(symbol, 0) + 1
        self.answer(q, symbol)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.send(json.dumps({"method": "POST", "body": body.decode(), "headers": dict(self.headers.items())}))

    def answer(self, q, symbol):
        function = q.get("function", "")
        csv = q.get("datatype") == "csv"
        if not q.get("apikey"):
            return self.send(json.dumps({"Error Message": "the parameter apikey is invalid or missing. Please "
                                         "claim your free API key on (https://www.alphavantage.co/support/#api-key)."}))
        if symbol == "BADCALL" or function not in ("GLOBAL_QUOTE", "TIME_SERIES_INTRADAY", "TIME_SERIES_DAILY",
                                                     "SYMBOL_SEARCH"):
            return self.send((FIXTURES / "error_invalid_call.json").read_bytes().decode())
        if symbol == "PREMIUM":
            return self.send((FIXTURES / "premium_endpoint_information.json").read_bytes().decode())
        if symbol == "QUOTA":
            return self.send((FIXTURES / "rate_limit_information.json").read_bytes().decode())
        with STATE.lock:
            left = STATE.allowance.get(q["apikey"])
            if left is not None:
                STATE.allowance[q["apikey"]] = left - 1
        if left is not None and left <= 0:
            return self.send((FIXTURES / "rate_limit_information.json").read_bytes().decode())
        if symbol.startswith("NOTE"):
            with STATE.lock:
                seen = STATE.notes.get((q["apikey"], symbol), 0)
                STATE.notes[(q["apikey"], symbol)] = seen + 1
            if seen < int(symbol[4:] or "1"):
                return self.send((FIXTURES / "note_legacy_rate_limit.json").read_bytes().decode())
        if function == "GLOBAL_QUOTE" and symbol.startswith("MOVE"):
            with STATE.lock:
                n = STATE.quotes.get(symbol, 0) + 1
                STATE.quotes[symbol] = n
            quote = json.loads((FIXTURES / "global_quote.json").read_bytes().decode())
            fields = quote["Global Quote"]
            fields["01. symbol"] = symbol
            fields["05. price"] = f"{100 + 0.01 * n:.4f}"
            fields["06. volume"] = str(1000 * n)
            return self.send(json.dumps(quote, indent=4))
        if function == "GLOBAL_QUOTE":
            if csv:
                return self.send((FIXTURES / "global_quote.csv").read_bytes().decode(), "application/x-download")
            return self.send((FIXTURES / "global_quote.json").read_bytes().decode())
        if function == "SYMBOL_SEARCH":
            return self.send((FIXTURES / "symbol_search.json").read_bytes().decode())
        if function == "TIME_SERIES_DAILY":
            if symbol == "IBM":
                if csv:
                    return self.send(series_csv(fixture_series("time_series_daily.json")), "application/x-download")
                return self.send((FIXTURES / "time_series_daily.json").read_bytes().decode())
            meta, key, pairs = daily_with_split(symbol)
        else:
            interval = q.get("interval", "")
            if interval not in ("1min", "5min", "15min", "30min", "60min"):
                return self.send((FIXTURES / "error_invalid_call.json").read_bytes().decode())
            if symbol == "IBM" and interval == "5min" and "month" not in q:
                if csv:
                    return self.send((FIXTURES / "time_series_intraday_5min.csv").read_bytes().decode(), "application/x-download")
                return self.send((FIXTURES / "time_series_intraday_5min.json").read_bytes().decode())
            meta, key, pairs = intraday(symbol, interval, q.get("month", "2024-03"),
                                        q.get("extended_hours", "true") == "true")
            if q.get("outputsize", "compact") == "compact":
                pairs = pairs[:100]
        if csv:
            return self.send(series_csv(pairs), "application/x-download")
        return self.send(series_json(meta, key, pairs))


def make_server(port=0, tls=None):
    """The fake on 127.0.0.1; `tls` = (certificate file, key file) serves HTTPS (TLS 1.2+) instead."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    if tls:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(*map(str, tls))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    args = parser.parse_args()
    server = make_server(args.port)
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        pathlib.Path(tmp).write_text(str(port))
        os.replace(tmp, args.port_file)
    print(port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
