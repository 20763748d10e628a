"""Prod's API function is published as versions behind the alias `live`, with SnapStart where
the runtime has it (python3.12+, the python3.13 `make deploy` packages), switched by the
`ApiSnapStart` parameter; API Gateway reaches the function only through that alias.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import package
from tests.infra.test_template import functions, of_type

ALIAS = "APIHandlerAliaslive"  # what the SAM transform names the alias `live` of APIHandler


def test_the_alias_is_named_as_the_sam_transform_names_it():
    assert package.alias_id("APIHandler", "live") == ALIAS


SWITCH = {"ApplyOn": {"Fn::If": ["ApiSnapStartOn", "PublishedVersions", "None"]}}


def proxy_integrations(template: dict[str, Any]) -> list[Any]:
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return [
        operation["x-amazon-apigateway-integration"]["uri"]
        for operations in paths.values()
        for operation in operations.values()
        if operation.get("x-amazon-apigateway-integration", {}).get("type") == "aws_proxy"
    ]


def api_permissions(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        permission["Properties"]
        for permission in of_type(template, "AWS::Lambda::Permission").values()
        if "apigateway" in permission["Properties"]["Principal"]
        and "RestAPI" in json.dumps(permission["Properties"].get("SourceArn"))
    ]


def translate(template: dict[str, Any], **parameters: str) -> dict[str, Any]:
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    packaged = json.loads(json.dumps(template))
    for function in functions(packaged).values():
        function["Properties"]["CodeUri"] = "s3://deploy-bucket/hearth/prod/0123456789abcdef"
    return Translator({}, Parser(), boto_session=session).translate(
        packaged, parameter_values=parameters, get_managed_policy_map=lambda: {}
    )


@pytest.fixture(scope="module")
def prod_on_python313(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The prod template as `make deploy` packages it: the python3.13 runtime, with SnapStart."""
    template = package.deep_merge(package.merge_template("prod", (3, 13)), templates["prod"])
    for function in functions(template).values():
        function["Properties"]["Runtime"] = "python3.13"
    return template


def test_prod_publishes_the_api_function_behind_the_alias_live_and_dev_does_not(templates):
    prod, dev = functions(templates["prod"])["APIHandler"], functions(templates["dev"])["APIHandler"]

    assert prod["Properties"]["AutoPublishAlias"] == "live"
    assert prod["Properties"]["AutoPublishAliasAllProperties"] is True  # a setting change publishes too
    assert "AutoPublishAlias" not in dev["Properties"]
    aliased = [n for n, f in functions(templates["prod"]).items() if "AutoPublishAlias" in f["Properties"]]
    assert aliased == ["APIHandler"]


def test_every_rest_integration_and_its_permission_target_the_alias_in_prod_only(templates):
    prod, dev = templates["prod"], templates["dev"]

    assert proxy_integrations(prod)
    assert all(f"${{{ALIAS}}}" in uri["Fn::Sub"] for uri in proxy_integrations(prod))
    assert all("${APIHandler.Arn}" in uri["Fn::Sub"] for uri in proxy_integrations(dev))
    assert [p["FunctionName"] for p in api_permissions(prod)] == [{"Ref": ALIAS}]
    assert [p["FunctionName"] for p in api_permissions(dev)] == [{"Ref": "APIHandler"}]


def test_snapstart_is_kept_only_for_prod_on_a_runtime_that_has_it():
    on_313 = package.merge_template("prod", (3, 13))
    on_311 = package.merge_template("prod", (3, 11))
    dev = package.merge_template("dev", (3, 13))

    assert on_313["Resources"]["APIHandler"]["Properties"]["SnapStart"] == SWITCH
    assert on_313["Parameters"]["ApiSnapStart"]["Default"] == "on"
    assert on_313["Parameters"]["ApiSnapStart"]["AllowedValues"] == ["on", "off"]
    assert on_313["Conditions"]["ApiSnapStartOn"] == {"Fn::Equals": [{"Ref": "ApiSnapStart"}, "on"]}
    assert "SnapStart" not in on_311["Resources"]["APIHandler"]["Properties"]
    assert "ApiSnapStart" not in on_311["Parameters"]
    assert "ApiSnapStartOn" not in on_311.get("Conditions", {})
    assert "VersionDescription" not in on_311["Resources"]["APIHandler"]["Properties"]
    assert on_311["Resources"]["APIHandler"]["Properties"]["AutoPublishAlias"] == "live"
    assert "SnapStart" not in json.dumps(dev)


def test_the_python313_prod_template_with_snapstart_passes_cfn_lint(prod_on_python313, tmp_path: Path):
    target = tmp_path / "sam.json"
    target.write_text(json.dumps(prod_on_python313))

    package.lint(target)  # raises SystemExit on any cfn-lint error


def versions(template: dict[str, Any], **parameters: str) -> list[str]:
    resources = translate(template, **parameters)["Resources"]
    return [name for name, resource in resources.items() if resource["Type"] == "AWS::Lambda::Version"]


def test_switching_snapstart_alone_publishes_a_new_version(prod_on_python313):
    # A version keeps the SnapStart it was published with, so the alias must move to a new one.
    # The SAM transform names the version alike for "on" and "off" (it hashes the properties
    # unresolved); what changes is the version's description, which CloudFormation cannot
    # update in place: it replaces the version, i.e. publishes a new one.
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    def version(setting: str) -> dict[str, Any]:
        resources = translate(prod_on_python313, ApiSnapStart=setting)["Resources"]
        (found,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Version"]
        return found

    def described(setting: str) -> str:
        template = version(setting)["Properties"]["Description"]["Fn::Sub"]
        return template.replace("${ApiSnapStart}", setting)  # what CloudFormation resolves

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::Lambda::Version").schema
    assert "/properties/Description" in schema["createOnlyProperties"]
    assert described("on") == "Hearth API, SnapStart on"
    assert described("off") == "Hearth API, SnapStart off"
    assert version("on")["Properties"]["FunctionName"] == {"Ref": "APIHandler"}


def test_new_code_publishes_a_new_version_whatever_the_switch(prod_on_python313):
    changed = json.loads(json.dumps(prod_on_python313))
    changed["Resources"]["APIHandler"]["Properties"]["MemorySize"] = 2048  # any property, as code does

    assert versions(changed, ApiSnapStart="on") != versions(prod_on_python313, ApiSnapStart="on")
