"""Readiness probes usable before the virtualenv exists (standard library only).

    probe.py cql HOST PORT      exit 0 when a CQL server answers OPTIONS with SUPPORTED
    probe.py http URL           exit 0 when URL answers 2xx
"""
import socket
import struct
import sys
import urllib.request


def cql_ready(host: str, port: int) -> bool:
    # Native protocol v4 frame: version 0x04, flags 0, stream 1, opcode OPTIONS (0x05), empty body.
    frame = struct.pack(">BBhBI", 0x04, 0, 1, 0x05, 0)
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            sock.settimeout(2)
            sock.sendall(frame)
            header = sock.recv(9)
    except OSError:
        return False
    return len(header) == 9 and header[4] == 0x06  # SUPPORTED


def http_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


if __name__ == "__main__":
    kind = sys.argv[1]
    ok = cql_ready(sys.argv[2], int(sys.argv[3])) if kind == "cql" else http_ready(sys.argv[2])
    sys.exit(0 if ok else 1)
