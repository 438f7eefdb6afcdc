"""The web server (sonicai/webserver.py, daphne) run as a real process: a response body
goes out as fast as the client takes it, not as fast as the application makes it, so a
client that asks for a big file and reads nothing (a paused <audio> element) does not make
the web process hold the whole file."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.sonicai.streaming_app import BLOCK, BLOCKS

ROOT = Path(__file__).resolve().parents[2]
TOTAL = BLOCK * BLOCKS


def read_progress(path: Path) -> int:
    try:
        return int(path.read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def settled(path: Path, seconds: float = 15.0) -> int:
    """The bytes handed over once the application has stopped advancing for a second."""
    deadline, last, since = time.monotonic() + seconds, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = read_progress(path)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > 1.0 and now:
            break
        time.sleep(0.1)
    return last


def test_a_client_that_reads_nothing_holds_back_the_response(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    progress = tmp_path / "sent"
    env = dict(os.environ, STREAM_PROGRESS_FILE=str(progress), PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "sonicai.webserver", "--fd", str(listener.fileno()),
                               "tests.sonicai.streaming_app:app"], cwd=ROOT, env=env, pass_fds=(listener.fileno(),),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        client.settimeout(30)
        client.connect(("127.0.0.1", port))
        client.sendall(b"GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        held_back = settled(progress)
        # Kernel buffers on both sides hold a few MB; without pacing all 96 MB were handed over at once.
        assert 0 < held_back <= TOTAL // 4, held_back
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(1)
        assert head.startswith(b"HTTP/1.1 200")
        body = bytearray()
        while len(body) < TOTAL:
            chunk = client.recv(1 << 20)
            assert chunk, "the server closed the connection early"
            body += chunk
        assert len(body) == TOTAL and not any(body[::4096])
        assert settled(progress) == TOTAL
        client.close()
    finally:
        server.terminate()
        server.wait(10)
        listener.close()
