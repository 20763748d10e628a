"""`make preflight` (scripts/preflight.py): what it reports, and that it only ever reads.

The AWS clients are real botocore clients with a Stubber: a call the test did not expect fails,
and the shared fault harness records every call that reached botocore.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scripts import preflight

NEW_ACCOUNT = {
    "lambda": [
        (
            "get_account_settings",
            {"AccountLimit": {"ConcurrentExecutions": 10, "UnreservedConcurrentExecutions": 10}},
        )
    ],
    "pinpoint-sms-voice-v2": [
        (
            "describe_account_attributes",
            {"AccountAttributes": [{"Name": "ACCOUNT_TIER", "Value": "SANDBOXED"}]},
        ),
        (
            "describe_spend_limits",
            {
                "SpendLimits": [
                    {
                        "Name": "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT",
                        "EnforcedLimit": 1,
                        "MaxLimit": 1,
                        "Overridden": False,
                    }
                ]
            },
        ),
        ("describe_phone_numbers", {"PhoneNumbers": []}),
    ],
    "sesv2": [
        ("get_account", {"ProductionAccessEnabled": False, "SendingEnabled": True}),
        ("get_email_identity", {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": False}),
    ],
}

READY_NUMBER = {
    "PhoneNumberArn": "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-1",
    "PhoneNumberId": "phone-1",
    "PhoneNumber": "+18885550100",
    "Status": "ACTIVE",
    "IsoCountryCode": "US",
    "MessageType": "TRANSACTIONAL",
    "NumberCapabilities": ["SMS"],
    "NumberType": "TOLL_FREE",
    "MonthlyLeasingPrice": "2.00",
    "TwoWayEnabled": True,
    "SelfManagedOptOutsEnabled": False,
    "OptOutListName": "Default",
    "DeletionProtectionEnabled": True,
    "CreatedTimestamp": "2026-01-01T00:00:00Z",
}
READY_ACCOUNT = {
    "lambda": [
        (
            "get_account_settings",
            {"AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 1000}},
        )
    ],
    "pinpoint-sms-voice-v2": [
        (
            "describe_account_attributes",
            {"AccountAttributes": [{"Name": "ACCOUNT_TIER", "Value": "PRODUCTION"}]},
        ),
        (
            "describe_spend_limits",
            {
                "SpendLimits": [
                    {
                        "Name": "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT",
                        "EnforcedLimit": 200,
                        "MaxLimit": 200,
                        "Overridden": True,
                    }
                ]
            },
        ),
        ("describe_phone_numbers", {"PhoneNumbers": [READY_NUMBER], "NextToken": "page-2"}),
        ("describe_phone_numbers", {"PhoneNumbers": []}),
    ],
    "sesv2": [
        ("get_account", {"ProductionAccessEnabled": True, "SendingEnabled": True}),
        ("get_email_identity", {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": True}),
    ],
}


def _stubbed(answers: dict[str, list[tuple[str, dict[str, Any]]]]) -> tuple[Any, list[Stubber]]:
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    clients, stubbers = {}, []
    for service, calls in answers.items():
        client = session.client(service)
        stubber = Stubber(client)
        for method, response in calls:
            stubber.add_response(method, response)
        stubber.activate()
        clients[service], stubbers = client, [*stubbers, stubber]
    return clients.__getitem__, stubbers


def _run(answers, stage="prod", **overrides):
    clients, stubbers = _stubbed(answers)
    options = {"ses_identity": "example.org", "origination": None, "worker_concurrency": 10, "reserve": True}
    found = preflight.run(clients, stage, **(options | overrides))
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
    return {f.check: f for f in found}


def test_a_new_account_gets_a_fix_for_everything_a_prod_deploy_trips_on(faults):
    found = _run(NEW_ACCOUNT)

    fixes = {check for check, f in found.items() if f.level == "fix"}
    assert fixes == {
        "worker reserved concurrency",
        "sms sandbox",
        "sms spend limit",
        "sms origination identity",
        "ses sandbox",
        "ses identity",
    }
    assert "ReserveWorkerConcurrency=false" in found["worker reserved concurrency"].detail
    assert found["lambda concurrency"].level == "warn"
    assert faults.calls  # the harness saw the calls


def test_a_ready_account_passes_and_the_given_number_is_found_across_pages(faults):
    found = _run(READY_ACCOUNT, origination="+18885550100")

    assert {f.level for f in found.values()} == {"ok"}, [f.line() for f in found.values()]
    assert "+18885550100 (TOLL_FREE)" in found["sms origination identity"].detail


def test_dev_only_warns_where_prod_must_fix(faults):
    found = _run(NEW_ACCOUNT, stage="dev", worker_concurrency=2, reserve=False)

    assert found["sms sandbox"].level == found["ses sandbox"].level == "warn"
    assert found["worker reserved concurrency"].level == "ok"
    assert found["ses identity"].level == "fix"  # an unverified sender fails in every stage


def test_an_unknown_origination_number_is_a_fix(faults):
    found = _run(READY_ACCOUNT, origination="+15555550123")

    assert found["sms origination identity"].level == "fix"
    assert "+18885550100" in found["sms origination identity"].detail


@pytest.mark.parametrize("answers", [NEW_ACCOUNT, READY_ACCOUNT], ids=["new", "ready"])
def test_preflight_makes_only_read_only_calls(faults, answers):
    _run(answers, origination="+18885550100")

    operations = {(service, operation) for service, operation, _params in faults.calls}
    assert {service for service, _ in operations} == {"lambda", "pinpoint-sms-voice-v2", "sesv2"}
    assert all(operation.startswith(preflight.READ_ONLY_PREFIXES) for _, operation in operations), operations


def test_a_denied_check_is_reported_not_raised(faults):
    answers = dict(READY_ACCOUNT)
    clients, _ = _stubbed({k: v for k, v in answers.items() if k != "sesv2"})
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ses = session.client("sesv2")
    stubber = Stubber(ses)
    stubber.add_client_error("get_account", service_error_code="AccessDeniedException", http_status_code=403)
    stubber.activate()

    found = preflight.run(
        lambda name: ses if name == "sesv2" else clients(name),
        "prod",
        ses_identity="example.org",
        origination="+18885550100",
        worker_concurrency=10,
        reserve=True,
    )

    (denied,) = [f for f in found if f.check == "sesv2"]
    assert denied.level == "warn"
    assert "AccessDenied" in denied.detail
