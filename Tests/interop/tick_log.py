"""The tick log read straight from Redis (its own protocol over a socket, not through pulse): each entry of
`tick:{SYMBOL}` is `<sequence>-0` with one field, `tick`, 48 bytes little-endian (Protocol/README.md):
time_ms int64, price, size, bid, ask float64, ingest_time_us int64 — decoded here with Python's struct module."""
import socket
import struct

PACKED = struct.Struct("<qddddq")
FIELDS = ("t", "p", "s", "b", "a", "i")


def _command(port, *args):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        request = b"*%d\r\n" % len(args)
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            request += b"$%d\r\n%s\r\n" % (len(data), data)
        conn.sendall(request)
        return _reply(conn.makefile("rb"))


def _reply(stream):
    line = stream.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind in (b"+", b":"):
        return rest
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else stream.read(size + 2)[:-2]
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [_reply(stream) for _ in range(size)]
    raise RuntimeError(f"unexpected Redis reply {line!r}")


def decode(fields):
    """An entry's field list as {t, p, s, b, a, i}."""
    values = dict(zip(fields[::2], fields[1::2]))
    packed = values[b"tick"]
    assert len(packed) == PACKED.size, f"a packed tick is {PACKED.size} bytes, not {len(packed)}"
    return dict(zip(FIELDS, PACKED.unpack(packed)))


def entries(port, symbol, start="-", end="+"):
    """`XRANGE tick:{symbol} start end` as [(sequence, {t, p, s, b, a, i})]."""
    reply = _command(port, "XRANGE", f"tick:{{{symbol}}}", start, end)
    out = []
    for entry_id, fields in reply:
        sequence, _, suffix = entry_id.decode().partition("-")
        assert suffix == "0", f"entry id {entry_id!r} is not <sequence>-0"
        out.append((int(sequence), decode(fields)))
    return out


def prices(port, symbol):
    """{sequence: price} of the whole of `tick:{symbol}`."""
    return {sequence: tick["p"] for sequence, tick in entries(port, symbol)}


def latest(port, symbol):
    """The newest entry of `tick:{symbol}` as (sequence, {t, p, s, b, a, i}), or None when the stream is empty."""
    reply = _command(port, "XREVRANGE", f"tick:{{{symbol}}}", "+", "-", "COUNT", 1)
    if not reply:
        return None
    entry_id, fields = reply[0]
    return int(entry_id.decode().partition("-")[0]), decode(fields)
