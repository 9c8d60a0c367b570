"""bench/ack.py's Slack: the emulator in a process of its own, which also builds the signed
requests the bench fires (trigger ids, response URLs, view ids), so the bench's own process only
sends them."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from bench.seed import TEAM, VIEWER, channel_of

SECRET = "bench-signing-secret"


def emulator_main(conn: Connection) -> None:
    """Serve the emulator; answer the bench's commands on `conn` until "stop"."""
    from slack_sdk import WebClient

    from bot.slack.ids import Action, Callback
    from bot.slack.meta import Meta
    from bot.slack.modals.timeline_views import (
        ACTOR,
        TEXT,
        TIME_PICK,
        TIME_TEXT,
        Prefill,
        build_entry_modal,
    )
    from slack_emulator.server import SlackEmulator
    from slack_emulator.signing import Response, SignedSlackClient

    class Capture(SignedSlackClient):
        """Builds signed requests without sending them: the bench sends them itself."""

        def send_raw(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
            self.captured.append((path, body, headers))
            return Response(200, b"")

    # No per-channel post limit of its own: the 429s are the bench's to choose.
    # Wall-clock message ts, as Slack's: the outbox looks for an earlier attempt's post among
    # messages newer than the row's due time.
    emu = SlackEmulator(post_burst=10**9, trigger_ttl=3600, clock=time.time).start()
    emu.add_user(VIEWER, "viewer", tz="UTC")
    client = WebClient(token=emu.bot_token, base_url=emu.api_url)
    signer = Capture(base_url="http://unused", signing_secret=SECRET, emulator=emu,
                     team_id=TEAM)
    signer.captured = []  # type: ignore[attr-defined]
    conn.send((emu.api_url, emu.bot_token))
    views = 0
    days: dict[int, str] = {}  # the incident's day an entry modal carries, by post-mortem

    def build(kind: str, pm_id: int) -> tuple[str, bytes, dict[str, str]]:
        nonlocal views
        signer.captured.clear()  # type: ignore[attr-defined]
        if kind in ("help", "list"):
            signer.command("/postmortem", text=kind, user_id=VIEWER, channel_id=channel_of(pm_id))
        elif kind == "click":
            control = {"ts": f"1700000000.{pm_id}", "blocks": []}
            signer.block_action(VIEWER, Action.OPEN_DETAILS, value=str(pm_id), message=control,
                                channel_id=channel_of(pm_id))
        else:
            views += 1
            extra = {"tz": "UTC"} | ({"day": days[pm_id]} if pm_id in days else {})
            meta = Meta(pm_id=pm_id, channel_id=channel_of(pm_id), extra=extra)
            view = build_entry_modal(title="Add timeline entry",
                                     callback_id=Callback.TIMELINE_ENTRY, meta=meta,
                                     prefill=Prefill(), tz="UTC")
            view.update(id=f"VBENCH{os.getpid()}x{views}", hash=f"h{views}", type="modal")
            values = {TIME_TEXT: {"value": "10:05"}, TIME_PICK: {"value": None},
                      TEXT: {"value": f"Bench entry {views}"}, ACTOR: {"value": None}}
            signer.view_submission(VIEWER, view, values, apply_response=False)
        return signer.captured[-1]  # type: ignore[attr-defined, no-any-return]

    while True:
        command, *args = conn.recv()
        if command == "stop":
            emu.stop()
            conn.send(None)
            return
        if command == "requests":
            kind, pm_ids = args
            conn.send([build(kind, pm_id) for pm_id in pm_ids])
        elif command == "controls":  # a real control message for each post-mortem
            conn.send({pm_id: client.chat_postMessage(channel=channel_of(pm_id),
                                                      text="control")["ts"]
                       for pm_id in args[0]})
        elif command == "days":
            days.update(args[0])
            conn.send(None)
        elif command == "calls":
            conn.send(len(emu.calls))
        elif command == "rate_limit":
            emu.rate_limit_every(args[0], retry_after=1)
            conn.send(None)
        elif command == "clear":
            emu.clear_faults()
            conn.send(None)
        elif command == "posts":  # row key -> how many times Slack accepted a post with it
            keys: Counter[str] = Counter()
            for call in emu.calls_to("chat.postMessage"):
                metadata = call.args.get("metadata") or {}
                if isinstance(metadata, str):
                    import json

                    metadata = json.loads(metadata)
                key = (metadata.get("event_payload") or {}).get("key")
                if key:
                    keys[key] += 1
            conn.send(dict(keys))


class Emulator:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=emulator_main, args=(child,), daemon=True)
        self._process.start()
        self.api_url, self.bot_token = self._conn.recv()

    def ask(self, *command: Any) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def requests(self, kind: str, pm_ids: Sequence[int]) -> list[tuple[str, bytes, dict[str, str]]]:
        return self.ask("requests", kind, list(pm_ids))  # type: ignore[no-any-return]

    def quiet(self, still: float = 1.0, limit: float = 120.0) -> float:
        """Wait until no Slack call arrives for `still` seconds; how long the wait took."""
        started = time.monotonic()
        last, since = self.ask("calls"), time.monotonic()
        while time.monotonic() - started < limit:
            time.sleep(0.2)
            now = self.ask("calls")
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= still:
                break
        return time.monotonic() - started - still

    def stop(self) -> None:
        self.ask("stop")
        self._process.join(timeout=5)
