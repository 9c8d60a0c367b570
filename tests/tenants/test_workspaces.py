"""Many workspaces (OAuth): installs through Bolt's flow against the emulator, each workspace
served with its own token, and no workspace reaching another's post-mortems through any
surface: slash commands, buttons, modal submissions, App Home, webhooks, the sweep."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.jobs.sweep import ensure_digest, run_sweep
from bot.slack.ids import Action
from storage.db import session_scope
from storage.tables import Incident, Postmortem, Reminder
from tests.bot.opening import facts, open_postmortem
from tests.bot.test_sections import details_values, open_section, reference_of, text_value
from tests.fakes import webhooks as wh
from tests.harness import USERS, FakeClock, Harness, running_bot
from tests.storage.factories import add_item

ACME, ADMIN, ACME_CHANNEL = "T0ACME", "U0ADMIN", "C0ACMEINC"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    """A browser's GET, redirects not followed: (status, headers, body)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def install(bot: Harness, team_id: str, user_id: str) -> str:
    """The OAuth install as a browser makes it: /slack/install → Slack's authorize page (the
    user clicks Allow) → /slack/oauth_redirect. Returns the redirect's page."""
    status, headers, _ = get(bot.url + "/slack/install")
    assert status == 302, status
    authorize, cookie = headers["Location"], headers["Set-Cookie"].split(";", 1)[0]
    assert authorize.startswith(bot.emu.base_url + "/oauth/v2/authorize?")
    back = bot.emu.approve_install(team_id, user_id, authorize)
    status, _, page = get(back, cookie=cookie)
    assert status == 200, page
    return page


@pytest.fixture
def tenants(sqlite_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[Harness]:
    extra = {"INCIDENT_WEBHOOK_SECRET": wh.INCIDENT_SECRET,
             "INCIDENT_WEBHOOK_DEFAULT_OWNER": "U0ALICE", "INCIDENT_WEBHOOK_TEAM": "T0001"}
    with running_bot(sqlite_url, clock, tmp_path, oauth=True,
                     incidents_channel="C0INCIDENT", extra=extra) as bot:
        bot.emu.add_team(ACME, "Acme Corp", bot_user_id="U0ACMEBOT", bot_id="B0ACME",
                         installed=False)
        bot.emu.add_user(ADMIN, "admin", team_id=ACME)
        bot.emu.add_channel(ACME_CHANNEL, "inc-acme", members=[ADMIN], team_id=ACME)
        bot.emu.add_channel("C0INC42", "inc-2041", members=[u for u, _, _ in USERS])
        install(bot, "T0001", "U0ALICE")
        install(bot, ACME, ADMIN)
        bot.emu.reset()
        yield bot


def acme(bot: Harness) -> Any:
    return bot.slack.for_team(ACME)


def told(bot: Harness, user_id: str) -> list[str]:
    """What the bot told `user_id` privately (ephemeral messages and DMs)."""
    return [m["text"] for m in bot.emu.ephemeral_messages if m.get("user_to") == user_id] + [
        c.args.get("text", "") for c in bot.emu.calls_to("chat.postMessage")
        if c.args.get("channel") == user_id]


def test_an_oauth_install_is_stored_and_serves_its_workspace_with_its_own_token(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with running_bot(sqlite_url, clock, tmp_path, oauth=True) as bot:
        bot.emu.configure_app(token_rotation=True)
        bot.emu.add_team(ACME, "Acme Corp", bot_user_id="U0ACMEBOT", bot_id="B0ACME",
                         installed=False)
        bot.emu.add_user(ADMIN, "admin", team_id=ACME)
        bot.emu.add_channel(ACME_CHANNEL, "inc-acme", members=[ADMIN], team_id=ACME)
        assert bot.deps.installs is not None
        assert bot.deps.installs.store.find_bot(enterprise_id=None, team_id=ACME) is None

        install(bot, ACME, ADMIN)
        stored = bot.deps.installs.store.find_bot(enterprise_id=None, team_id=ACME)
        assert stored is not None and stored.bot_user_id == "U0ACMEBOT"
        assert stored.bot_token == bot.emu.team(ACME).bot_token
        assert stored.bot_refresh_token  # token rotation: the refresh token is kept too

        response = acme(bot).command("/postmortem", text="start Disk full", user_id=ADMIN,
                                     channel_id=ACME_CHANNEL)
        assert response.status == 200
        bot.settle()
        opened = bot.emu.wait_for("views.open")[-1]
        # Opened with Acme's own token, in Acme's workspace.
        assert opened.team_id == ACME and opened.ok
        assert bot.emu.views[opened.response["view"]["id"]]["title"]["text"]


def test_an_uninstalled_workspace_is_not_served(tenants: Harness) -> None:
    bot = tenants
    bot.emu.add_team("T0NEW", "New Co", installed=False)
    response = bot.slack.for_team("T0NEW").command("/postmortem", text="list",
                                                     user_id="U0NEW", channel_id="C1")
    # Bolt finds no installation: no listener runs; the user is asked to install the app.
    assert response.status == 200 and not response.body.strip()
    bot.settle()
    [answer] = bot.emu.calls_to("response_url")
    assert "install" in answer.args["text"]
    assert [c.method for c in bot.emu.calls] == ["response_url"]


def test_slash_commands_see_only_their_workspace(tenants: Harness) -> None:
    bot = tenants
    ours, _ = open_postmortem(bot, facts("Checkout down"))
    open_postmortem(bot, facts("Acme disk full", channel_id=ACME_CHANNEL), owner_id=ADMIN,
                    team_id=ACME)
    bot.emu.reset()
    for text in ("list", f"status {ours}", f"post {ours}", f"deliver {ours}"):
        assert acme(bot).command("/postmortem", text=text, user_id=ADMIN,
                                 channel_id=ACME_CHANNEL).status == 200
    bot.settle()
    # Answered after the acks, each on its own: in any order.
    answers = sorted((c.args["text"] for c in bot.emu.calls_to("response_url")),
                     key=lambda text: text.startswith("There is no"))
    listed, status = answers
    assert "Acme disk full" in listed and "Checkout down" not in listed
    assert status == f"There is no post-mortem #{ours} in this workspace."
    # `post` and `deliver` are refused; nothing of ours is shown anywhere.
    assert len([t for t in told(bot, ADMIN) if "another workspace" in t]) == 2
    assert all("Checkout down" not in t for t in told(bot, ADMIN))
    # Nothing was posted or uploaded in our workspace on their behalf.
    assert [c.method for c in bot.emu.calls if c.team_id == "T0001"] == []


def test_buttons_and_forms_cannot_reach_another_workspace(tenants: Harness) -> None:
    bot = tenants
    pm_id, _ = open_postmortem(bot)
    # A forged click on our post-mortem's button, from Acme: no form opens, nothing is read.
    acme(bot).block_action(ADMIN, Action.OPEN_DETAILS, value=str(pm_id),
                           channel_id=ACME_CHANNEL)
    bot.settle()
    assert bot.emu.calls_to("views.open") == []
    assert any("another workspace" in t for t in told(bot, ADMIN))

    # Our own form, submitted from Acme: refused, nothing saved.
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    values = details_values(reference_of(bot, pm_id),
                            **{"title": text_value("Renamed by someone else")})
    with bot.session() as session:
        before = session.get(Postmortem, pm_id)
        assert before is not None
        version = before.version
    answer = acme(bot).view_submission(ADMIN, view, values, apply_response=False).json()
    assert answer["response_action"] == "errors"
    assert "another workspace" in next(iter(answer["errors"].values()))
    bot.settle()
    with bot.session() as session:
        after = session.get(Postmortem, pm_id)
        assert after is not None and after.version == version


def test_app_home_lists_only_its_workspace(tenants: Harness) -> None:
    bot = tenants
    open_postmortem(bot, facts("Checkout down"))
    open_postmortem(bot, facts("Acme disk full", channel_id=ACME_CHANNEL), owner_id=ADMIN,
                    team_id=ACME)
    acme(bot).app_home_opened(ADMIN)
    bot.settle()
    published = bot.emu.wait_for("views.publish")[-1]
    assert published.team_id == ACME
    text = str(published.args["view"])
    assert "Acme disk full" in text and "Checkout down" not in text


def test_a_webhook_opens_in_its_configured_workspace(tenants: Harness) -> None:
    bot = tenants
    body = wh.dumps(wh.generic_incident())
    stamp = int(bot.clock.now.timestamp())
    response = wh.post(bot.url, "/webhooks/incident", body,
                       wh.incident_headers(body, stamp, secret=wh.INCIDENT_SECRET))
    assert response.status == 201, response.text
    pm_id = int(response.json()["postmortem_id"])
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None and pm.team_id == "T0001"
        incident = session.get(Incident, pm.incident_id)
        assert incident is not None and incident.team_id == "T0001"
    posted = bot.emu.calls_to("chat.postMessage")
    assert posted and {c.team_id for c in posted} == {"T0001"}
    # Acme cannot open its form.
    acme(bot).block_action(ADMIN, Action.OPEN_DETAILS, value=str(pm_id),
                           channel_id=ACME_CHANNEL)
    bot.settle()
    assert bot.emu.calls_to("views.open") == []


def test_a_webhook_without_a_workspace_is_refused_when_serving_many(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    extra = {"INCIDENT_WEBHOOK_SECRET": wh.INCIDENT_SECRET,
             "INCIDENT_WEBHOOK_DEFAULT_OWNER": "U0ALICE"}
    with running_bot(sqlite_url, clock, tmp_path, oauth=True, incidents_channel="C0INCIDENT",
                     extra=extra) as bot:
        body = wh.dumps(wh.generic_incident())
        response = wh.post(bot.url, "/webhooks/incident", body, wh.incident_headers(
            body, int(bot.clock.now.timestamp()), secret=wh.INCIDENT_SECRET))
        assert response.status == 503
        assert "INCIDENT_WEBHOOK_TEAM" in response.json()["error"]
        with bot.session() as session:
            assert session.exec(select(Postmortem)).all() == []


def test_the_sweep_sends_each_workspace_its_own_reminders_with_its_own_token(
    tenants: Harness,
) -> None:
    bot = tenants
    ours, _ = open_postmortem(bot, facts("Checkout down"))
    theirs, _ = open_postmortem(bot, facts("Acme disk full", channel_id=ACME_CHANNEL),
                                owner_id=ADMIN, team_id=ACME)
    with bot.session() as session:
        rows = session.exec(select(Reminder).where(Reminder.kind == "deadline")).all()
        # Planned before anyone knew a workspace: each row takes its post-mortem's.
        assert {r.postmortem_id: r.team_id for r in rows} == {ours: "T0001", theirs: ACME}
    bot.emu.reset()
    report = run_sweep(bot.deps, None, now=bot.clock.now + timedelta(days=30))
    assert report.sent
    dms = bot.emu.calls_to("chat.postMessage")
    to_admin = [c for c in dms if c.args.get("channel") in (ADMIN, bot.emu.im_channel(
        ADMIN, ACME))]
    to_alice = [c for c in dms if c.args.get("channel") in ("U0ALICE", bot.emu.im_channel(
        "U0ALICE"))]
    assert to_admin and {c.team_id for c in to_admin} == {ACME}
    assert to_alice and {c.team_id for c in to_alice} == {"T0001"}
    assert all("Checkout down" not in str(c.args) for c in to_admin)


def test_each_workspace_gets_a_digest_of_its_own_items(tenants: Harness) -> None:
    bot = tenants
    ours, _ = open_postmortem(bot, facts("Checkout down"))
    theirs, _ = open_postmortem(bot, facts("Acme disk full", channel_id=ACME_CHANNEL),
                                owner_id=ADMIN, team_id=ACME)
    day = bot.clock.now.date()
    with session_scope(bot.deps.sessions) as session:
        for pm_id, owner, title in ((ours, "U0ALICE", "Add checkout alert"),
                                    (theirs, ADMIN, "Grow acme disks")):
            pm = session.get(Postmortem, pm_id)
            assert pm is not None
            add_item(session, pm, number=1, owner_id=owner, now=bot.clock.now,
                     due_on=day + timedelta(days=9), title=title)
    bot.emu.add_channel("C0ACMEENG", "engineering", members=[ADMIN], team_id=ACME)
    ensure_digest(bot.deps, bot.clock.now)
    with bot.session() as session:
        digests = session.exec(select(Reminder).where(Reminder.kind == "digest")).all()
        assert sorted(str(r.team_id) for r in digests) == ["T0001", ACME]
    bot.emu.reset()
    run_sweep(bot.deps, None, now=bot.clock.now + timedelta(days=7))
    posts = [c for c in bot.emu.calls_to("chat.postMessage")
             if "Add checkout alert" in str(c.args) or "Grow acme disks" in str(c.args)]
    by_team = {c.team_id: str(c.args) for c in posts}
    assert set(by_team) == {"T0001", ACME}
    assert "Grow acme disks" not in by_team["T0001"]
    assert "Add checkout alert" not in by_team[ACME]


def test_a_token_about_to_expire_is_rotated_and_saved(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with running_bot(sqlite_url, clock, tmp_path, oauth=True) as bot:
        # One-hour tokens: inside the two hours before expiry in which they are refreshed.
        bot.emu.configure_app(token_rotation=True, token_ttl=3600)
        bot.emu.add_team(ACME, "Acme Corp", installed=False)
        bot.emu.add_user(ADMIN, "admin", team_id=ACME)
        install(bot, ACME, ADMIN)
        assert bot.deps.installs is not None
        first = bot.deps.installs.store.find_bot(enterprise_id=None, team_id=ACME)
        assert first is not None
        client = bot.deps.slack(ACME)
        saved = bot.deps.installs.store.find_bot(enterprise_id=None, team_id=ACME)
        assert saved is not None and saved.bot_token != first.bot_token
        assert client.token == saved.bot_token == bot.emu.team(ACME).bot_token
        refreshes = [c for c in bot.emu.calls_to("oauth.v2.access")
                     if c.args.get("grant_type") == "refresh_token"]
        assert refreshes and refreshes[-1].ok
        assert client.auth_test()["team_id"] == ACME
