"""Logs, metrics and health for running the bot in production.

- `logs`: `configure_logging`, `log_context(request_id=…, team_id=…, postmortem_id=…)`,
  `register_secrets`, `redact`.
- `metrics`: `observe_ack` / `time_ack` (slack_ack_seconds), `count_slack_call`,
  `count_http_request`, the scrape-time `DatabaseCollector`, `app_registry`, `render`.
- `health`: `check_readiness` (database up and schema at the migrations' head).
"""
