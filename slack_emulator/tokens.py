"""What the emulated Slack knows about the app and the tokens it issued.

Bot tokens belong to one workspace; the app-level (`xapp-`) token opens Socket Mode
connections only. With token rotation, access tokens expire (`token_expired`) and are renewed
with single-use refresh tokens, as Slack documents for rotating granular tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal

TokenKind = Literal["bot", "user", "app"]

# Slack's rotating access tokens live 12 hours; OAuth codes 10 minutes.
ROTATING_TOKEN_TTL = 43_200
CODE_TTL = 600.0


@dataclass
class AppConfig:
    client_id: str = "1111111111.2222222222"
    client_secret: str = "emulator-client-secret"
    # Redirect URLs configured in the app settings; authorize's redirect_uri must match one
    # of them (or a path below one).
    redirect_urls: list[str] = field(default_factory=list)
    token_rotation: bool = False
    token_ttl: int = ROTATING_TOKEN_TTL
    app_token: str = "xapp-1-A0001-1-emulator"
    # views.publish answers not_enabled when the app's Home tab is switched off.
    home_tab_enabled: bool = True


@dataclass
class Token:
    value: str
    kind: TokenKind
    team_id: str | None
    user_id: str | None
    scope: str = ""
    expires_at: float | None = None
    revoked: bool = False


@dataclass
class RefreshToken:
    value: str
    kind: TokenKind
    team_id: str
    user_id: str
    scope: str
    used: bool = False


@dataclass
class Grant:
    """The authorization code Slack hands to redirect_uri after a user approves an install."""

    code: str
    team_id: str
    user_id: str
    scope: str
    user_scope: str
    # Exactly as given to /oauth/v2/authorize: oauth.v2.access must repeat it.
    redirect_uri: str | None
    issued_at: float
    used: bool = False


def token_error(token: Token | None, now: float) -> str | None:
    if token is None:
        return "invalid_auth"
    if token.revoked:
        return "token_revoked"
    if token.expires_at is not None and now >= token.expires_at:
        return "token_expired"
    return None


def new_token_value(kind: TokenKind, team_id: str, rotating: bool) -> str:
    prefix = {"bot": "xoxb", "user": "xoxp", "app": "xapp"}[kind]
    if rotating:
        return f"xoxe.{prefix}-1-{secrets.token_hex(16)}"
    return f"{prefix}-{team_id}-{secrets.token_hex(12)}"


def new_refresh_value() -> str:
    return f"xoxe-1-{secrets.token_hex(20)}"


def new_code(team_id: str) -> str:
    return f"{team_id}.{secrets.token_hex(6)}.{secrets.token_hex(20)}"


def redirect_allowed(redirect_uri: str, configured: list[str]) -> bool:
    """Slack accepts a configured Redirect URL or a path below it."""
    for url in configured:
        base = url.rstrip("/")
        if redirect_uri in (url, base) or redirect_uri.startswith(base + "/"):
            return True
    return False


MethodKind = Literal["workspace", "token", "app"]


def authenticate(
    tokens: dict[str, Token], now: float, raw: str | None, kind: MethodKind
) -> Token | str:
    """The token behind a call, or Slack's error: app-level tokens only open Socket Mode,
    workspace tokens cannot; user tokens are emulated for auth.test only."""
    if not raw:
        return "not_authed"
    token = tokens.get(raw)
    error = token_error(token, now)
    if error is not None:
        return error
    assert token is not None
    if (token.kind == "app") != (kind == "app"):
        return "not_allowed_token_type"
    if token.kind == "user" and kind != "token":
        return "not_allowed_token_type"
    return token
