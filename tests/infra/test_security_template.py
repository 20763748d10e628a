"""The abuse limits in the packaged template: stage throttling, WAF, and the gateway's own answers."""

from __future__ import annotations

import json

import pytest

from chalicelib.observability import SECURITY_HEADERS
from tests.infra.conftest import STAGES

stages = pytest.mark.parametrize("stage", STAGES)


def _resources(templates, stage: str) -> dict:
    return templates[stage]["Resources"]


@stages
def test_the_api_stage_is_throttled(templates, stage):
    settings = _resources(templates, stage)["RestAPI"]["Properties"]["MethodSettings"]

    assert settings == [
        {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100}
    ]


@stages
def test_waf_limits_each_address_and_answers_with_the_contract_body(templates, stage):
    resources = _resources(templates, stage)
    acl = resources["WebAcl"]["Properties"]
    rules = {rule["Name"]: rule for rule in acl["Rules"]}

    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    doors = rules["join-and-invite-doors-per-address"]["Statement"]["RateBasedStatement"]
    everything = rules["all-requests-per-address"]["Statement"]["RateBasedStatement"]
    assert (doors["Limit"], doors["AggregateKeyType"], doors["EvaluationWindowSec"]) == (100, "IP", 300)
    assert (everything["Limit"], everything["AggregateKeyType"]) == (1000, "IP")
    paths = {
        s["ByteMatchStatement"]["SearchString"]
        for s in doors["ScopeDownStatement"]["OrStatement"]["Statements"]
    }
    assert paths == {"/v1/join", "/v1/invites/"}
    body = json.loads(acl["CustomResponseBodies"]["RateLimited"]["Content"])
    assert set(body) == {"code", "message"}
    assert body["code"] == "rate_limited"
    for rule in rules.values():
        response = rule["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429
        assert {"Name": "Retry-After", "Value": "300"} in response["ResponseHeaders"]


@stages
def test_waf_is_attached_to_the_api_stage(templates, stage):
    association = _resources(templates, stage)["WebAclAssociation"]

    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    assert "/restapis/${RestAPI}/stages/api" in association["Properties"]["ResourceArn"]["Fn::Sub"]


@stages
def test_gateway_answers_carry_the_contract_body_and_security_headers(templates, stage):
    swagger = _resources(templates, stage)["RestAPI"]["Properties"]["DefinitionBody"]
    answers = swagger["x-amazon-apigateway-gateway-responses"]

    assert set(answers) >= {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"}
    assert answers["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"  # an unknown path
    assert answers["THROTTLED"]["statusCode"] == "429"
    assert answers["THROTTLED"]["responseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    wanted = set(SECURITY_HEADERS)
    for name, answer in answers.items():
        headers = {
            key.removeprefix("gatewayresponse.header."): value
            for key, value in answer["responseParameters"].items()
        }
        assert wanted <= set(headers), name
        assert headers["X-Content-Type-Options"] == "'nosniff'"
        template = answer["responseTemplates"]["application/json"]
        assert '"code":' in template, name
        assert '"message":' in template, name
    assert paths_kept(swagger)


def paths_kept(swagger: dict) -> bool:
    """Merging the gateway answers into Chalice's swagger keeps every route it generated."""
    return "/v1/join" in swagger["paths"] and "/v1/invites/{code}" in swagger["paths"]
