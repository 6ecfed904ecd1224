"""Confirms gRPC-level success on a server h2load just loaded: h2load counts a `grpc-status` error sent
with HTTP 200 as a success, so this makes real calls with grpcio and checks status and payload.

Usage: python grpc_check.py HOST:PORT [CALLS]   → exit 0 and prints `grpc ok N/N` when every call echoed.
Messages are encoded by hand (EchoRequest/EchoResponse field 1 = payload), so no stubs are needed.
"""
import sys

import grpc


def encode(payload: bytes) -> bytes:
    return b"\x0a" + bytes([len(payload)]) + payload


def main(address, calls=50):
    ok = 0
    with grpc.insecure_channel(address) as channel:
        echo = channel.unary_unary("/pulse.v1.Diagnostics/Echo", request_serializer=None, response_deserializer=None)
        for index in range(int(calls)):
            payload = f"check-{index}".encode()
            try:
                reply = echo(encode(payload), timeout=5)
            except grpc.RpcError as error:
                print(f"grpc call failed: {error.code()} {error.details()}", file=sys.stderr)
                continue
            ok += reply == encode(payload)
    print(f"grpc ok {ok}/{calls}")
    return 0 if ok == int(calls) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
