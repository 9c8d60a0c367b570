"""OAuth v2 installs and token rotation, driven by slack_sdk's own OAuth helpers."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation import TokenRotator

from slack_emulator import AuthorizePageError, SlackEmulator

from .conftest import FakeClock

REDIRECT = "https://bot.example.com/slack/oauth_redirect"


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


@pytest.fixture
def oauth_emu(emu: SlackEmulator) -> SlackEmulator:
    emu.configure_app(redirect_urls=[REDIRECT])
    emu.add_team("T0ACME", "Acme Corp", bot_user_id="U0ACMEBOT", bot_id="B0ACME", installed=False)
    emu.add_user("U0ADMIN", "admin", team_id="T0ACME")
    return emu


def install_url(emu: SlackEmulator, **kwargs: Any) -> str:
    generator = AuthorizeUrlGenerator(
        client_id=emu.client_id,
        scopes=["chat:write", "commands"],
        redirect_uri=REDIRECT,
        authorization_url=f"{emu.base_url}/oauth/v2/authorize",
        **kwargs,
    )
    return generator.generate(state="state-123")


def code_of(redirect: str) -> str:
    return parse_qs(urlsplit(redirect).query)["code"][0]


def exchange(emu: SlackEmulator, code: str, **kwargs: Any) -> Any:
    client = WebClient(base_url=emu.api_url)
    return client.oauth_v2_access(
        client_id=emu.client_id, client_secret=emu.client_secret, code=code, **kwargs
    )


def test_install_flow_returns_the_v2_shape(oauth_emu: SlackEmulator) -> None:
    emu = oauth_emu
    assert emu.team("T0ACME").bot_token is None
    redirect = emu.approve_install("T0ACME", "U0ADMIN", install_url(emu))
    assert redirect.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(redirect).query)["state"] == ["state-123"]

    body = exchange(emu, code_of(redirect), redirect_uri=REDIRECT).data
    token = body.pop("access_token")
    assert token.startswith("xoxb-") and emu.team("T0ACME").bot_token == token
    assert body == {
        "ok": True,
        "token_type": "bot",
        "scope": "chat:write,commands",
        "bot_user_id": "U0ACMEBOT",
        "app_id": emu.app_id,
        "team": {"id": "T0ACME", "name": "Acme Corp"},
        "enterprise": None,
        "authed_user": {"id": "U0ADMIN"},
        "is_enterprise_install": False,
    }
    who = WebClient(token=token, base_url=emu.api_url).auth_test()
    assert (who["team_id"], who["user_id"], who["bot_id"]) == ("T0ACME", "U0ACMEBOT", "B0ACME")

    # Reinstalling without token rotation hands back the same bot token.
    again = emu.approve_install("T0ACME", "U0ADMIN", install_url(emu))
    assert exchange(emu, code_of(again), redirect_uri=REDIRECT)["access_token"] == token


def test_code_exchange_errors(oauth_emu: SlackEmulator, clock: FakeClock) -> None:
    emu = oauth_emu
    code = code_of(emu.approve_install("T0ACME", "U0ADMIN", install_url(emu)))
    client = WebClient(base_url=emu.api_url)
    bad_id = api_error(
        lambda: client.oauth_v2_access(client_id="nope", client_secret="x", code=code)
    )
    assert bad_id.response["error"] == "invalid_client_id"
    bad_secret = api_error(
        lambda: client.oauth_v2_access(client_id=emu.client_id, client_secret="x", code=code)
    )
    assert bad_secret.response["error"] == "bad_client_secret"
    wrong_redirect = api_error(
        lambda: exchange(emu, code, redirect_uri="https://bot.example.com/other")
    )
    assert wrong_redirect.response["error"] == "bad_redirect_uri"
    # The redirect_uri given to authorize must be repeated.
    assert api_error(lambda: exchange(emu, code)).response["error"] == "bad_redirect_uri"
    assert exchange(emu, code, redirect_uri=REDIRECT)["ok"]
    reused = api_error(lambda: exchange(emu, code, redirect_uri=REDIRECT))
    assert reused.response["error"] == "invalid_code"

    stale = code_of(emu.approve_install("T0ACME", "U0ADMIN", install_url(emu)))
    clock.advance(601)
    expired = api_error(lambda: exchange(emu, stale, redirect_uri=REDIRECT))
    assert expired.response["error"] == "invalid_code"
    grant = api_error(lambda: exchange(emu, "x", grant_type="password"))
    assert grant.response["error"] == "invalid_grant_type"


def test_client_credentials_as_arguments(oauth_emu: SlackEmulator) -> None:
    emu = oauth_emu
    url = emu.authorize_url("chat:write", state="s")
    code = code_of(emu.approve_install("T0ACME", "U0ADMIN", url))
    response = WebClient(base_url=emu.api_url).api_call(
        "oauth.v2.access",
        data={"client_id": emu.client_id, "client_secret": emu.client_secret, "code": code},
    )
    assert response["team"]["id"] == "T0ACME"


def test_authorize_page_errors_and_denial(oauth_emu: SlackEmulator) -> None:
    emu = oauth_emu
    with pytest.raises(AuthorizePageError) as info:
        emu.approve_install(
            "T0ACME", "U0ADMIN", emu.authorize_url("chat:write").replace(emu.client_id, "999.999")
        )
    assert info.value.error == "invalid_client_id"
    with pytest.raises(AuthorizePageError) as info:
        emu.approve_install(
            "T0ACME", "U0ADMIN", emu.authorize_url("chat:write", redirect_uri="https://evil.test/")
        )
    assert info.value.error == "bad_redirect_uri"
    below = emu.approve_install(
        "T0ACME", "U0ADMIN", emu.authorize_url("chat:write", redirect_uri=REDIRECT + "/acme")
    )
    assert below.startswith(REDIRECT + "/acme?code=")
    denied = emu.deny_install(emu.authorize_url("chat:write", state="s1"))
    assert parse_qs(urlsplit(denied).query) == {"error": ["access_denied"], "state": ["s1"]}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_authorize_endpoint_over_http(oauth_emu: SlackEmulator) -> None:
    emu = oauth_emu
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(install_url(emu)) as page:
        assert page.status == 200 and b"Sign in" in page.read()
    emu.sign_in("T0ACME", "U0ADMIN")
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(install_url(emu))
    assert info.value.code == 302
    location = info.value.headers["Location"]
    assert exchange(emu, code_of(location), redirect_uri=REDIRECT)["team"]["id"] == "T0ACME"
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(install_url(emu).replace(emu.client_id, "999.999"))
    assert info.value.code == 400


def test_token_rotation(oauth_emu: SlackEmulator, clock: FakeClock) -> None:
    emu = oauth_emu
    emu.configure_app(token_rotation=True, token_ttl=3600)
    code = code_of(emu.approve_install("T0ACME", "U0ADMIN", install_url(emu)))
    first = exchange(emu, code, redirect_uri=REDIRECT)
    assert first["access_token"].startswith("xoxe.xoxb-1-")
    assert first["expires_in"] == 3600 and first["refresh_token"].startswith("xoxe-1-")
    old = WebClient(token=first["access_token"], base_url=emu.api_url)
    assert old.auth_test()["team_id"] == "T0ACME"

    clock.advance(1800)
    client = WebClient(base_url=emu.api_url)
    refreshed = client.oauth_v2_access(
        client_id=emu.client_id,
        client_secret=emu.client_secret,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )
    assert refreshed["token_type"] == "bot" and refreshed["team"]["id"] == "T0ACME"
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    assert emu.team("T0ACME").bot_token == refreshed["access_token"]
    # The old access token keeps working until its own expiry, then it is refused.
    assert old.auth_test()["ok"]
    clock.advance(1800)
    assert api_error(old.auth_test).response["error"] == "token_expired"
    new = WebClient(token=refreshed["access_token"], base_url=emu.api_url)
    assert new.chat_postMessage(channel="C1", text="still installed")["ok"]
    # Refresh tokens are single use.
    reused = api_error(
        lambda: client.oauth_v2_access(
            client_id=emu.client_id,
            client_secret=emu.client_secret,
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
        )
    )
    assert reused.response["error"] == "invalid_refresh_token"


def test_sdk_token_rotator(oauth_emu: SlackEmulator) -> None:
    emu = oauth_emu
    emu.configure_app(token_rotation=True)
    code = code_of(emu.approve_install("T0ACME", "U0ADMIN", install_url(emu)))
    installed = exchange(emu, code, redirect_uri=REDIRECT)
    bot = Bot(
        app_id=emu.app_id,
        team_id="T0ACME",
        bot_token=installed["access_token"],
        bot_id="B0ACME",
        bot_user_id="U0ACMEBOT",
        bot_scopes=installed["scope"],
        bot_refresh_token=installed["refresh_token"],
        bot_token_expires_in=installed["expires_in"],
        installed_at=time.time(),
    )
    rotator = TokenRotator(
        client_id=emu.client_id,
        client_secret=emu.client_secret,
        client=WebClient(base_url=emu.api_url),
    )
    # 12-hour tokens are "expiring" when the rotator looks 13 hours ahead.
    rotated = rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=13 * 60)
    assert rotated is not None and rotated.bot_token != bot.bot_token
    assert WebClient(token=rotated.bot_token, base_url=emu.api_url).auth_test()["ok"]


def test_user_scopes_give_a_user_token(oauth_emu: SlackEmulator) -> None:
    emu = oauth_emu
    url = emu.authorize_url("chat:write", user_scope="search:read", redirect_uri=REDIRECT)
    body = exchange(
        emu, code_of(emu.approve_install("T0ACME", "U0ADMIN", url)), redirect_uri=REDIRECT
    )
    user = body["authed_user"]
    assert user["id"] == "U0ADMIN" and user["token_type"] == "user"
    assert user["scope"] == "search:read" and user["access_token"].startswith("xoxp-")
    who = WebClient(token=user["access_token"], base_url=emu.api_url).auth_test()
    assert who["user_id"] == "U0ADMIN" and "bot_id" not in who
