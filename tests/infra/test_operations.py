"""What a first deploy and on-call rely on, checked in the packaged templates.

The key policy is complete for what the stack does with the key; prod keeps its data without
stranding a failed first create; the SAM transform AWS runs adds no stray `Stage` stage; every
function has an errors and a near-timeout alarm; events SNS delivers asynchronously are never
dropped silently; SES feedback reaches Hearth; the kill switch is readable by every sender; and
`make deploy` hands CloudFormation the template through the bucket.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import STAGES
from tests.infra.test_template import (
    alarms,
    functions,
    granted,
    listify,
    of_type,
    references,
    role_statements,
    statements,
    sub_text,
    watching,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
stages = pytest.mark.parametrize("stage", STAGES)
ENCRYPTED_TOPIC_PUBLISHERS = {
    "InboundSmsTopic": "sms-voice.amazonaws.com",
    "AlarmTopic": "cloudwatch.amazonaws.com",
    "EmailEventsTopic": "ses.amazonaws.com",
}


@pytest.fixture(scope="session")
def translated(templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each stage's template after the AWS::Serverless transform, as CloudFormation runs it
    (with CodeUri in S3, as `aws cloudformation package` leaves it)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    result = {}
    for stage, template in templates.items():
        packaged = json.loads(json.dumps(template))
        for function in functions(packaged).values():
            function["Properties"]["CodeUri"] = f"s3://deploy-bucket/hearth/{stage}/0123456789abcdef"
        result[stage] = Translator({}, Parser(), boto_session=session).translate(
            packaged, parameter_values={}, get_managed_policy_map=lambda: {}
        )
    return result


def key_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return statements(template["Resources"]["HearthKey"]["Properties"]["KeyPolicy"])


def key_actions_for(template: dict[str, Any], principal: str) -> set[str]:
    found: set[str] = set()
    for statement in key_statements(template):
        who = statement["Principal"]
        names = listify(who.get("Service", [])) + [sub_text(a) for a in listify(who.get("AWS", []))]
        if principal in names:
            found |= set(listify(statement["Action"]))
    return found


# --- the key ------------------------------------------------------------------------------------


@stages
def test_the_key_policy_lets_the_account_create_retarget_and_delete_the_alias_and_the_key(templates, stage):
    root = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
    actions = key_actions_for(templates[stage], root)
    # AWS checks CreateAlias against the key policy too: without it the first create rolls back
    assert {"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"} <= actions
    # what CloudFormation does to the key itself, from create to a teardown
    assert {
        "kms:DescribeKey",
        "kms:PutKeyPolicy",
        "kms:GetKeyPolicy",
        "kms:EnableKeyRotation",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
    } <= actions
    # what the table, queues and secrets do with it through the account's roles
    assert {"kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"} <= actions
    assert not [a for s in key_statements(templates[stage]) for a in listify(s["Action"]) if "*" in a]
    alias = templates[stage]["Resources"]["HearthKeyAlias"]["Properties"]
    assert references(alias["TargetKeyId"]) == {"HearthKey"}


@stages
def test_every_service_that_publishes_to_an_encrypted_topic_may_use_the_key(templates, stage):
    template = templates[stage]
    for topic, service in ENCRYPTED_TOPIC_PUBLISHERS.items():
        assert references(template["Resources"][topic]["Properties"]["KmsMasterKeyId"]) == {"HearthKey"}
        assert {"kms:Decrypt", "kms:GenerateDataKey"} <= key_actions_for(template, service), (topic, service)
    # the budget notifies the (encrypted) alarm topic
    budget = template["Resources"]["CostBudget"]["Properties"]
    subscribers = [s for n in budget["NotificationsWithSubscribers"] for s in n["Subscribers"]]
    assert all(
        s["SubscriptionType"] == "SNS" and references(s["Address"]) == {"AlarmTopic"} for s in subscribers
    )
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= key_actions_for(template, "budgets.amazonaws.com")
    # and a topic with a policy lets its publisher in (a TopicPolicy replaces SNS's default one)
    publishers = {
        name: {
            sv
            for s in statements(p["Properties"]["PolicyDocument"])
            for sv in listify(s["Principal"]["Service"])
        }
        for p in of_type(template, "AWS::SNS::TopicPolicy").values()
        for name in references(p["Properties"]["Topics"])
    }
    assert publishers["AlarmTopic"] == {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"}
    assert publishers["EmailEventsTopic"] == {"ses.amazonaws.com"}
    assert publishers["InboundSmsTopic"] == {"sms-voice.amazonaws.com"}


@stages
def test_everything_encrypted_with_the_key_is_used_through_a_service_the_role_may_use_it_by(templates, stage):
    """A role that sends to an encrypted queue may use the key through SQS (the failure destination
    of the async functions writes with the function's role)."""
    template = templates[stage]
    for name in ("InboundSms", "EmailFeedback"):
        function = functions(template)[name]
        (send,) = granted(template, function, "sqs:SendMessage")
        assert references(send["Resource"]) == {"AsyncFailureQueue"}
        (kms,) = granted(template, function, "kms:GenerateDataKey")
        services = [sub_text(s) for s in kms["Condition"]["StringEquals"]["kms:ViaService"]]
        assert "sqs.${AWS::Region}.amazonaws.com" in services, name


# --- prod, parameters, the SAM transform -----------------------------------------------------------


@stages
def test_the_sam_transform_creates_only_the_api_stage_alarms_watch(translated, templates, stage):
    resources = translated[stage]["Resources"]
    api_stages = {
        n: r["Properties"]["StageName"] for n, r in resources.items() if r["Type"] == "AWS::ApiGateway::Stage"
    }
    assert list(api_stages.values()) == ["api"], api_stages  # no implicit "Stage"
    assert templates[stage]["Globals"]["Api"]["OpenApiVersion"]
    (five_xx,) = watching(templates[stage], "AWS/ApiGateway", "5XXError")
    assert {d["Name"]: d["Value"] for d in five_xx["Dimensions"]}["Stage"] == "api"


def test_prod_refuses_to_deploy_without_an_origination_identity(templates):
    rule = templates["prod"]["Rules"]["ProdTextsFromARegisteredNumber"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "SmsOriginationIdentity"}, ""]}]}
    assert templates["prod"]["Parameters"]["Stage"]["AllowedValues"] == ["prod"]  # the rule always applies


@stages
def test_the_optional_custom_domain_maps_its_root_to_the_api_stage(translated, templates, stage):
    template = templates[stage]
    for name in ("CustomDomainCertificate", "CustomDomain", "CustomDomainMapping"):
        assert template["Resources"][name]["Condition"] == "HasCustomDomain", name
    assert template["Resources"]["CustomDomainRecord"]["Condition"] == "HasCustomDomainZone"
    assert template["Parameters"]["CustomDomainName"]["Default"] == ""
    mapping = translated[stage]["Resources"]["CustomDomainMapping"]["Properties"]
    assert mapping["Stage"] == {"Ref": "RestAPIapiStage"}
    assert "BasePath" not in mapping  # the domain's root is the stage's root: pages use "/"


# --- alarms -------------------------------------------------------------------------------------


@stages
def test_every_function_has_an_errors_and_a_near_timeout_alarm_and_throttles_are_watched(templates, stage):
    template = templates[stage]
    errors = {n for a in watching(template, "AWS/Lambda", "Errors") for n in references(a["Dimensions"])}
    assert errors == set(functions(template))
    for name, function in functions(template).items():
        (duration,) = [
            a for a in watching(template, "AWS/Lambda", "Duration") if references(a["Dimensions"]) == {name}
        ]
        assert duration["Threshold"] == pytest.approx(0.8 * function["Properties"]["Timeout"] * 1000), name
        assert duration["Statistic"] == "Maximum"
    (throttles,) = watching(template, "AWS/Lambda", "Throttles")
    watched = {n for m in throttles["Metrics"] if "MetricStat" in m for n in references(m["MetricStat"])}
    assert watched == set(functions(template))


@stages
def test_alarms_watch_what_can_fail_quietly(templates, stage):
    template = templates[stage]
    (latency,) = watching(template, "AWS/ApiGateway", "Latency")
    assert latency["ExtendedStatistic"] == "p99"
    (websocket,) = watching(template, "AWS/ApiGateway", "IntegrationError")
    assert {n for m in websocket["Metrics"] if "MetricStat" in m for n in references(m["MetricStat"])} == {
        "WebsocketAPI"
    }
    (system,) = watching(template, "AWS/DynamoDB", "SystemErrors")
    operations = {
        d["Value"]
        for m in system["Metrics"]
        if "MetricStat" in m
        for d in m["MetricStat"]["Metric"]["Dimensions"]
        if d["Name"] == "Operation"
    }
    assert {"GetItem", "PutItem", "UpdateItem", "Query", "BatchGetItem", "TransactWriteItems"} <= operations
    (spend,) = watching(template, "AWS/SMSVoice", "TextMessageMonthlySpend")  # End User Messaging's
    assert spend["Threshold"] == {"Ref": "SmsMonthlySpendAlarmUsd"}
    namespace = {"Fn::Sub": "Hearth/${Stage}"}
    (failed,) = [a for a in alarms(template) if a.get("MetricName") == "reminders_failed"]
    assert failed["Namespace"] == namespace
    (late,) = [a for a in alarms(template) if a.get("MetricName") == "RemindersDroppedLate"]
    assert (late["Namespace"], late["Dimensions"]) == (namespace, [{"Name": "service", "Value": "hearth"}])
    (bounces,) = watching(template, "AWS/SES", "Reputation.BounceRate")
    (complaints,) = watching(template, "AWS/SES", "Reputation.ComplaintRate")
    assert bounces["Threshold"] < 0.05
    assert complaints["Threshold"] < 0.001
    for alarm in alarms(template):
        assert references(alarm["AlarmActions"]) == {"AlarmTopic"}, alarm["AlarmName"]
    assert of_type(template, "AWS::CloudWatch::Dashboard")
    assert of_type(template, "AWS::Budgets::Budget")


def test_the_runbook_has_an_entry_for_every_alarm(templates):
    readme = (ROOT / "README.md").read_text()
    for alarm in alarms(templates["prod"]):
        name = sub_text(alarm["AlarmName"]).replace("${Stage}", "<stage>")
        assert f"`{name}`" in readme, name


# --- events that must not be lost ---------------------------------------------------------------


@stages
def test_inbound_sms_and_email_feedback_keep_what_fails_every_retry(translated, templates, stage):
    resources = translated[stage]["Resources"]
    configs = {
        references(r["Properties"]["FunctionName"]).pop(): r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
    }
    assert set(configs) == {"InboundSms", "EmailFeedback"}
    for name, config in configs.items():
        assert references(config["DestinationConfig"]["OnFailure"]["Destination"]) == {"AsyncFailureQueue"}, (
            name
        )
        assert config["MaximumRetryAttempts"] == 2
    watched = [
        a
        for a in watching(templates[stage], "AWS/SQS", "ApproximateNumberOfMessagesVisible")
        if references(a["Dimensions"]) == {"AsyncFailureQueue"}
    ]
    assert watched
    assert watched[0]["Threshold"] == 1
    (lost,) = watching(templates[stage], "AWS/Lambda", "DestinationDeliveryFailures")
    assert {n for m in lost["Metrics"] if "MetricStat" in m for n in references(m["MetricStat"])} == set(
        configs
    )


@stages
def test_ses_reports_bounces_and_complaints_to_the_function_that_stops_email(templates, stage):
    from chalice.app import SNSEventConfig

    import app as app_module

    template = templates[stage]
    resources = template["Resources"]
    destination = resources["EmailFeedbackDestination"]["Properties"]
    assert references(destination["ConfigurationSetName"]) == {"EmailConfigurationSet"}
    event = destination["EventDestination"]
    assert event["Enabled"] is True
    assert {"bounce", "complaint"} <= set(event["MatchingEventTypes"])
    assert references(event["SnsDestination"]["TopicARN"]) == {"EmailEventsTopic"}
    (config,) = [
        c
        for c in app_module.app.event_sources
        if isinstance(c, SNSEventConfig) and c.name == "email_feedback"
    ]
    (name,) = [
        n for n, f in functions(template).items() if f["Properties"]["Handler"] == config.handler_string
    ]
    (subscription,) = [
        e for e in functions(template)[name]["Properties"]["Events"].values() if e["Type"] == "SNS"
    ]
    assert references(subscription["Properties"]["Topic"]) == {"EmailEventsTopic"}
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert shared["HEARTH_SES_CONFIGURATION_SET"] == {"Ref": "EmailConfigurationSet"}
    config_set = sub_text(resources["EmailConfigurationSet"]["Properties"]["Name"])
    for sender in ("APIHandler", "ReminderWorker"):  # SES authorises a send against the set too
        (send,) = granted(template, functions(template)[sender], "ses:SendEmail")
        assert any(
            sub_text(r).endswith(f":configuration-set/{config_set}") for r in listify(send["Resource"])
        )


@stages
def test_every_text_names_the_stacks_sms_configuration_set_and_may_be_sent_through_it(templates, stage):
    template = templates[stage]
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert shared["HEARTH_SMS_CONFIGURATION_SET"] == {"Ref": "SmsConfigurationSet"}
    config_set = template["Resources"]["SmsConfigurationSet"]
    assert config_set["Type"] == "AWS::SMSVOICE::ConfigurationSet"
    name = sub_text(config_set["Properties"]["ConfigurationSetName"])
    texting = {n for n, f in functions(template).items() if granted(template, f, "sms-voice:SendTextMessage")}
    assert texting == {"APIHandler", "ReminderWorker", "InboundSms"}  # codes, reminders, replies
    for function_name in texting:
        (send,) = granted(template, functions(template)[function_name], "sms-voice:SendTextMessage")
        assert any(sub_text(r).endswith(f":configuration-set/{name}") for r in listify(send["Resource"]))
    for function in functions(template).values():  # outbound SMS no longer goes through SNS
        assert not granted(template, function, "sns:Publish")
        assert not granted(template, function, "sns:CheckIfPhoneNumberIsOptedOut")


@stages
def test_every_function_that_sends_may_read_the_kill_switch_and_nothing_else(templates, stage):
    template = templates[stage]
    switch = template["Resources"]["SendingSwitch"]["Properties"]
    assert switch["Value"] == "on"
    name = sub_text(switch["Name"])
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert shared["HEARTH_SENDING_SWITCH_PARAMETER"] == {"Ref": "SendingSwitch"}
    for function_name, function in functions(template).items():
        sends = granted(template, function, "sms-voice:SendTextMessage") or granted(
            template, function, "ses:SendEmail"
        )
        reads = granted(template, function, "ssm:GetParameter")
        if sends:
            (statement,) = reads
            assert sub_text(statement["Resource"]).endswith(f":parameter{name}"), function_name
        else:
            assert not reads, function_name


@stages
def test_functions_that_touch_some_partitions_are_held_to_them(templates, stage):
    template = templates[stage]
    for name in ("ReminderSweep", "WebsocketConnect", "WebsocketDisconnect", "EmailFeedback"):
        (table,) = [s for s in role_statements(template, functions(template)[name]) if s["Sid"] == "Table"]
        prefixes = table["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert prefixes, name
        assert all(p.endswith("*") or p.isupper() for p in prefixes), name


# --- make deploy ----------------------------------------------------------------------------------


def _dry_run(*arguments: str) -> list[list[str]]:
    """The aws commands `make -n <arguments>` prints, split as the shell would."""
    printed = subprocess.run(
        ["make", "-n", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [
        shlex.split(line) for line in printed.replace("\\\n", " ").splitlines() if line.startswith("aws ")
    ]


def test_make_deploy_hands_cloudformation_the_template_through_the_bucket_and_keeps_the_release(packaged):
    bucket = "hearth-deploy-example"
    commands = _dry_run(
        "deploy", "STAGE=prod", f"DEPLOY_BUCKET={bucket}", "RELEASE=r1", "PARAMS=SesIdentity=example.org"
    )
    package, copy, deploy = commands
    assert package[:3] == ["aws", "cloudformation", "package"]
    assert package[package.index("--s3-bucket") + 1] == bucket
    packaged_file = package[package.index("--output-template-file") + 1]
    assert copy[:3] == ["aws", "s3", "cp"]
    assert copy[-2:] == [
        packaged_file,
        f"s3://{bucket}/hearth/prod/releases/r1.json",
    ]
    assert deploy[:3] == ["aws", "cloudformation", "deploy"]
    assert deploy[deploy.index("--template-file") + 1] == packaged_file
    # over 51,200 bytes CloudFormation takes a template only from S3: the packaged one is that big
    assert deploy[deploy.index("--s3-bucket") + 1] == bucket
    assert (packaged["prod"] / "sam.json").stat().st_size > 51_200
    assert {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"} <= set(deploy)
    assert deploy[deploy.index("--parameter-overrides") + 1] == "SesIdentity=example.org"

    back = _dry_run("rollback", "STAGE=prod", f"DEPLOY_BUCKET={bucket}", "ROLLBACK_TO=r1")
    fetched, redeployed = back
    assert fetched[-2] == f"s3://{bucket}/hearth/prod/releases/r1.json"
    assert redeployed[redeployed.index("--template-file") + 1] == fetched[-1]
    assert redeployed[redeployed.index("--s3-bucket") + 1] == bucket
    assert "--parameter-overrides" not in redeployed  # the stack keeps its parameters


def test_config_reserves_no_concurrency_the_template_does():
    for stage in ("dev", "prod"):
        for function in CONFIG["stages"][stage].get("lambda_functions", {}).values():
            assert "reserved_concurrency" not in function
