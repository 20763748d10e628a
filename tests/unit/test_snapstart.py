"""SnapStart's runtime hooks: a restored snapshot shares nothing random, timed or connection-bound.

`snapshot_restore_py` exists only in Lambda's runtimes; a stand-in module records what Hearth
registers, and the tests run the hooks as Lambda would: before the snapshot, after a restore.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_RUNTIME = """
before, after = [], []
def register_before_snapshot(func, *args, **kwargs):
    before.append(func)
    return func
def register_after_restore(func, *args, **kwargs):
    after.append(func)
    return func
"""


def _fresh_interpreter(tmp_path: Path, code: str) -> dict:
    (tmp_path / "snapshot_restore_py.py").write_text(FAKE_RUNTIME)
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "HEARTH_STAGE": "test",
        "PYTHONPATH": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_app_registers_both_hooks_where_the_runtime_provides_them(tmp_path):
    found = _fresh_interpreter(
        tmp_path,
        "import json, app, snapshot_restore_py as runtime\n"
        "print(json.dumps({'before': [f.__qualname__ for f in runtime.before],"
        " 'after': [f.__qualname__ for f in runtime.after]}))",
    )

    assert found == {"before": ["before_snapshot"], "after": ["after_restore"]}


def test_without_the_runtime_nothing_is_registered(monkeypatch):
    from chalicelib import snapstart

    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # as outside Lambda

    assert snapstart.register() is False


def test_before_the_snapshot_code_and_validators_are_loaded_but_no_client_or_connection(tmp_path):
    found = _fresh_interpreter(
        tmp_path,
        "import json, sys, app, snapshot_restore_py as runtime\n"
        "from chalicelib import aws\n"
        "from chalicelib.api.routing import OPERATIONS\n"
        "from chalicelib.store.tables import HearthItem\n"
        "for hook in reversed(runtime.before): hook()\n"  # Lambda runs them in reverse order
        "schemas = [s for op in OPERATIONS for s in (op.body, op.query, op.response) if s]\n"
        "print(json.dumps({'loaded': all(m in sys.modules for m in ('chalicelib.services.room',\n"
        "     'chalicelib.services.sessions', 'chalicelib.services.reminder_worker', 'boto3')),\n"
        "  'validators_built': all(s.__pydantic_complete__ for s in schemas),\n"
        "  'clients': sorted(aws._clients), 'connection': HearthItem._connection is not None}))",
    )

    assert found == {
        "loaded": True,
        "validators_built": True,
        "clients": [],
        "connection": False,
    }


@pytest.fixture
def process_state(monkeypatch):
    """Everything a warm process holds that a snapshot must not share: built, then returned."""
    from chalicelib import aws, keyring, settings
    from chalicelib.notify import kill_switch
    from chalicelib.services.container import services
    from chalicelib.store import tables

    secrets = types.SimpleNamespace(get_secret_value=lambda **_: {"SecretString": "from-secrets"})
    aws.override("secretsmanager", secrets)
    aws.client("sqs")  # a real boto3 client: a connection pool and resolved credentials
    tables.bind()
    keyring._secret("arn:aws:secretsmanager:us-east-1:000000000000:secret:admin")
    monkeypatch.setattr(kill_switch, "_known", (True, kill_switch.clock()))
    services().groups  # noqa: B018  (a built service)
    settings.get_settings()

    def held() -> dict[str, object]:
        return {
            "clients": sorted(aws._clients),
            "table connection": tables.HearthItem._connection is not None,
            "bound": tables._bound is not None,
            "secrets": keyring._secret.cache_info().currsize,
            "kill switch": kill_switch._known,
            "services": services.cache_info().currsize,
            "settings": settings.get_settings.cache_info().currsize,
        }

    assert held()["clients"] == ["secretsmanager", "sqs"]
    assert held()["table connection"]
    return held


NOTHING_HELD = {
    "clients": [],
    "table connection": False,
    "bound": False,
    "secrets": 0,
    "kill switch": None,
    "services": 0,
    "settings": 0,
}


def test_before_the_snapshot_every_client_secret_and_timed_cache_is_dropped(process_state):
    from chalicelib import snapstart

    snapstart.before_snapshot()

    assert process_state() == NOTHING_HELD


def test_after_a_restore_they_are_dropped_again_and_random_is_reseeded(process_state):
    from chalicelib import snapstart

    random.seed(20261201)  # what every restored copy would otherwise share
    shared = random.getstate()

    snapstart.after_restore()

    assert process_state() == NOTHING_HELD
    assert random.getstate() != shared


def test_after_a_restore_the_app_still_answers(process_state):
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib import snapstart
    from chalicelib.store.tables import create_table

    snapstart.after_restore()
    with mock_aws(), Client(app) as client:
        create_table()
        answer = client.http.get("/v1/groups")

    assert answer.status_code == 200
    assert json.loads(answer.body) == {"groups": []}
