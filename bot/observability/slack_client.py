"""A Slack WebClient that counts its calls and errors per method, and Bolt clients made to match.

Every WebClient method goes through `api_call`, so overriding it sees every call with its
method name. Behaviour is unchanged: same arguments, same response, same exceptions.

Bolt builds a fresh plain WebClient for each incoming request (the `client`, `say` and
`respond` a listener gets), copied from the app's client but not of its class.
`instrument_bolt_clients(app)` adds a middleware that turns that per-request client into an
`InstrumentedWebClient` in place, so listeners' calls are counted too.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.observability.metrics import count_slack_call


class InstrumentedWebClient(WebClient):
    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as err:
            count_slack_call(api_method, _error_code(err))
            raise
        except Exception as err:
            count_slack_call(api_method, type(err).__name__)
            raise
        # A client built with raise_error=False (none of ours) returns failures instead.
        ok = response.data.get("ok", True) if isinstance(response.data, dict) else True
        count_slack_call(api_method, None if ok else str(response.get("error") or "unknown"))
        return response


def _error_code(err: SlackApiError) -> str:
    response = getattr(err, "response", None)
    try:
        code = response.get("error") if response is not None else None
    except Exception:
        code = None
    return str(code or "unknown")


def instrument(client: WebClient) -> WebClient:
    """Make `client` count its calls, in place (everyone holding it is counted)."""
    if not isinstance(client, InstrumentedWebClient):
        # The subclass only overrides api_call and adds no state, so re-classing an existing
        # instance is safe, and keeps the `say`/`respond` Bolt already built around it.
        client.__class__ = InstrumentedWebClient
    return client


def instrument_bolt_clients(app: App) -> App:
    """Count the Web API calls of `app`'s listeners (once per app; safe to call again)."""
    if getattr(app, "_counts_slack_calls", False):
        return app

    def count_calls(context: BoltContext, next: Any) -> Any:
        instrument(context.client)
        return next()

    app.use(count_calls)
    app._counts_slack_calls = True  # type: ignore[attr-defined]
    return app
