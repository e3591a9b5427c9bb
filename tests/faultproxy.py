"""A fault-injecting HTTP proxy on a loopback port, in front of one HTTP server (dynalite
in the tests): it passes requests on, or at random (seeded) answers 500, throttles
(DynamoDB's 400 ``ProvisionedThroughputExceededException``), drops the connection before
or after the request reached the server, or holds a request for seconds.

One thread per client connection; requests on a connection are handled one after the
other, as HTTP/1.1 keep-alive sends them. Each forwarded request opens its own
connection to the server.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import threading
from collections import Counter
from collections.abc import Mapping

#: What can happen to a request, besides passing.
FAULTS = (
    "error_500",  # answered 500 by the proxy; never reaches the server
    "throttle",  # answered 400 ProvisionedThroughputExceededException; never reaches it
    "drop",  # the connection is closed before the request is passed on
    "lost",  # passed on and carried out, then the connection closes: the answer is lost
    "delay",  # passed on and answered after ``delay_s`` (the client has given up by then)
    "stall",  # held for ``delay_s``, then passed on: carried out after the client gave up
)
JSON_TYPE = "application/x-amz-json-1.0"
THROTTLED = (
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
    b'"message":"The level of configured provisioned throughput for the table was exceeded."}'
)
SERVER_ERROR = (
    b'{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError",'
    b'"message":"Internal server error"}'
)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
MAX_HEAD = 64 * 1024


class FaultProxy:
    """Listens on 127.0.0.1; ``rates`` gives each fault's chance per request (the rest
    pass). ``counts`` tallies requests and faults by kind; ``faulty`` turns faults off
    and on."""

    def __init__(
        self,
        upstream_port: int,
        seed: int,
        rates: Mapping[str, float],
        delay_s: float = 5.0,
    ) -> None:
        unknown = set(rates) - set(FAULTS)
        if unknown or sum(rates.values()) > 1:
            raise ValueError(f"bad fault rates {dict(rates)}")
        self.upstream_port = upstream_port
        self.rates = dict(rates)
        self.delay_s = delay_s
        self.faulty = True
        #: What happens to the next requests, before any drawing at random.
        self.script: list[str] = []
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._clients: set[socket.socket] = set()
        self._closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening, close the clients' connections, and wait for the requests in
        hand: those held back are passed on at once (a request in the network still
        arrives), answers held back are dropped."""
        self._closing.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accepting.join()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join()

    # -- internals -----------------------------------------------------------

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients.add(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _choose(self) -> str:
        with self._lock:
            self.counts["requests"] += 1
            draw = self._random.random()
            kind = "pass"
            for fault, rate in self.rates.items():
                if draw < rate:
                    kind = fault
                    break
                draw -= rate
            if not self.faulty:
                kind = "pass"
            if self.script:
                kind = self.script.pop(0)
            self.counts[kind] += 1
            return kind

    def _serve(self, client: socket.socket) -> None:
        """Requests of one client connection, one after the other, until it closes."""
        buffer = b""
        with client:
            try:
                client.settimeout(30)
                while True:
                    request, buffer = _read_request(client, buffer)
                    if request is None:
                        return
                    if not self._handle(client, *request):
                        return
            except (OSError, http.client.HTTPException):
                return  # the client (or the server) went away: nothing to answer
            finally:
                with self._lock:
                    self._clients.discard(client)

    def _handle(self, client: socket.socket, head: bytes, body: bytes) -> bool:
        """Deal with one request; False when the connection is to be closed."""
        kind = self._choose()
        if kind == "drop":
            return False
        if kind == "throttle":
            client.sendall(_response(400, "Bad Request", JSON_TYPE, THROTTLED))
            return True
        if kind == "error_500":
            # Half as DynamoDB answers, half as a load balancer in front of it would.
            if self._coin():
                client.sendall(_response(500, "Internal Server Error", JSON_TYPE, SERVER_ERROR))
            else:
                client.sendall(
                    _response(500, "Internal Server Error", "text/plain", b"Internal Server Error")
                )
            return True
        if kind == "stall":
            self._closing.wait(self.delay_s)
        answer = self._forward(head, body)
        if kind == "lost":
            return False
        if kind == "delay":
            self._closing.wait(self.delay_s)
        client.sendall(answer)
        return True

    def _coin(self) -> bool:
        with self._lock:
            return self._random.random() < 0.5

    def _forward(self, head: bytes, body: bytes) -> bytes:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                if name.strip().lower() not in HOP_BY_HOP:
                    headers[name.strip()] = value.strip()
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            upstream.request(method, target, body=body, headers=headers)
            reply = upstream.getresponse()
            data = reply.read()
            kept = [(k, v) for k, v in reply.getheaders() if k.lower() not in HOP_BY_HOP]
            status, reason = reply.status, reply.reason
        finally:
            upstream.close()
        out = [f"HTTP/1.1 {status} {reason}"]
        out += [f"{k}: {v}" for k, v in kept]
        out += [f"Content-Length: {len(data)}", "Connection: keep-alive", "", ""]
        return "\r\n".join(out).encode("latin-1") + data


def _read_request(client: socket.socket, buffer: bytes) -> tuple[tuple[bytes, bytes] | None, bytes]:
    """One request (head, body) from the connection, and what was read past it; None at
    the end of the connection."""
    while b"\r\n\r\n" not in buffer:
        chunk = client.recv(65536)
        if not chunk or len(buffer) > MAX_HEAD:
            return None, b""
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return (head, rest[:length]), rest[length:]


def _response(status: int, reason: str, content_type: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"x-amzn-RequestId: FAULTPROXY\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode("latin-1") + body
