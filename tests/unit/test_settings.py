"""Settings are read lazily, from the environment only, and validated."""

from __future__ import annotations

import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.settings import dev_routes_requested, get_settings, reset_settings


def test_settings_are_cached_until_reset(monkeypatch):
    monkeypatch.setenv("HEARTH_TABLE", "first")
    assert get_settings().table_name == "first"

    monkeypatch.setenv("HEARTH_TABLE", "second")
    assert get_settings().table_name == "first"

    reset_settings()
    assert get_settings().table_name == "second"


def test_defaults_follow_the_stage(monkeypatch):
    monkeypatch.setenv("HEARTH_STAGE", "prod")
    monkeypatch.delenv("HEARTH_TABLE")
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE")
    reset_settings()

    settings = get_settings()
    assert settings.table_name == "hearth-prod"
    assert settings.metrics_namespace == "Hearth/prod"
    assert settings.tracing_enabled is True
    assert settings.is_local is False


def test_unknown_stage_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("HEARTH_STAGE", "staging")
    reset_settings()

    with pytest.raises(ConfigurationError):
        get_settings()


def test_malformed_integer_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("HEARTH_MAX_BODY_BYTES", "lots")
    reset_settings()

    with pytest.raises(ConfigurationError):
        get_settings()


def test_public_base_url_loses_its_trailing_slash(monkeypatch):
    monkeypatch.setenv("HEARTH_PUBLIC_BASE_URL", "https://hearth.example.org/")
    reset_settings()

    assert get_settings().public_base_url == "https://hearth.example.org"


def test_the_room_socket_is_a_websocket_url_or_none(monkeypatch):
    monkeypatch.delenv("HEARTH_WEBSOCKET_URL", raising=False)
    reset_settings()
    assert get_settings().websocket_url is None

    monkeypatch.setenv("HEARTH_WEBSOCKET_URL", "wss://abc123.execute-api.us-east-1.amazonaws.com/api/")
    reset_settings()
    assert get_settings().websocket_url == "wss://abc123.execute-api.us-east-1.amazonaws.com/api"


@pytest.mark.parametrize("url", ["https://abc123.example.org/api", "wss://x.example.org/api?token=1"])
def test_a_room_socket_that_is_not_a_plain_websocket_url_is_a_configuration_error(monkeypatch, url):
    monkeypatch.setenv("HEARTH_WEBSOCKET_URL", url)
    reset_settings()

    with pytest.raises(ConfigurationError):
        get_settings()


def test_dev_routes_are_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("HEARTH_DEV_ROUTES")
    assert dev_routes_requested() is False
    monkeypatch.setenv("HEARTH_DEV_ROUTES", "1")
    assert dev_routes_requested() is True


def test_importing_the_app_reads_no_setting_and_builds_no_client():
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import chalicelib.settings as s, chalicelib.aws as a\n"
        "import app\n"
        "assert s.get_settings.cache_info().currsize == 0, 'settings read at import'\n"
        "assert a._clients == {}, 'client built at import'\n"
        "import sys; assert 'boto3' not in sys.modules, 'boto3 imported at import'\n"
    )
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def test_an_unset_stage_is_a_deployed_one_without_dev_routes(monkeypatch):
    from chalicelib.settings import get_settings, reset_settings

    monkeypatch.delenv("HEARTH_STAGE", raising=False)
    reset_settings()

    settings = get_settings()

    assert settings.stage == "prod"
    assert not settings.is_local
