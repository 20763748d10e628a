"""The OpenAPI document is generated from the routes themselves."""

from __future__ import annotations


def test_openapi_document_lists_every_route_of_the_app(api):
    from app import app

    document = api.call("GET", "/openapi.json").json

    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routed = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert routed == documented


def test_every_v1_operation_has_request_and_response_schemas(api):
    document = api.call("GET", "/openapi.json").json
    schemas = document["components"]["schemas"]

    for path, item in document["paths"].items():
        if not path.startswith("/v1"):
            continue
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status == "204":
                    continue
                content = response["content"]
                ref = next(iter(content.values()))["schema"].get("$ref")
                if ref:
                    assert ref.rsplit("/", 1)[1] in schemas, (method, path, status)
            if method in ("post", "put", "patch") and "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in schemas


def test_error_responses_are_documented_with_the_error_body(api):
    document = api.call("GET", "/openapi.json").json
    operation = document["paths"]["/v1/admin/facilitators"]["post"]

    for status in ("400", "401", "403", "413", "422"):
        assert operation["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ErrorBody"
        )


def test_every_operation_documents_429_with_retry_after(api):
    """The gateway's stage throttle and WAF can answer any route; Hearth's own limits answer some."""
    document = api.call("GET", "/openapi.json").json

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            limited = operation["responses"].get("429")
            assert limited is not None, (method, path)
            assert "Retry-After" in limited["headers"], (method, path)
