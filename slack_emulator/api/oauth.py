"""OAuth v2 installs: the authorize page, the user's approval (a redirect carrying `code` and
`state`), and oauth.v2.access for the code exchange and, with token rotation, refreshes."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from slack_emulator.state import EmulatorState, Reply, fail
from slack_emulator.tokens import (
    CODE_TTL,
    Grant,
    RefreshToken,
    Token,
    TokenKind,
    new_code,
    new_refresh_value,
    new_token_value,
    redirect_allowed,
)
from slack_emulator.workspace import Workspace, user_record

Args = dict[str, Any]


class AuthorizePageError(ValueError):
    """Slack shows an error page instead of redirecting (bad client_id or redirect_uri)."""

    def __init__(self, error: str) -> None:
        super().__init__(f"Slack shows an error page: {error}")
        self.error = error


# ---- /oauth/v2/authorize -----------------------------------------------------------------
def _authorize_params(st: EmulatorState, authorize_url: str) -> tuple[dict[str, str], str]:
    """The authorize query and the redirect_uri Slack will send the browser back to."""
    params = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
    if params.get("client_id") != st.app.client_id:
        raise AuthorizePageError("invalid_client_id")
    redirect_uri = params.get("redirect_uri") or ""
    if redirect_uri:
        if not redirect_allowed(redirect_uri, st.app.redirect_urls):
            raise AuthorizePageError("bad_redirect_uri")
    elif st.app.redirect_urls:
        redirect_uri = st.app.redirect_urls[0]
    else:
        raise AuthorizePageError("no_redirect_uri")
    return params, redirect_uri


def _redirect(redirect_uri: str, **fields: str | None) -> str:
    query = urlencode({k: v for k, v in fields.items() if v is not None})
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    return f"{redirect_uri}{joiner}{query}"


def approve(st: EmulatorState, team_id: str, user_id: str, authorize_url: str) -> str:
    """What Slack does when `user_id` of `team_id` clicks Allow: the redirect URL (with `code`
    and `state`) the browser is sent to."""
    params, redirect_uri = _authorize_params(st, authorize_url)
    ws = st.team(team_id)
    scope, user_scope = params.get("scope", ""), params.get("user_scope", "")
    state = params.get("state")
    if not scope and not user_scope:
        return _redirect(redirect_uri, error="invalid_scope", state=state)
    if user_id not in ws.users:
        if st.strict_channels:
            raise KeyError(f"unknown user {user_id!r} in team {team_id}")
        ws.users[user_id] = user_record(
            team_id, user_id, user_id.lower(), "UTC", 0, False, None, None
        )
    code = new_code(team_id)
    st.grants[code] = Grant(
        code, team_id, user_id, scope, user_scope, params.get("redirect_uri"), st.clock()
    )
    return _redirect(redirect_uri, code=code, state=state)


def deny(st: EmulatorState, authorize_url: str) -> str:
    params, redirect_uri = _authorize_params(st, authorize_url)
    return _redirect(redirect_uri, error="access_denied", state=params.get("state"))


def authorize_page(st: EmulatorState, query: str) -> tuple[int, str, dict[str, str]]:
    """GET /oauth/v2/authorize as a browser sees it: approves on behalf of whoever signed in
    (SlackEmulator.sign_in), otherwise shows the sign-in page."""
    url = f"/oauth/v2/authorize?{query}"
    try:
        _authorize_params(st, url)
    except AuthorizePageError as e:
        return 400, f"<html><body><h1>Oops!</h1><p>{e.error}</p></body></html>", {}
    if st.browser_user is None:
        return 200, "<html><body><h1>Sign in to your workspace</h1></body></html>", {}
    team_id, user_id = st.browser_user
    return 302, "", {"Location": approve(st, team_id, user_id, url)}


# ---- oauth.v2.access -----------------------------------------------------------------------
def _client(args: Args, authorization: str | None) -> tuple[str | None, str | None]:
    """Slack prefers HTTP Basic client credentials and also accepts them as arguments."""
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            client_id, _, secret = decoded.partition(":")
            return client_id, secret
        except (binascii.Error, UnicodeDecodeError):
            return None, None
    return args.get("client_id"), args.get("client_secret")


def issue(st: EmulatorState, kind: TokenKind, team_id: str, user_id: str, scope: str) -> Args:
    rotating = st.app.token_rotation
    value = new_token_value(kind, team_id, rotating)
    expires_at = st.clock() + st.app.token_ttl if rotating else None
    st.tokens[value] = Token(value, kind, team_id, user_id, scope, expires_at)
    fields: Args = {"access_token": value, "token_type": kind, "scope": scope}
    if rotating:
        refresh = new_refresh_value()
        st.refresh_tokens[refresh] = RefreshToken(refresh, kind, team_id, user_id, scope)
        fields.update(expires_in=st.app.token_ttl, refresh_token=refresh)
    return fields


def _bot_fields(st: EmulatorState, ws: Workspace, user_id: str, scope: str) -> Args:
    current = st.tokens.get(ws.bot_token or "")
    if current is not None and not current.revoked and not st.app.token_rotation:
        # Reinstalling keeps a non-rotating bot token (and widens its scopes).
        current.scope = ",".join(dict.fromkeys(filter(None, [*current.scope.split(","), scope])))
        return {"access_token": current.value, "token_type": "bot", "scope": current.scope}
    fields = issue(st, "bot", ws.team_id, user_id, scope)
    ws.bot_token = fields["access_token"]
    return fields


def _envelope(st: EmulatorState, ws: Workspace, fields: Args, authed_user: Args) -> Reply:
    extra = {k: fields.pop(k) for k in ("expires_in", "refresh_token") if k in fields}
    body: Args = {
        "ok": True,
        **fields,
        "bot_user_id": ws.bot_user_id,
        "app_id": st.app_id,
        "team": {"id": ws.team_id, "name": ws.name},
        "enterprise": None,
        "authed_user": authed_user,
        "is_enterprise_install": False,
        **extra,
    }
    return Reply(body)


def _exchange_code(st: EmulatorState, args: Args) -> Reply:
    grant = st.grants.get(str(args.get("code") or ""))
    if grant is None or grant.used or st.clock() - grant.issued_at > CODE_TTL:
        return fail("invalid_code")
    redirect_uri = args.get("redirect_uri") or None
    if grant.redirect_uri is not None and redirect_uri != grant.redirect_uri:
        return fail("bad_redirect_uri")
    if redirect_uri and not redirect_allowed(redirect_uri, st.app.redirect_urls):
        return fail("bad_redirect_uri")
    grant.used = True
    ws = st.team(grant.team_id)
    authed_user: Args = {"id": grant.user_id}
    if grant.user_scope:
        authed_user.update(issue(st, "user", ws.team_id, grant.user_id, grant.user_scope))
    fields = _bot_fields(st, ws, grant.user_id, grant.scope) if grant.scope else {}
    if not fields:
        # A user-scopes-only install: the top level carries no bot token.
        return Reply(
            {
                "ok": True,
                "app_id": st.app_id,
                "authed_user": authed_user,
                "team": {"id": ws.team_id, "name": ws.name},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        )
    return _envelope(st, ws, fields, authed_user)


def _refresh(st: EmulatorState, args: Args) -> Reply:
    """Rotation: the refresh token is spent and replaced; the old access token keeps working
    until it expires on its own."""
    refresh = st.refresh_tokens.get(str(args.get("refresh_token") or ""))
    if refresh is None or refresh.used:
        return fail("invalid_refresh_token")
    refresh.used = True
    ws = st.team(refresh.team_id)
    fields = issue(st, refresh.kind, refresh.team_id, refresh.user_id, refresh.scope)
    if refresh.kind == "bot":
        ws.bot_token = fields["access_token"]
        return _envelope(st, ws, fields, {"id": refresh.user_id})
    body: Args = {
        "ok": True,
        "app_id": st.app_id,
        "user_id": refresh.user_id,
        **fields,
        "team": {"id": ws.team_id, "name": ws.name},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    return Reply(body)


def access(st: EmulatorState, args: Args, authorization: str | None) -> Reply:
    client_id, secret = _client(args, authorization)
    if client_id != st.app.client_id:
        return fail("invalid_client_id")
    if secret != st.app.client_secret:
        return fail("bad_client_secret")
    grant_type = args.get("grant_type") or "authorization_code"
    if grant_type == "authorization_code":
        return _exchange_code(st, args)
    if grant_type == "refresh_token":
        return _refresh(st, args)
    return fail("invalid_grant_type")
