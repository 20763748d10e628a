"""Hearth's configuration: the only module that reads ``os.environ``.

Settings are read lazily, on first use, and cached for the life of the process.
Chalice's test client applies `.chalice/config.json` environment variables only
while a request runs, so nothing may read settings at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from chalicelib.errors import ConfigurationError

STAGES = ("local", "test", "dev", "prod")


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_name: str
    aws_endpoint_url: str | None
    admin_token: str | None
    admin_token_secret_arn: str | None
    contact_key: str | None
    contact_key_secret_arn: str | None
    public_base_url: str
    outbox_path: str
    max_body_bytes: int
    message_retention_days: int  # room messages expire (TTL) and are hidden on read after this
    log_level: str
    tracing_enabled: bool
    metrics_namespace: str
    reminder_queue_url: str | None
    inbound_sms_topic_arn: str | None
    sms_origination_identity: str | None
    sms_configuration_set: str | None  # every SMS names it, so End User Messaging routes its events
    sms_countries: frozenset[str]
    sms_daily_cap_per_country: int
    email_from: str
    sms_mps: int  # message parts per second of the origination identity, shared by every sender
    email_per_second: int  # SES's sending rate
    ses_configuration_set: str | None  # every email names it, so SES reports its bounces/complaints
    sending_switch_parameter: str | None  # the kill switch's SSM parameter; None: always on
    sending_switch_cache_seconds: int
    websocket_url: str | None  # where pages open the room's live socket (wss://… in AWS, ws://… locally)
    websocket_management_url: str | None  # local gateway only: `@connections` instead of execute-api

    @property
    def is_local(self) -> bool:
        """Dev-only routes and the local outbox exist only in these stages."""
        return self.stage in ("local", "test")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer") from exc


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _codes(raw: str) -> frozenset[str]:
    return frozenset(code.strip().upper() for code in raw.split(",") if code.strip())


def _socket_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not raw.startswith(("wss://", "ws://")) or "?" in raw or "#" in raw:
        raise ConfigurationError("HEARTH_WEBSOCKET_URL must be a ws:// or wss:// URL without a query")
    return raw.rstrip("/")


@cache
def get_settings() -> Settings:
    # Unset means a deployed stage: dev routes and the local outbox exist only when asked for.
    stage = _env("HEARTH_STAGE", "prod") or "prod"
    if stage not in STAGES:
        raise ConfigurationError(f"HEARTH_STAGE must be one of {', '.join(STAGES)}")
    region = _env("AWS_REGION") or _env("AWS_DEFAULT_REGION") or "us-east-1"
    return Settings(
        stage=stage,
        region=region,
        table_name=_env("HEARTH_TABLE", f"hearth-{stage}") or f"hearth-{stage}",
        aws_endpoint_url=_env("HEARTH_AWS_ENDPOINT_URL"),
        admin_token=_env("HEARTH_ADMIN_TOKEN"),
        admin_token_secret_arn=_env("HEARTH_ADMIN_TOKEN_SECRET_ARN"),
        contact_key=_env("HEARTH_CONTACT_KEY"),
        contact_key_secret_arn=_env("HEARTH_CONTACT_KEY_SECRET_ARN"),
        public_base_url=(_env("HEARTH_PUBLIC_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/"),
        outbox_path=_env("HEARTH_OUTBOX_PATH", ".hearth/outbox.jsonl") or ".hearth/outbox.jsonl",
        max_body_bytes=_int("HEARTH_MAX_BODY_BYTES", 16 * 1024),
        message_retention_days=_int("HEARTH_MESSAGE_RETENTION_DAYS", 30),
        log_level=(_env("HEARTH_LOG_LEVEL", "INFO") or "INFO").upper(),
        tracing_enabled=_bool("HEARTH_TRACING", stage in ("dev", "prod")),
        metrics_namespace=_env("HEARTH_METRICS_NAMESPACE", f"Hearth/{stage}") or f"Hearth/{stage}",
        reminder_queue_url=_env("HEARTH_REMINDER_QUEUE_URL"),
        inbound_sms_topic_arn=_env("HEARTH_INBOUND_SMS_TOPIC_ARN"),
        sms_origination_identity=_env("HEARTH_SMS_ORIGINATION_IDENTITY"),
        sms_configuration_set=_env("HEARTH_SMS_CONFIGURATION_SET"),
        sms_countries=_codes(_env("HEARTH_SMS_COUNTRIES", "US,CA") or ""),
        sms_daily_cap_per_country=_int("HEARTH_SMS_DAILY_CAP_PER_COUNTRY", 5000),
        email_from=_env("HEARTH_EMAIL_FROM", "Hearth <no-reply@hearth.invalid>") or "",
        sms_mps=_positive("HEARTH_SMS_MPS", 1),
        email_per_second=_positive("HEARTH_EMAIL_PER_SECOND", 1),
        ses_configuration_set=_env("HEARTH_SES_CONFIGURATION_SET"),
        sending_switch_parameter=_env("HEARTH_SENDING_SWITCH_PARAMETER"),
        sending_switch_cache_seconds=_int("HEARTH_SENDING_SWITCH_CACHE_SECONDS", 30),
        websocket_url=_socket_url(_env("HEARTH_WEBSOCKET_URL")),
        websocket_management_url=(_env("HEARTH_WEBSOCKET_MANAGEMENT_URL") or "").rstrip("/") or None,
    )


def reset_settings() -> None:
    """Forget cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()


def dev_routes_requested() -> bool:
    """Whether app.py should register the local-only dev routes.

    Read at import because Chalice's route table is built then. It is off unless
    asked for, so a deployed package never carries the routes; each dev route
    also refuses to work outside the local stages.
    """
    return _bool("HEARTH_DEV_ROUTES", False)


def reminder_queue_name() -> str:
    """The reminder queue's name, read at import: Chalice binds the SQS trigger then."""
    return _env("HEARTH_REMINDER_QUEUE", "hearth-reminders") or "hearth-reminders"


def inbound_sms_topic_name() -> str:
    """The inbound SMS topic's name, read at import: Chalice binds the SNS trigger then."""
    return _env("HEARTH_INBOUND_SMS_TOPIC", "hearth-inbound-sms") or "hearth-inbound-sms"


def email_events_topic_name() -> str:
    """The SES feedback topic's name, read at import: Chalice binds the SNS trigger then."""
    return _env("HEARTH_EMAIL_EVENTS_TOPIC", "hearth-email-events") or "hearth-email-events"
