"""Use cases leave DynamoDB to the repositories: read from the source, no database needed.

A services module imports no AWS library (pynamodb, boto3, botocore, `chalicelib.aws`), builds
no PynamoDB update or condition from a model attribute (`MemberItem.status.set(...)`), and
calls no model's query, batch or scan: the repository offers the intent, with its condition
inside, so the mapping of its failure cannot be forgotten.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "chalicelib" / "services"
# Still writing DynamoDB themselves until their own restructuring lands (issue #15, items 1-2).
WRITING_THEMSELVES = {"sessions.py", "reminders.py"}
MODULES = sorted(path for path in SERVICES.glob("*.py") if path.name not in WRITING_THEMSELVES)

AWS_LIBRARIES = ("pynamodb", "boto3", "botocore", "chalicelib.aws")
EXPRESSIONS = {"set", "remove", "add", "delete", "exists", "does_not_exist", "is_in", "contains", "between"}
MODEL_CALLS = {"query", "batch_get", "batch_write", "scan", "count", "update", "save"}


def _imports(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


def _is_model(node: ast.expr) -> bool:
    """A PynamoDB model class by Hearth's naming (`MemberItem`, `MemberItem.gsi2`)."""
    if isinstance(node, ast.Name):
        return node.id.endswith("Item")
    return isinstance(node, ast.Attribute) and _is_model(node.value)


def _database_calls(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target, method = node.func.value, node.func.attr
        expression = method in EXPRESSIONS and isinstance(target, ast.Attribute) and _is_model(target.value)
        if expression or (method in MODEL_CALLS and _is_model(target)):
            found.append(f"line {node.lineno}: {ast.unparse(node.func)}")
    return found


def test_the_check_finds_what_it_forbids():
    written = ast.parse(
        "import boto3\n"
        "from pynamodb.expressions.update import Action\n"
        "item.update(actions=[MemberItem.status.set('x')], condition=MemberItem.pk.exists())\n"
        "MemberItem.gsi2.query('PHONE#x')\n"
        "MemberItem.batch_get([])\n"
    )

    assert [name for name in _imports(written) if name.startswith(AWS_LIBRARIES)]
    assert len(_database_calls(written)) == 4


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_a_services_module_imports_no_aws_library(module: Path):
    tree = ast.parse(module.read_text(encoding="utf-8"))

    assert [name for name in _imports(tree) if name.startswith(AWS_LIBRARIES)] == []


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_a_services_module_builds_no_dynamodb_expression_and_queries_no_model(module: Path):
    tree = ast.parse(module.read_text(encoding="utf-8"))

    assert _database_calls(tree) == []
