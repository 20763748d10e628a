"""What the deployed functions rely on at run time: per-stage settings, correlation ids, tracing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())


def test_local_stage_stays_a_local_stage_for_chalice_local():
    local = CONFIG["stages"]["local"]
    assert local["environment_variables"]["HEARTH_STAGE"] == "local"
    assert local["api_gateway_stage"] == "api"


def test_chalices_test_client_gets_no_deployed_stage_environment():
    """`chalice.test.Client(app)` uses stage `dev` and sets its config environment during every
    call: a HEARTH_STAGE=dev there would turn the tests' local stage into dev mid-test."""
    for stage in ("dev", "prod"):
        assert "environment_variables" not in CONFIG["stages"][stage]
        for function in CONFIG["stages"][stage].get("lambda_functions", {}).values():
            assert "environment_variables" not in function
    for function in CONFIG.get("lambda_functions", {}).values():
        assert "environment_variables" not in function
    assert "environment_variables" not in CONFIG


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_deployed_functions_get_their_stage_its_metrics_namespace_and_tracing(templates, stage, monkeypatch):
    from chalicelib.settings import get_settings, reset_settings

    variables = templates[stage]["Globals"]["Function"]["Environment"]["Variables"]
    for name, value in variables.items():
        if value == {"Ref": "Stage"}:
            monkeypatch.setenv(name, stage)
        elif isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            monkeypatch.setenv(name, value["Fn::Sub"].replace("${Stage}", stage))
        elif isinstance(value, str):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    reset_settings()
    settings = get_settings()
    assert settings.stage == stage
    assert settings.metrics_namespace == f"Hearth/{stage}"
    assert settings.tracing_enabled is True
    assert not settings.is_local


def test_tracing_without_the_x_ray_sdk_degrades_to_lambda_traces_instead_of_failing(
    monkeypatch, captured_logs
):
    from chalicelib import observability
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("HEARTH_TRACING", "true")
    monkeypatch.setitem(sys.modules, "aws_xray_sdk", None)  # as in a package built without it
    reset_settings()
    observability.tracer.cache_clear()
    try:
        assert observability.tracer() is None
    finally:
        observability.tracer.cache_clear()
    assert "aws-xray-sdk is not installed" in captured_logs.getvalue()


def test_tracing_off_never_imports_the_x_ray_sdk():
    import subprocess

    code = "import app, sys; assert 'aws_xray_sdk' not in sys.modules, 'X-Ray SDK imported'"
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "HEARTH_TRACING": "false"}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def test_worker_logs_carry_the_sqs_message_id_and_report_only_that_message(captured_logs):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        event = client.events.generate_sqs_event(queue_name="hearth-reminders", message_bodies=["not json"])
        message_id = event["Records"][0]["messageId"]
        answer = client.lambda_.invoke("reminder_worker", event).payload
    assert answer == {"batchItemFailures": [{"itemIdentifier": message_id}]}
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines() if line.strip()]
    (unreadable,) = [line for line in lines if line["message"] == "unreadable reminder message"]
    assert unreadable["message_id"] == message_id


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_sending_pace_is_a_parameter_every_function_gets(templates, stage):
    template = templates[stage]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["HEARTH_SMS_MPS"] == {"Ref": "SmsPartsPerSecond"}
    assert variables["HEARTH_EMAIL_PER_SECOND"] == {"Ref": "EmailPerSecond"}
    for name in ("SmsPartsPerSecond", "EmailPerSecond"):
        parameter = template["Parameters"][name]
        assert parameter["Type"] == "Number"
        assert parameter["MinValue"] == 1  # settings refuse a pace of zero
        assert parameter["Default"] == 1  # the defaults: one part, one email a second
