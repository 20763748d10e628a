"""Test environment: fake AWS credentials and Hearth settings, set before any import of the app.

moto is imported first so it hooks botocore before anything builds a client.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import moto  # noqa: F401  (must be imported before any AWS client exists)
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# `faults`: AWS failures on demand; `sms_voice`: End User Messaging SMS, which moto lacks
pytest_plugins = ["tests.faults.botocore_faults", "tests.faults.sms_voice"]

TEST_ADMIN_TOKEN = "test-admin-token-that-is-long-enough"
TEST_CONTACT_KEY = "dGVzdC1jb250YWN0LWtleS0zMi1ieXRlcy1sb25nISE"  # 32 bytes, test only

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "HEARTH_STAGE": "test",
        "HEARTH_DEV_ROUTES": "1",
        "HEARTH_ADMIN_TOKEN": TEST_ADMIN_TOKEN,
        "HEARTH_CONTACT_KEY": TEST_CONTACT_KEY,
        "HEARTH_TABLE": "hearth-test",
        "POWERTOOLS_METRICS_NAMESPACE": "Hearth/test",
    }
)
os.environ.pop("HEARTH_AWS_ENDPOINT_URL", None)


def reset_process_state() -> None:
    """Forget everything cached from settings so a test's environment takes effect."""
    from chalicelib import aws, keyring, settings
    from chalicelib.notify import kill_switch, senders
    from chalicelib.services import container

    container.services.cache_clear()
    kill_switch.reset()
    settings.reset_settings()
    aws.reset()
    keyring.reset()
    senders.outbox.cache_clear()
    senders.pacer.cache_clear()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HEARTH_OUTBOX_PATH", str(tmp_path / "outbox.jsonl"))
    # Suites that are not about the pace send at a rate they never reach (no real waits);
    # the pace's own tests set theirs and a virtual clock.
    monkeypatch.setenv("HEARTH_SMS_MPS", "1000")
    monkeypatch.setenv("HEARTH_EMAIL_PER_SECOND", "1000")
    reset_process_state()
    yield
    reset_process_state()


@pytest.fixture
def captured_logs():
    """Everything Hearth logs during the test, exactly as formatted for CloudWatch."""
    import io
    import logging

    from chalicelib import observability

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.logger().registered_formatter)
    target = logging.getLogger(observability.SERVICE)
    target.addHandler(handler)
    try:
        yield stream
    finally:
        target.removeHandler(handler)
