"""A minimal RFC 6455 WebSocket server connection (stdlib only): the opening handshake,
text frames, ping/pong and close. Enough for Slack's Socket Mode, nothing more."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import struct
import threading
from collections.abc import Callable
from typing import BinaryIO

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for the client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key.strip() + GUID).encode()).digest()).decode()


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """A single final frame; servers never mask."""
    head = bytes([0x80 | opcode])
    length = len(payload)
    if length < 126:
        head += bytes([length])
    elif length < 1 << 16:
        head += bytes([126]) + struct.pack("!H", length)
    else:
        head += bytes([127]) + struct.pack("!Q", length)
    return head + payload


def _read_exact(rfile: BinaryIO, size: int) -> bytes | None:
    data = rfile.read(size) if size else b""
    return data if data is not None and len(data) == size else None


def read_frame(rfile: BinaryIO) -> tuple[bool, int, bytes] | None:
    """(fin, opcode, unmasked payload), or None once the peer is gone."""
    head = _read_exact(rfile, 2)
    if head is None:
        return None
    fin, opcode = bool(head[0] & 0x80), head[0] & 0x0F
    masked, length = bool(head[1] & 0x80), head[1] & 0x7F
    if length in (126, 127):
        extended = _read_exact(rfile, 2 if length == 126 else 8)
        if extended is None:
            return None
        length = struct.unpack("!H" if length == 126 else "!Q", extended)[0]
    mask = _read_exact(rfile, 4) if masked else b""
    payload = _read_exact(rfile, length)
    if mask is None or payload is None:
        return None
    if masked:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return fin, opcode, payload


class WebSocket:
    """One accepted connection. `serve` blocks, answering pings and handing every complete
    text message to `on_text`, until the peer closes or goes away."""

    def __init__(self, rfile: BinaryIO, wfile: BinaryIO, sock: socket.socket) -> None:
        self._rfile = rfile
        self._wfile = wfile
        self._sock = sock
        self._send_lock = threading.Lock()
        self.closed = False

    def _send(self, opcode: int, payload: bytes) -> bool:
        with self._send_lock:
            if self.closed and opcode != OP_CLOSE:
                return False
            try:
                self._wfile.write(encode_frame(opcode, payload))
                return True
            except OSError:
                self.closed = True
                return False

    def send_text(self, text: str) -> bool:
        return self._send(OP_TEXT, text.encode())

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame (once) and stop the connection."""
        if not self.closed:
            self._send(OP_CLOSE, struct.pack("!H", code) + reason.encode())
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def serve(self, on_text: Callable[[str], None]) -> None:
        parts: list[bytes] = []
        while not self.closed:
            try:
                frame = read_frame(self._rfile)
            except (OSError, ValueError):
                frame = None
            if frame is None:
                break
            fin, opcode, payload = frame
            if opcode == OP_PING:
                self._send(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                self._send(OP_CLOSE, payload[:2])
                break
            elif opcode in (OP_TEXT, OP_CONTINUATION):
                parts.append(payload)
                if fin:
                    on_text(b"".join(parts).decode("utf-8", "replace"))
                    parts.clear()
            # Pongs and binary frames carry nothing Socket Mode needs.
        self.closed = True
