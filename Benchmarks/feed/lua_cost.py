"""Redis CPU per appended tick for append-script shapes, measured with INFO cpu around 200,000 ticks sent by this
(Python, raw RESP) client, so only Redis' side counts: "old" = seven text fields and MAXLEN ~ per XADD (the tick log
before), "new" = one packed 48-byte field and one trim per batch (the tick log now), "new+maxlen" = packed with MAXLEN ~
on every XADD. Usage: python3 Benchmarks/feed/lua_cost.py REDIS_PORT [BATCH]   (a Redis you started; it writes keys
s and e). Compare with redis-benchmark's own cost per XADD measured the same way."""
import re
import socket, struct, time, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        if not isinstance(a, bytes): a = str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
def read():
    line = f.readline()
    t = line[:1]
    if t in b"+-:": 
        if t == b"-": raise Exception(line)
        return line[1:-2]
    if t == b"$":
        n = int(line[1:-2]); 
        if n < 0: return None
        d = f.read(n+2); return d[:-2]
    if t == b"*":
        n = int(line[1:-2]); return [read() for _ in range(n)]
def call(*a):
    s.sendall(cmd(*a)); return read()
OLD = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('FENCED') end
local maxlen = ARGV[2]
for i = 4, #ARGV, 7 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, ARGV[i], 't', ARGV[i + 1], 'p', ARGV[i + 2],
   's', ARGV[i + 3], 'b', ARGV[i + 4], 'a', ARGV[i + 5], 'i', ARGV[i + 6])
end
return 1
"""
NEW = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('FENCED') end
local n = 0
for r = 4, #ARGV, 2 do
  local first = tonumber(ARGV[r]); local blob = ARGV[r + 1]
  for i = 0, #blob / 48 - 1 do
    redis.call('XADD', KEYS[1], string.format('%d-0', first + i), 'tick', string.sub(blob, i * 48 + 1, i * 48 + 48))
  end
  n = n + #blob / 48
end
redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[2])
return n
"""
NEWMAX = NEW.replace("redis.call('XADD', KEYS[1], string", "redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], string")
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 200
total = 200000
for name, src in (("old", OLD), ("new", NEW), ("new+maxlen", NEWMAX)):
    call("DEL", "s", "e"); call("SET", "e", "1")
    sha = call("SCRIPT", "LOAD", src)
    seq = 1
    t0 = time.time()
    pend = 0
    buf = b""
    batches = []
    while seq <= total:
        if name == "old":
            args = []
            for k in range(batch):
                args += [f"{seq+k}-0", 1700000000123, 215.31, 100.0, 215.3, 215.32, 1700000000123456]
            batches.append(cmd("EVALSHA", sha, 2, "s", "e", 1, 100000, 0, *args))
        else:
            blob = b"".join(struct.pack("<qddddq", 1700000000123, 215.31, 100.0, 215.3, 215.32, 1700000000123456) for _ in range(batch))
            batches.append(cmd("EVALSHA", sha, 2, "s", "e", 1, 100000, 0, seq, blob))
        seq += batch
    info = call("INFO", "cpu").decode()
    c0 = sum(float(x) for x in re.findall(r"used_cpu_(?:sys|user):([0-9.]+)", info))
    t0 = time.time()
    # pipeline 5 at a time
    for i in range(0, len(batches), 5):
        s.sendall(b"".join(batches[i:i+5]))
        for _ in batches[i:i+5]: read()
    el = time.time() - t0
    info = call("INFO", "cpu").decode()
    c1 = sum(float(x) for x in re.findall(r"used_cpu_(?:sys|user):([0-9.]+)", info))
    print(name, f"{total/el:,.0f} ticks/s wall; redis cpu {1e6*(c1-c0)/total:.2f} us/tick", call("XLEN", "s"))
