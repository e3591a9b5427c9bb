"""dynalite — a DynamoDB-compatible server in Node.js — for tests, plus the AWS
environment those tests run in.

Install it with ``npm ci --prefix tests/dynalite``. Tests that need it are skipped
when it is missing, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DYNALITE = HERE / "dynalite" / "node_modules" / ".bin" / "dynalite"
START_TIMEOUT_S = 20


def require_dynalite() -> str:
    """The node executable, or skip (fail under CI) when dynalite is not installed."""
    node = shutil.which("node")
    if node and DYNALITE.exists():
        return node
    why = "node is not installed" if not node else f"{DYNALITE} is missing"
    message = f"dynalite unavailable ({why}); run: npm ci --prefix tests/dynalite"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Dynalite:
    """One dynalite process on a loopback port, keeping its data in ``path``; it can be
    stopped and started again on the same port with the same data."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.node = require_dynalite()
        self.path = path
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = path.parent / f"{path.name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, table: str) -> str:
        return f"dynamodb://{table}?endpoint_url={self.endpoint}&region=us-east-1"

    def start(self) -> None:
        if self._process is not None:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        command = [self.node, str(DYNALITE), "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--path", str(self.path), "--createTableMs", "100"]
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dynalite did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _answers(self) -> bool:
        """Whether the server answers an HTTP request (any status will do)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
        try:
            connection.request("POST", "/", body=b"{}")
            connection.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            connection.close()


def isolate_aws(monkeypatch: pytest.MonkeyPatch, folder: Path, credentials: bool) -> None:
    """Keep boto3 away from the real AWS configuration; with ``credentials`` set fake
    ones (as moto wants), without them boto3's chain finds none."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(folder / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if credentials:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
