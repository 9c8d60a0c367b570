"""Decoding request bodies the way Slack's edge does: query args, form, JSON, multipart."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from slack_emulator.rules import parse_json_field

# Arguments Slack documents as JSON-encoded when sent form-encoded.
JSON_FIELDS = ("blocks", "view", "attachments", "files", "metadata", "unfurls")


def parse_args(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";", 1)[0].strip().lower()
    if body:
        if kind == "application/json":
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                args.update(decoded)
            else:
                args["__invalid_json__"] = True
        elif kind == "multipart/form-data":
            args.update(
                {k: v.decode("utf-8", "replace") for k, v in multipart(content_type, body).items()}
            )
        else:
            args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    for key in JSON_FIELDS:
        if key in args:
            args[key] = parse_json_field(args[key])
    return args


def multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """Field name -> raw bytes; enough for upload URLs and form posts."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


def bearer_token(authorization: str | None, args: dict[str, Any]) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    token = args.get("token")
    return token if isinstance(token, str) and token else None
