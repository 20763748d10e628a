"""The merged SAM template `make package` writes, checked against the app it deploys.

The table must be the PynamoDB model's, every handler must have its trigger, alarms must watch
the reminder path and the API, and IAM must name what it grants: no wildcard action anywhere,
and `*` as a resource only for the few actions that have no resource to name.
"""

from __future__ import annotations

import re
import string
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import STAGES

# Actions AWS authorises only against "*": they have no resource type to name.
WITHOUT_RESOURCE_TYPES = frozenset(
    {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "sns:CheckIfPhoneNumberIsOptedOut"}
)
SUPPORTED_RUNTIMES = frozenset({"python3.11", "python3.12", "python3.13", "python3.14"})
# The stack's own resources a function may use; each must exist before the function does.
DATA_RESOURCES = frozenset(
    {
        "Table",
        "ReminderQueue",
        "InboundSmsTopic",
        "AdminTokenSecret",
        "ContactKeySecret",
        "HearthKey",
        "AsyncFailureQueue",
    }
)

stages = pytest.mark.parametrize("stage", STAGES)


# --- helpers ----------------------------------------------------------------------------------


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return of_type(template, "AWS::Serverless::Function")


def references(value: Any) -> set[str]:
    """Logical IDs `value` refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (inner, {}) if isinstance(inner, str) else inner
                names = {name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= names - set(variables)
                found |= references(variables)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return {name for name in found if not name.startswith("AWS::")}


def function_by_handler(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    matches = [(n, r) for n, r in functions(template).items() if r["Properties"]["Handler"] == handler]
    assert len(matches) == 1, f"one function must run {handler}, found {[n for n, _ in matches]}"
    return matches[0]


def listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(resource, kind, document) for every IAM and resource policy in the template."""
    for name, res in template["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                yield name, "identity", policy["PolicyDocument"]
            yield name, "trust", props["AssumeRolePolicyDocument"]
        elif res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield name, "identity", props["PolicyDocument"]
        elif res["Type"] == "AWS::KMS::Key":
            yield name, "key", props["KeyPolicy"]
        elif res["Type"] in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"):
            yield name, "resource", props["PolicyDocument"]


def environment(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    """A function's environment as SAM builds it: Globals, then the function's own."""
    shared = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    return shared | function["Properties"].get("Environment", {}).get("Variables", {})


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return listify(document["Statement"])


def role_of(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    (role_name,) = references(function["Properties"]["Role"])
    return template["Resources"][role_name]


def role_statements(template: dict[str, Any], function: dict[str, Any]) -> list[dict[str, Any]]:
    role = role_of(template, function)
    return [s for policy in role["Properties"]["Policies"] for s in statements(policy["PolicyDocument"])]


def granted(template: dict[str, Any], function: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in role_statements(template, function) if action in listify(s.get("Action", []))]


def sub_text(value: Any) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        inner = value["Fn::Sub"]
        return inner if isinstance(inner, str) else inner[0]
    assert isinstance(value, str), value
    return value


@pytest.fixture(scope="module")
def app_module() -> Any:
    import app

    return app


@pytest.fixture(scope="module")
def model_schema() -> dict[str, Any]:
    from chalicelib.store.tables import HearthItem

    return HearthItem._get_schema()


# --- the table ---------------------------------------------------------------------------------


@stages
def test_table_key_schema_and_attributes_match_the_pynamodb_model(templates, model_schema, stage):
    from chalicelib.store.tables import HearthItem

    table = of_type(templates[stage], "AWS::DynamoDB::Table")["Table"]["Properties"]
    pair = ("AttributeName", "KeyType")
    assert {tuple(k[f] for f in pair) for k in table["KeySchema"]} == {
        tuple(k[f] for f in pair) for k in model_schema["key_schema"]
    }
    attribute = ("AttributeName", "AttributeType")
    assert sorted(tuple(a[f] for f in attribute) for a in table["AttributeDefinitions"]) == sorted(
        tuple(a[f] for f in attribute) for a in model_schema["attribute_definitions"]
    )
    assert table["BillingMode"] == HearthItem.Meta.billing_mode == "PAY_PER_REQUEST"
    assert not table.get("LocalSecondaryIndexes")
    assert not model_schema["local_secondary_indexes"]


@stages
def test_every_gsi_matches_the_model_with_its_projection(templates, model_schema, stage):
    table = of_type(templates[stage], "AWS::DynamoDB::Table")["Table"]["Properties"]
    pair = ("AttributeName", "KeyType")

    def shape(index: dict[str, Any], name: str, keys: str, projection: str) -> tuple[Any, ...]:
        proj = index[projection]
        return (
            index[name],
            frozenset(tuple(k[f] for f in pair) for k in index[keys]),
            proj["ProjectionType"],
            frozenset(proj.get("NonKeyAttributes", ())),
        )

    in_template = {shape(i, "IndexName", "KeySchema", "Projection") for i in table["GlobalSecondaryIndexes"]}
    in_model = {
        shape(i, "index_name", "key_schema", "projection") for i in model_schema["global_secondary_indexes"]
    }
    assert in_template == in_model
    assert all("ProvisionedThroughput" not in i for i in table["GlobalSecondaryIndexes"])


@stages
def test_table_expires_items_keeps_backups_and_is_encrypted_with_the_stack_key(templates, stage):
    from chalicelib.store.tables import HearthItem

    table = of_type(templates[stage], "AWS::DynamoDB::Table")["Table"]["Properties"]
    ttl = HearthItem._ttl_attribute()
    assert ttl is not None
    assert table["TimeToLiveSpecification"] == {"AttributeName": ttl.attr_name, "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    sse = table["SSESpecification"]
    assert sse["SSEEnabled"] is True
    assert sse["SSEType"] == "KMS"
    assert references(sse["KMSMasterKeyId"]) == {"HearthKey"}


def test_prod_keeps_its_data_when_the_stack_goes_and_dev_does_not(templates):
    """Prod keeps its stateful resources once created, and when replaced; a first create that rolls
    back deletes them, so the retry does not collide with their fixed names."""
    prod, dev = templates["prod"]["Resources"], templates["dev"]["Resources"]
    assert prod["Table"]["Properties"]["DeletionProtectionEnabled"] is True
    for name in ("Table", "ContactKeySecret", "AdminTokenSecret", "HearthKey"):
        assert prod[name]["DeletionPolicy"] == "RetainExceptOnCreate", name
        assert prod[name]["UpdateReplacePolicy"] == "Retain", name
        assert dev[name]["DeletionPolicy"] == dev[name]["UpdateReplacePolicy"] == "Delete", name
    assert dev["Table"]["Properties"]["DeletionProtectionEnabled"] is False


@stages
def test_each_template_can_only_be_deployed_as_its_own_stage(templates, stage):
    parameter = templates[stage]["Parameters"]["Stage"]
    assert parameter["AllowedValues"] == [stage]
    assert parameter["Default"] == stage
    for name, function in functions(templates[stage]).items():
        assert environment(templates[stage], function)["HEARTH_STAGE"] == {"Ref": "Stage"}, name


# --- event sources ------------------------------------------------------------------------------


@stages
def test_every_schedule_has_its_rule(templates, app_module, stage):
    from chalice.app import ScheduledEventConfig

    schedules = [c for c in app_module.app.event_sources if isinstance(c, ScheduledEventConfig)]
    assert {c.name for c in schedules} >= {"reminder_sweep", "extend_horizon"}
    for config in schedules:
        _, function = function_by_handler(templates[stage], config.handler_string)
        expression = config.schedule_expression
        wanted = expression if isinstance(expression, str) else expression.to_string()
        events = function["Properties"]["Events"].values()
        assert [e["Properties"]["Schedule"] for e in events if e["Type"] == "Schedule"] == [wanted]


@stages
def test_the_worker_reads_the_reminder_queue_and_reports_partial_batch_failures(templates, app_module, stage):
    from chalice.app import SQSEventConfig

    template = templates[stage]
    (config,) = [c for c in app_module.app.event_sources if isinstance(c, SQSEventConfig)]
    _, function = function_by_handler(template, config.handler_string)
    (event,) = [e for e in function["Properties"]["Events"].values() if e["Type"] == "SQS"]
    props = event["Properties"]
    assert references(props["Queue"]) == {"ReminderQueue"}
    assert sub_text(props["Queue"]) == "${ReminderQueue.Arn}"
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == config.batch_size

    queue = template["Resources"]["ReminderQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert references(queue["RedrivePolicy"]["deadLetterTargetArn"]) == {"ReminderDeadLetterQueue"}
    assert queue["VisibilityTimeout"] >= 6 * function["Properties"]["Timeout"]  # Lambda's advice
    # one parameter sets both, so the pollers never outnumber the reservation; reserving is optional
    assert props["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "WorkerConcurrency"}
    assert function["Properties"]["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReservesWorkerConcurrency", {"Ref": "WorkerConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    parameter = template["Parameters"]["WorkerConcurrency"]
    assert parameter["MinValue"] == 2  # the event source's own minimum
    assert parameter["Default"] == {"dev": 2, "prod": 10}[stage]


@stages
def test_inbound_sms_is_subscribed_to_the_topic_end_user_messaging_publishes_to(templates, app_module, stage):
    from chalice.app import SNSEventConfig

    template = templates[stage]
    (config,) = [
        c for c in app_module.app.event_sources if isinstance(c, SNSEventConfig) and c.name == "inbound_sms"
    ]
    _, function = function_by_handler(template, config.handler_string)
    (event,) = [e for e in function["Properties"]["Events"].values() if e["Type"] == "SNS"]
    assert references(event["Properties"]["Topic"]) == {"InboundSmsTopic"}
    policy = template["Resources"]["InboundSmsTopicPolicy"]
    assert references(policy["Properties"]["Topics"]) == {"InboundSmsTopic"}
    (statement,) = statements(policy["Properties"]["PolicyDocument"])
    assert statement["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    assert references(statement["Resource"]) == {"InboundSmsTopic"}


@stages
def test_every_websocket_route_reaches_its_handler(templates, app_module, stage):
    template = templates[stage]
    routes = {r["Properties"]["RouteKey"]: r for r in of_type(template, "AWS::ApiGatewayV2::Route").values()}
    assert set(routes) == set(app_module.app.websocket_handlers) == {"$connect", "$default", "$disconnect"}
    for route_key, config in app_module.app.websocket_handlers.items():
        name, _ = function_by_handler(template, config.handler_string)
        (integration,) = references(routes[route_key]["Properties"]["Target"])
        assert references(template["Resources"][integration]["Properties"]["IntegrationUri"]) == {name}


@stages
def test_the_packaged_api_serves_every_route_and_no_dev_route(templates, app_module, stage):
    template = templates[stage]
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    packaged = {
        (path, method.upper()) for path, ops in paths.items() for method in ops if method != "options"
    }
    assert not [path for path, _ in packaged if path.startswith("/v1/dev")]
    served = {
        (path, method)
        for path, methods in app_module.app.routes.items()
        for method in methods
        if not path.startswith("/v1/dev")  # the test process registers them; a package never does
    }
    assert packaged == served
    for function in functions(template).values():
        assert "HEARTH_DEV_ROUTES" not in environment(template, function)


@stages
def test_no_function_runs_a_handler_the_app_does_not_have(templates, app_module, stage):
    handlers = {c.handler_string for c in app_module.app.event_sources}
    handlers |= {c.handler_string for c in app_module.app.websocket_handlers.values()}
    handlers.add("app.app")
    assert {f["Properties"]["Handler"] for f in functions(templates[stage]).values()} == handlers


# --- alarms -------------------------------------------------------------------------------------


def alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["Properties"] for a in of_type(template, "AWS::CloudWatch::Alarm").values()]


def watching(template: dict[str, Any], namespace: str, metric: str) -> list[dict[str, Any]]:
    found = []
    for alarm in alarms(template):
        stats = [alarm] + [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
        if any(s.get("Namespace") == namespace and s.get("MetricName") == metric for s in stats):
            found.append(alarm)
    return found


@stages
def test_alarms_watch_the_dead_letter_queue_the_worker_the_api_and_throttles(templates, model_schema, stage):
    template = templates[stage]
    (dlq,) = [
        a
        for a in watching(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
        if references(a["Dimensions"]) == {"ReminderDeadLetterQueue"}
    ]
    assert dlq["Threshold"] == 1

    errors = watching(template, "AWS/Lambda", "Errors")
    assert {"ReminderWorker", "ReminderSweep"} <= {
        name for a in errors for name in references(a["Dimensions"])
    }

    (api,) = watching(template, "AWS/ApiGateway", "5XXError")
    dimensions = {d["Name"]: d["Value"] for d in api["Dimensions"]}
    rest_api = template["Resources"]["RestAPI"]["Properties"]
    assert dimensions["ApiName"] == rest_api["Name"]
    assert dimensions["Stage"] == rest_api["StageName"]

    (throttles,) = watching(template, "AWS/DynamoDB", "ReadThrottleEvents")
    watched = {
        (m["MetricStat"]["Metric"]["MetricName"], dim.get("GlobalSecondaryIndexName"))
        for m in throttles["Metrics"]
        if "MetricStat" in m
        for dim in [{d["Name"]: d["Value"] for d in m["MetricStat"]["Metric"]["Dimensions"]}]
        if references(dim["TableName"]) == {"Table"}
    }
    indexes = [None] + [i["index_name"] for i in model_schema["global_secondary_indexes"]]
    assert watched == {
        (metric, i) for metric in ("ReadThrottleEvents", "WriteThrottleEvents") for i in indexes
    }

    for alarm in alarms(template):
        assert references(alarm["AlarmActions"]) == {"AlarmTopic"}, alarm["AlarmName"]


@stages
def test_an_alarm_pages_ops_when_sending_is_misconfigured(templates, stage):
    from chalicelib.observability import SERVICE
    from chalicelib.services.reminder_worker import MISCONFIGURED

    template = templates[stage]
    namespace = template["Globals"]["Function"]["Environment"]["Variables"]["HEARTH_METRICS_NAMESPACE"]
    (alarm,) = [a for a in alarms(template) if a.get("MetricName") == MISCONFIGURED]
    assert alarm["Namespace"] == namespace
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE}]  # as Powertools publishes it
    assert alarm["Threshold"] == 1


# --- IAM ----------------------------------------------------------------------------------------


@stages
def test_no_policy_anywhere_uses_a_wildcard_action_or_not_action(templates, stage):
    for resource, kind, document in policy_documents(templates[stage]):
        for statement in statements(document):
            assert "NotAction" not in statement, (resource, statement)
            for action in listify(statement["Action"]):
                assert "*" not in action, (resource, kind, action)


@stages
def test_roles_name_their_resources_wherever_aws_lets_them(templates, stage):
    checked = 0
    for resource, kind, document in policy_documents(templates[stage]):
        if kind != "identity":
            continue
        for statement in statements(document):
            actions = set(listify(statement["Action"]))
            if "NotResource" in statement:  # SMS to phone numbers: every SNS topic is excluded
                assert actions == {"sns:Publish"}, (resource, statement)
                assert sub_text(statement["NotResource"]) == "arn:${AWS::Partition}:sns:*:*:*"
                continue
            for target in listify(statement["Resource"]):
                checked += 1
                if target == "*":
                    assert actions <= WITHOUT_RESOURCE_TYPES, (resource, statement["Sid"])
                    continue
                if isinstance(target, dict) and "Ref" in target:
                    continue  # a resource of this stack (secrets)
                text = sub_text(target)
                assert "${AWS::AccountId}" in text or references(target), (resource, text)
                # Only what is unknowable up front may be a wildcard: a log group's streams and
                # the room's connection ids.
                wildcards = text.replace("/@connections/*", "").removesuffix(":*")
                assert "*" not in wildcards, (resource, text)
    assert checked


@stages
def test_key_and_resource_policies_never_open_to_everyone(templates, stage):
    for resource, kind, document in policy_documents(templates[stage]):
        if kind in ("key", "resource"):
            for statement in statements(document):
                principal = statement["Principal"]
                assert principal != "*", (resource, statement)
                assert principal.get("AWS") != "*", (resource, statement)
                if "Service" in principal:
                    assert "aws:SourceAccount" in statement["Condition"]["StringEquals"], resource


@stages
def test_each_function_may_write_only_its_own_log_group(templates, stage):
    template = templates[stage]
    log_groups = {
        sub_text(g["Properties"]["LogGroupName"]) for g in of_type(template, "AWS::Logs::LogGroup").values()
    }
    for name, function in functions(template).items():
        function_name = sub_text(function["Properties"]["FunctionName"])
        assert f"/aws/lambda/{function_name}" in log_groups, name
        (logs,) = granted(template, function, "logs:PutLogEvents")
        assert sub_text(logs["Resource"]).endswith(f":log-group:/aws/lambda/{function_name}:*"), name


@stages
def test_the_worker_role_can_consume_its_queue(templates, stage):
    template = templates[stage]
    worker = functions(template)["ReminderWorker"]
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        (statement,) = granted(template, worker, action)
        assert references(statement["Resource"]) == {"ReminderQueue"}
    for name, function in functions(template).items():
        if name != "ReminderWorker":
            assert not granted(template, function, "sqs:ReceiveMessage"), name


@stages
def test_only_the_api_pushes_to_room_sockets_and_only_on_its_own_websocket_api(templates, stage):
    template = templates[stage]
    for name, function in functions(template).items():
        grants = granted(template, function, "execute-api:ManageConnections")
        if name != "APIHandler":
            assert not grants, name
            continue
        (statement,) = grants
        assert references(statement["Resource"]) == {"WebsocketAPI"}
        stage_name = template["Resources"]["WebsocketAPIStage"]["Properties"]["StageName"]
        assert {sub_text(r).rsplit("}/", 1)[1] for r in statement["Resource"]} == {
            f"{stage_name}/POST/@connections/*",
            f"{stage_name}/DELETE/@connections/*",
        }


@stages
def test_secrets_are_readable_only_by_the_functions_that_use_them(templates, stage):
    template = templates[stage]
    readers: dict[str, set[str]] = {"AdminTokenSecret": set(), "ContactKeySecret": set()}
    for name, function in functions(template).items():
        for statement in granted(template, function, "secretsmanager:GetSecretValue"):
            for secret in references(statement["Resource"]):
                readers[secret].add(name)
    assert readers == {
        "AdminTokenSecret": {"APIHandler", "WebsocketConnect"},
        "ContactKeySecret": {"APIHandler", "ReminderWorker", "InboundSms", "EmailFeedback"},
    }


@stages
def test_the_key_is_used_only_through_the_services_that_hold_hearth_data(templates, stage):
    template = templates[stage]
    for name, function in functions(template).items():
        for statement in granted(template, function, "kms:Decrypt"):
            assert references(statement["Resource"]) == {"HearthKey"}, name
            services = statement["Condition"]["StringEquals"]["kms:ViaService"]
            assert all(sub_text(s).endswith(".${AWS::Region}.amazonaws.com") for s in services), name


# --- wiring -------------------------------------------------------------------------------------


@stages
def test_functions_are_created_after_what_their_roles_name(templates, stage):
    template = templates[stage]
    for name, function in functions(template).items():
        used = references(role_of(template, function)["Properties"]["Policies"]) & DATA_RESOURCES
        depends = set(listify(function.get("DependsOn", [])))
        assert used <= depends, (name, used - depends)
        assert depends <= set(template["Resources"]), name


@stages
def test_function_environment_comes_from_the_stack(templates, stage):
    template = templates[stage]
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert shared["HEARTH_TABLE"] == {"Ref": "Table"}
    assert shared["HEARTH_REMINDER_QUEUE_URL"] == {"Ref": "ReminderQueue"}
    assert shared["HEARTH_INBOUND_SMS_TOPIC_ARN"] == {"Ref": "InboundSmsTopic"}
    assert shared["HEARTH_ADMIN_TOKEN_SECRET_ARN"] == {"Ref": "AdminTokenSecret"}
    assert shared["HEARTH_CONTACT_KEY_SECRET_ARN"] == {"Ref": "ContactKeySecret"}
    assert shared["HEARTH_STAGE"] == {"Ref": "Stage"}
    assert shared["HEARTH_METRICS_NAMESPACE"] == {"Fn::Sub": "Hearth/${Stage}"}
    assert shared["HEARTH_TRACING"] == "true"
    assert shared["HEARTH_WEBSOCKET_URL"] == {
        "Fn::Sub": "wss://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"
    }  # the room pages' live socket: this stack's own WebSocket API
    settings_source = (Path(__file__).resolve().parents[2] / "chalicelib" / "settings.py").read_text()
    for function in functions(template).values():
        variables = environment(template, function)
        for forbidden in (
            "HEARTH_ADMIN_TOKEN",
            "HEARTH_CONTACT_KEY",
            "HEARTH_AWS_ENDPOINT_URL",
            "HEARTH_WEBSOCKET_MANAGEMENT_URL",
        ):
            assert forbidden not in variables  # secrets come from Secrets Manager, AWS is AWS
        for variable in variables:
            assert f'"{variable}"' in settings_source, f"{variable} is not a setting Hearth reads"


@stages
def test_functions_run_on_a_supported_runtime_on_arm64_traced(templates, stage):
    for name, function in functions(templates[stage]).items():
        props = function["Properties"]
        assert props["Runtime"] in SUPPORTED_RUNTIMES, name
        assert props["Architectures"] == ["arm64"], name
        assert props["Tracing"] == "Active", name
        assert props["CodeUri"] == "./deployment.zip", name
    assert functions(templates[stage])["APIHandler"]["Properties"]["Timeout"] <= 29  # API Gateway's limit


@stages
def test_secrets_are_generated_and_the_contact_key_is_32_random_bytes(templates, stage, monkeypatch):
    from chalicelib import keyring
    from chalicelib.settings import reset_settings

    resources = templates[stage]["Resources"]
    for name in ("AdminTokenSecret", "ContactKeySecret"):
        assert references(resources[name]["Properties"]["KmsKeyId"]) == {"HearthKey"}
    generated = resources["ContactKeySecret"]["Properties"]["GenerateSecretString"]
    alphabet = set(string.ascii_letters + string.digits + string.punctuation)
    alphabet -= set(generated.get("ExcludeCharacters", ""))
    assert alphabet == set(string.ascii_letters + string.digits + "-_")  # URL-safe base64, all 64
    assert generated["PasswordLength"] == 43
    assert generated["RequireEachIncludedType"] is False
    monkeypatch.setenv("HEARTH_CONTACT_KEY", "".join(sorted(alphabet))[:43])
    reset_settings()
    keyring.reset()
    assert len(keyring.contact_key()) == 32


# --- the zip ------------------------------------------------------------------------------------


@stages
def test_the_zip_ships_the_app_with_bytecode_for_its_runtime_and_nothing_else(packaged, manifests, stage):
    runtime = manifests[stage]["runtime"][0]  # e.g. python3.11
    tag = f"cpython-{runtime.removeprefix('python').replace('.', '')}"
    with zipfile.ZipFile(packaged[stage] / "deployment.zip") as zipped:
        names = set(zipped.namelist())
        assert {"app.py", "chalice/app.py", "chalicelib/__init__.py"} <= names
        assert not [n for n in names if n.startswith(("tests/", "scripts/", "infra/", ".chalice/"))]
        assert not [n for n in names if n.startswith("websockets/")]  # the local gateway's, never Lambda's
        assert "chalicelib/web/live.js" in names
        pycs = [n for n in names if n.endswith(".pyc")]
        assert pycs
        assert all(f".{tag}.pyc" in n for n in pycs), "bytecode for another Python"
        for source in [n for n in names if n.startswith("chalicelib/") and n.endswith(".py")] + ["app.py"]:
            folder, _, module = source.rpartition("/")
            cached = f"{folder}/__pycache__/{module[:-3]}.{tag}.pyc".lstrip("/")
            assert cached in names, source
            flags = int.from_bytes(zipped.read(cached)[4:8], "little")
            assert flags == 0b01, f"{cached} must be an unchecked hash-based pyc"


@stages
def test_the_zip_carries_the_x_ray_sdk_the_tracer_needs(packaged, stage):
    with zipfile.ZipFile(packaged[stage] / "deployment.zip") as zipped:
        assert any(n.startswith("aws_xray_sdk/") for n in zipped.namelist())
