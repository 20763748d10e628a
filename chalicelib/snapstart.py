"""SnapStart: what a snapshot of the initialised API function may carry, and what it must not.

In prod the API function's published versions start from a snapshot (`infra/stages/prod.yaml`,
README "SnapStart"): Lambda runs the init once when a version is published, saves the memory,
and resumes every new execution environment from that one copy. Whatever exists at the
snapshot is shared by all of them, so

- before the snapshot, Hearth loads what is only code and data the same for every copy (the
  modules a request may need, the request and response validators), and drops anything bound to
  a connection or a moment: AWS clients and the table's connection (pooled sockets, credentials
  that expire), secrets read with them, the kill switch's timed cache, settings and services;
- after a restore it drops the same things again and reseeds `random`, whose state was seeded
  once before the snapshot and would otherwise give every copy the same sequence (botocore
  draws its retry jitter from it: copies retrying in step).

Hearth's own identifiers, tokens and codes come from `secrets` and `random.SystemRandom`,
which read the kernel's generator at every call and keep no state in the process.

The hooks come from `snapshot_restore_py`, which Lambda's Python runtimes (3.12 and later)
provide; elsewhere it is absent and nothing is registered.
"""

from __future__ import annotations

import random


def register() -> bool:
    """Register the hooks with the Lambda runtime; False where there is no SnapStart."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True


def before_snapshot() -> None:
    warm()
    forget_process_state()


def after_restore() -> None:
    forget_process_state()
    random.seed()  # from the kernel's generator, now that this copy runs on its own


def warm() -> None:
    """Load what every copy would otherwise load on its first requests: code and validators only.

    Nothing here reads settings, builds a client or talks to AWS.
    """
    import importlib
    import pkgutil

    import boto3  # noqa: F401  (botocore's modules: the largest import a first request makes)

    import chalicelib.notify
    import chalicelib.services
    from chalicelib.api.routing import OPERATIONS

    for package in (chalicelib.services, chalicelib.notify):
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    for op in OPERATIONS:
        for schema in (op.body, op.query, op.response):
            if schema is not None:
                schema.model_rebuild(force=True)


def forget_process_state() -> None:
    """Drop everything bound to a connection, a credential or a moment; each is rebuilt on use."""
    from chalicelib import aws, keyring, settings
    from chalicelib.notify import kill_switch
    from chalicelib.services.container import services
    from chalicelib.store import tables

    aws.reset()
    tables.unbind()
    keyring.reset()
    kill_switch.reset()
    services.cache_clear()
    settings.reset_settings()
