"""files v2 end to end with binary content, through WebClient.files_upload_v2."""

from __future__ import annotations

import struct
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest
from slack_sdk import WebClient

from slack_emulator import SlackEmulator


def tiny_png() -> bytes:
    """A valid 1x1 PNG, built here so the test needs no fixture file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack("!I", len(data)) + body + struct.pack("!I", zlib.crc32(body))

    header = struct.pack("!IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = tiny_png()


def test_png_upload_in_a_thread(emu: SlackEmulator, client: WebClient, tmp_path: Path) -> None:
    parent = client.chat_postMessage(channel="C1", text="Post-mortem: DB outage")["ts"]
    path = tmp_path / "timeline.png"
    path.write_bytes(PNG)
    result = client.files_upload_v2(
        channel="C1",
        thread_ts=parent,
        file=str(path),
        title="Timeline chart",
        initial_comment="Timeline attached",
    )
    file_id = result["file"]["id"]
    [uploaded] = emu.uploaded_files
    assert uploaded["content"] == PNG and uploaded["filename"] == "timeline.png"
    assert (uploaded["title"], uploaded["mimetype"]) == ("Timeline chart", "image/png")
    assert (uploaded["channel_id"], uploaded["thread_ts"]) == ("C1", parent)
    reply = emu.thread("C1", parent)[-1]
    assert reply["files"][0]["id"] == file_id and reply["text"] == "Timeline attached"

    info = client.files_info(file=file_id)["file"]
    assert (info["name"], info["title"], info["mimetype"]) == (
        "timeline.png",
        "Timeline chart",
        "image/png",
    )
    assert info["size"] == len(PNG) and info["channels"] == ["C1"]
    [share] = info["shares"]["public"]["C1"]
    assert (share["ts"], share["thread_ts"]) == (reply["ts"], parent)
    assert emu.file_info(file_id) == info


def test_url_private_serves_the_bytes_to_the_teams_token(
    emu: SlackEmulator, client: WebClient
) -> None:
    file_id = client.files_upload_v2(channel="C1", content=PNG, filename="chart.png")["file"]["id"]
    url = client.files_info(file=file_id)["file"]["url_private_download"]
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {emu.bot_token}"})
    with urllib.request.urlopen(request) as response:
        assert response.read() == PNG
        assert response.headers["Content-Type"].startswith("image/png")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 403


def test_files_info_unknown(client: WebClient) -> None:
    with pytest.raises(Exception, match="file_not_found"):
        client.files_info(file="F404")
