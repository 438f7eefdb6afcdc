"""A bare ASGI application for tests/sonicai/test_webserver.py: streams BLOCKS blocks of
zeros and writes, after each ``send`` returns, how many bytes it has handed over."""

import os

BLOCK = 64 * 1024
BLOCKS = int(os.environ.get("STREAM_BLOCKS", "1536"))  # 96 MB


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await receive()
    progress = os.environ["STREAM_PROGRESS_FILE"]
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(BLOCK * BLOCKS).encode())]})
    for i in range(BLOCKS):
        await send({"type": "http.response.body", "body": bytes(BLOCK), "more_body": i < BLOCKS - 1})
        with open(progress, "w") as fh:
            fh.write(str((i + 1) * BLOCK))
