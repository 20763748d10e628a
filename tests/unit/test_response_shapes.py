"""Each response shape is declared once: in `chalicelib/responses.py` when a service builds it
whole, or beside its route. A services dataclass that repeats a response model field for
field would be the second copy this keeps out; and the shapes stay below the layers that use
them (services never import the api)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from pathlib import Path

import pytest
from pydantic import BaseModel

import chalicelib.api
import chalicelib.responses
import chalicelib.services

SERVICES = Path(chalicelib.services.__file__).parent


def _response_models() -> dict[str, frozenset[str]]:
    modules = [chalicelib.responses] + [
        importlib.import_module(f"chalicelib.api.{found.name}")
        for found in pkgutil.iter_modules(chalicelib.api.__path__)
    ]
    return {
        f"{module.__name__}.{name}": frozenset(model.model_fields)
        for module in modules
        for name, model in vars(module).items()
        if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == module.__name__
    }


def _services_dataclasses() -> dict[str, frozenset[str]]:
    found = {}
    for info in pkgutil.iter_modules(chalicelib.services.__path__):
        module = importlib.import_module(f"chalicelib.services.{info.name}")
        for name, value in vars(module).items():
            if (
                dataclasses.is_dataclass(value)
                and isinstance(value, type)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = frozenset(f.name for f in dataclasses.fields(value))
    return found


def _repeats(views: dict[str, frozenset[str]], models: dict[str, frozenset[str]]) -> list[str]:
    return sorted(
        f"{view} ~ {model}"
        for view, fields in views.items()
        for model, shape in models.items()
        if len(fields) >= 2 and fields == shape
    )


def test_the_check_finds_a_repeated_shape():
    views = {"services.groups.GroupView": frozenset({"group_id", "name", "topic"})}
    models = {"responses.Group": frozenset({"group_id", "name", "topic"})}

    assert _repeats(views, models) == ["services.groups.GroupView ~ responses.Group"]


def test_no_services_dataclass_repeats_a_response_model():
    assert _repeats(_services_dataclasses(), _response_models()) == []


@pytest.mark.parametrize("module", sorted(SERVICES.glob("*.py")), ids=lambda path: path.name)
def test_a_services_module_imports_nothing_from_the_api(module: Path):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ]

    assert [name for name in imported if name.startswith("chalicelib.api")] == []


def test_the_shapes_import_neither_the_api_nor_the_services():
    tree = ast.parse(Path(chalicelib.responses.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]

    assert [name for name in imported if name.startswith(("chalicelib.api", "chalicelib.services"))] == []
