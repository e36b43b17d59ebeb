"""A fault-injecting TCP proxy for one test's processes: put it between an app and a server
(Cassandra) to take the server away from that app only, never from the shared node.

- `cut()`: every forwarded connection is closed and new ones are refused (nothing listens),
  as when the server crashed or the network dropped.
- `freeze()`: connections stay open and new ones are accepted, but no byte moves in either
  direction, as when the server is paused (SIGSTOP) or a link black-holes packets.
- `heal()`: listening and forwarding again on the same port; held bytes are delivered.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from types import TracebackType

_POLL_SECONDS = 0.1


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._connections: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = self._listen(0)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.cut()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        if listener is not None:
            _close(listener)  # shutdown first: on Linux, close() alone does not wake accept()
        for connection in connections:
            _close(connection)

    def freeze(self) -> None:
        self._forwarding.clear()

    def heal(self) -> None:
        with self._lock:
            listening = self._listener is not None
        if not listening:
            self._listen(self.port)
        self._forwarding.set()

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="tcp-proxy-accept").start()
        return int(listener.getsockname()[1])

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _close(client)
                    _close(upstream)
                    continue
                self._connections |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True, name="tcp-proxy-pump").start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                if not self._forwarding.wait(_POLL_SECONDS):
                    if source.fileno() < 0:
                        return
                    continue  # frozen: leave the bytes in the kernel's buffers
                readable, _, _ = select.select([source], [], [], _POLL_SECONDS)
                if not readable:
                    continue
                data = source.recv(65536)
                if not data:
                    return
                sink.sendall(data)
        except (OSError, ValueError):  # ValueError: select on a socket cut() closed
            return
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
