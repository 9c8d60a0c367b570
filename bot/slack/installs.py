"""Multi-workspace mode: OAuth installs kept in the bot's own database, one bot token each.

slack_sdk's SQLAlchemy installation and state stores share the bot's engine (storage/db.py),
so every replica sees every install. Tokens rotate (Slack's token rotation): a token that
expires soon is refreshed before it is handed out, and the refreshed one is saved.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine

from bot.settings import ConfigError, Settings
from bot.slack.client import make_client

log = logging.getLogger(__name__)

# A token is refreshed when it would expire within this many minutes (Bolt's default).
ROTATE_BEFORE_MINUTES = 120
STATE_TTL_SECONDS = 600
MAX_CLIENTS = 1000


class Installs:
    """The installation store, the OAuth state store, and a client per installed workspace."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        if not (settings.slack_client_id and settings.slack_client_secret):
            raise ConfigError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are needed for OAuth")
        self.settings = settings
        self.store = SQLAlchemyInstallationStore(
            client_id=settings.slack_client_id, engine=engine,
            logger=logging.getLogger("slack_sdk.oauth"),
        )
        self.states = SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_TTL_SECONDS, engine=engine,
            logger=logging.getLogger("slack_sdk.oauth"),
        )
        # The OAuth calls (code exchange, refresh) go to SLACK_API_URL like every other call.
        self.oauth_client = make_client(None, settings.slack_api_url)
        self.rotator = TokenRotator(
            client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
            client=self.oauth_client,
        )
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    def create_tables(self) -> None:
        """slack_sdk's tables (slack_installations, slack_bots, slack_oauth_states), created
        when missing: they follow slack_sdk's schema, not ours, so no migration owns them."""
        self.store.create_tables()
        self.states.create_tables()

    def oauth_settings(self) -> OAuthSettings:
        s = self.settings
        return OAuthSettings(
            client_id=s.slack_client_id, client_secret=s.slack_client_secret,
            scopes=list(s.slack_scopes), redirect_uri=s.slack_redirect_uri,
            authorization_url=s.slack_authorize_url,
            installation_store=self.store, state_store=self.states,
            token_rotation_expiration_minutes=ROTATE_BEFORE_MINUTES,
            # Straight to Slack's page: no intermediate "Add to Slack" page of ours.
            install_page_rendering_enabled=False,
            logger=logging.getLogger("slack_bolt.oauth"),
        )

    def token(self, team_id: str) -> str | None:
        """The workspace's bot token, refreshed first when it expires soon; None when the
        workspace has not installed the bot."""
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            return None
        if bot.bot_refresh_token:
            refreshed = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )
            if refreshed is not None:
                self.store.save_bot(refreshed)
                bot = refreshed
        return bot.bot_token

    def client(self, team_id: str) -> WebClient:
        """A client with the workspace's own token; without an installation, one with no
        token (Slack refuses its calls, and the outbox retries them later)."""
        token = self.token(team_id)
        if token is None:
            log.warning("workspace %s has not installed the bot", team_id)
        return self.client_with(token)

    def client_with(self, token: str | None) -> WebClient:
        """The client for a token (one per token, reused)."""
        key = token or ""
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                if len(self._clients) >= MAX_CLIENTS:
                    # Rotated tokens leave old entries behind: start afresh now and then.
                    self._clients.clear()
                client = make_client(token, self.settings.slack_api_url)
                self._clients[key] = client
            return client
