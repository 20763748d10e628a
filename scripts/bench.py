"""`make bench`: package size, cold start against a reference app, DynamoDB requests per route,
the 7 PM reminder burst at the carrier's pace.

Prints one table and writes `out/bench.json`. `--smoke` runs each measurement
once (for CI), without comparing figures to budgets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_TOKEN = "bench-admin-token"
BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "HEARTH_STAGE": "local",
    "HEARTH_ADMIN_TOKEN": ADMIN_TOKEN,
    "HEARTH_CONTACT_KEY": "YmVuY2gtY29udGFjdC1rZXktMzItYnl0ZXMtbG9uZyE",
    "HEARTH_TABLE": "hearth-bench",
    "HEARTH_LOG_LEVEL": "WARNING",
}


@dataclass
class Line:
    name: str
    value: float
    unit: str
    budget: float | None = None

    @property
    def met(self) -> bool | None:
        return None if self.budget is None else self.value <= self.budget


# --- cold start --------------------------------------------------------------------------

# One cold start as Lambda does it: a fresh interpreter imports the handler module, then gets one
# API Gateway (REST proxy) event. Both apps answer it with one DynamoDB request to the emulator.
# The child prints its time to first response and its peak RSS (KiB).
_INVOKE = """
class Context:
    function_name = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = "bench-request"
    def get_remaining_time_in_millis(self):
        return 30000
def peak_rss_kib():  # this process's own high-water mark (ru_maxrss would include the parent's)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def event(path):
    return {
        "resource": path, "path": path, "httpMethod": "GET", "body": None, "isBase64Encoded": False,
        "headers": {"Accept": "application/json", "Host": "bench"}, "multiValueHeaders": None,
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": path, "httpMethod": "GET", "requestId": "bench-request",
                           "path": "/api" + path, "stage": "api", "apiId": "bench"},
    }
"""

HEARTH_COLD = (
    """
import time; started = time.perf_counter()
import app
"""
    + _INVOKE
    + """
response = app.app(event("/v1/groups"), Context())  # listed groups: one Query
assert response["statusCode"] == 200, response
print(time.perf_counter() - started, peak_rss_kib())
"""
)

# The floor Hearth is held to: one route with the same libraries, used the way a one-route app
# uses them (a powertools Logger and Metrics, a pydantic response model, a PynamoDB Query).
REFERENCE_COLD = (
    """
import time; started = time.perf_counter()
import os
from aws_lambda_powertools import Logger, Metrics
from chalice import Chalice
from pydantic import BaseModel
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model
app = Chalice(app_name="reference")
logger = Logger(service="reference", level=os.environ["HEARTH_LOG_LEVEL"])
metrics = Metrics(namespace="Reference", service="reference")
class Item(Model):
    class Meta:
        table_name = os.environ["HEARTH_TABLE"]
        region = "us-east-1"
        host = os.environ["HEARTH_AWS_ENDPOINT_URL"]
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
class Group(BaseModel):
    group_id: str
class GroupList(BaseModel):
    groups: list[Group]
@app.route("/v1/groups")
def groups():
    listed = GroupList(groups=[Group(group_id=item.sk) for item in Item.query("x")])
    logger.info("request", extra={"route": "/v1/groups", "status": 200})
    return listed.model_dump(mode="json")
"""
    + _INVOKE
    + """
response = app(event("/v1/groups"), Context())
assert response["statusCode"] == 200, response
print(time.perf_counter() - started, peak_rss_kib())
"""
)


# Hearth's cold start against the reference's, with bytecode as the package ships it.
COLD_START_BUDGET = 1.2


def _cold(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds to the first response and peak RSS (MB) of one fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    seconds, rss_kib = out.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(rss_kib) / 1024


def _bytecode_caches(env: dict[str, str], scratch: Path) -> tuple[Path, Path]:
    """Two PYTHONPYCACHEPREFIX trees: one with bytecode for everything both apps import (as a
    package with compiled bytecode), one with bytecode for the standard library only (as a plain
    Lambda zip: the runtime's own library is compiled, the zip's code is not, and cannot be cached)."""
    compiled = scratch / "compiled"
    for code in (HEARTH_COLD, REFERENCE_COLD):
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**env, "PYTHONPYCACHEPREFIX": str(compiled)},
            capture_output=True,
            check=True,
        )
    stdlib_only = scratch / "stdlib-only"
    shutil.copytree(compiled, stdlib_only)
    shutil.rmtree(stdlib_only / ROOT.relative_to(ROOT.anchor), ignore_errors=True)  # app, venv
    return compiled, stdlib_only


def cold_start(runs: int) -> list[Line]:
    from moto.server import ThreadedMotoServer

    from scripts.local_stack import _free_port

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        env = {
            **BASE_ENV,
            "PATH": os.environ.get("PATH", ""),
            "HEARTH_AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        }
        os.environ.update(env)
        from chalicelib.settings import reset_settings
        from chalicelib.store.tables import create_table

        reset_settings()
        create_table()
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        with tempfile.TemporaryDirectory(prefix="hearth-bench-pyc-") as scratch:
            compiled, stdlib_only = _bytecode_caches(env, Path(scratch))
            for _ in range(runs):  # interleaved, so a busy moment weighs on every variant alike
                for variant, prefix in (("bytecode", compiled), ("source", stdlib_only)):
                    run_env = {**env, "PYTHONPYCACHEPREFIX": str(prefix), "PYTHONDONTWRITEBYTECODE": "1"}
                    for app_name, code in (("hearth", HEARTH_COLD), ("reference", REFERENCE_COLD)):
                        samples.setdefault((app_name, variant), []).append(_cold(code, run_env))
    finally:
        server.stop()
    measured = {
        key: (statistics.median(t for t, _ in runs_), max(rss for _, rss in runs_))
        for key, runs_ in samples.items()
    }
    lines = []
    for variant, label in (("bytecode", "with bytecode"), ("source", "source only, as a zip without .pyc")):
        hearth, reference = measured["hearth", variant][0], measured["reference", variant][0]
        lines += [
            Line(f"cold start ({label}): import app + GET /v1/groups", round(hearth * 1000, 1), "ms"),
            Line(
                f"cold start ({label}): reference Chalice+PynamoDB+powertools+pydantic app",
                round(reference * 1000, 1),
                "ms",
            ),
            Line(
                f"cold start ratio hearth/reference ({label})",
                round(hearth / reference, 2),
                "x",
                budget=COLD_START_BUDGET if variant == "bytecode" else None,
            ),
        ]
    gain = measured["hearth", "source"][0] / measured["hearth", "bytecode"][0]
    lines += [
        Line("cold start: source only / with bytecode (hearth)", round(gain, 2), "x"),
        Line("peak RSS: hearth cold start (bytecode)", round(measured["hearth", "bytecode"][1], 1), "MB"),
        Line("peak RSS: hearth cold start (source only)", round(measured["hearth", "source"][1], 1), "MB"),
        Line("peak RSS: reference cold start", round(measured["reference", "bytecode"][1], 1), "MB"),
    ]
    return lines


def package_size(stage: str = "prod") -> list[Line]:
    """The deployment zip `make package` builds (rebuilt here if its inputs changed)."""
    from scripts import package

    if not package.is_fresh(stage):
        package.package([stage], run_lint=False)
    manifest = json.loads((package.OUT / stage / "manifest.json").read_text())
    runtime = "/".join(manifest["runtime"] + manifest["architectures"])
    unzipped = manifest["unzipped_bytes_source_only"] + manifest.get("pyc_bytes", 0)
    with_bytecode, source_only = manifest["zip_bytes"] / 1e6, manifest["zip_bytes_source_only"] / 1e6
    return [
        Line(f"package: {stage} zip with bytecode ({runtime})", round(with_bytecode, 1), "MB", budget=50),
        Line(f"package: {stage} zip without bytecode", round(source_only, 1), "MB"),
        Line(f"package: {stage} unzipped with bytecode", round(unzipped / 1e6, 1), "MB", budget=250),
    ]


# --- DynamoDB requests per route --------------------------------------------------------

LATENCY_RUNS = 20
LATENCY_BUDGET_MS = 150  # in process against the emulator: a regression alarm, not a production figure


class DynamoCounter:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.capacity = 0.0

    def before(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def after(self, http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity") if isinstance(parsed, dict) else None
        if isinstance(consumed, dict):
            self.capacity += float(consumed.get("CapacityUnits", 0))
        elif isinstance(consumed, list):
            self.capacity += sum(float(c.get("CapacityUnits", 0)) for c in consumed)

    @staticmethod
    def ask_capacity(params: dict[str, Any], model: Any, **_: Any) -> None:
        """Ask DynamoDB for the capacity each request consumes (the app itself never does)."""
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def measure(self, action: Callable[[], Any]) -> tuple[int, Any]:
        self.calls.clear()
        self.capacity = 0.0
        result = action()
        return len(self.calls), result


def route_requests() -> list[Line]:
    os.environ.update(BASE_ENV)
    os.environ["HEARTH_DEV_ROUTES"] = "1"
    os.environ.pop("HEARTH_AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib.settings import reset_settings
        from chalicelib.store.tables import HearthItem, bind, create_table

        reset_settings()
        create_table()
        counter = DynamoCounter()
        bind()
        events = HearthItem._get_connection().connection.client.meta.events  # shared by every item type
        events.register("before-call.dynamodb", counter.before)
        events.register("after-call.dynamodb", counter.after)
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}

        def call(client: Client, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            payload = None if body is None else json.dumps(body)
            return getattr(client.http, method.lower())(path, headers=headers, body=payload)

        lines = []
        with Client(app) as client:
            facilitator = json.loads(
                client.http.post(
                    "/v1/admin/facilitators", headers=admin, body=json.dumps({"display_name": "Bench"})
                ).body
            )
            group = json.loads(
                call(
                    client,
                    "POST",
                    "/v1/groups",
                    {"name": "Bench Group", "topic": "bench", "timezone": "America/New_York"},
                    facilitator["token"],
                ).body
            )
            code = group["invite"]["code"]
            member = json.loads(call(client, "POST", "/v1/join", {"code": code}).body)
            series_ids = []
            for weekday in ("MO", "WE", "FR"):
                created = call(
                    client,
                    "POST",
                    f"/v1/groups/{group['group_id']}/series",
                    {
                        "start_local": "2027-01-04T19:00",
                        "timezone": "America/New_York",
                        "duration_minutes": 60,
                        "rrule": f"FREQ=WEEKLY;BYDAY={weekday}",
                        "capacity": 20,
                    },
                    facilitator["token"],
                )
                series_ids.append(json.loads(created.body))
            session_id = series_ids[0]["next_sessions"][0]["session_id"]
            window = "?from=2027-01-04T00%3A00%3A00Z&to=2027-02-03T00%3A00%3A00Z"
            scenarios: list[tuple[str, Callable[[], Any], float]] = [
                ("GET /health", lambda: call(client, "GET", "/health"), 0),
                ("GET /openapi.json", lambda: call(client, "GET", "/openapi.json"), 0),
                (
                    "POST /v1/admin/facilitators",
                    lambda: client.http.post(
                        "/v1/admin/facilitators", headers=admin, body=json.dumps({"display_name": "Bench"})
                    ),
                    1,
                ),
                ("POST /v1/join", lambda: call(client, "POST", "/v1/join", {"code": code}), 4),
                ("GET /v1/me", lambda: call(client, "GET", "/v1/me", token=member["token"]), 2),
                (
                    "GET /v1/groups/{id}/members",
                    lambda: call(
                        client, "GET", f"/v1/groups/{group['group_id']}/members", token=member["token"]
                    ),
                    2,
                ),
                (
                    "GET /v1/groups/{id}",
                    lambda: call(client, "GET", f"/v1/groups/{group['group_id']}", token=member["token"]),
                    3,
                ),
                (
                    "GET /v1/groups/{id}/sessions (3 series, 30 days)",
                    lambda: call(
                        client,
                        "GET",
                        f"/v1/groups/{group['group_id']}/sessions{window}",
                        token=member["token"],
                    ),
                    5,
                ),
                (
                    "PUT /v1/sessions/{id}/rsvp",
                    lambda: call(client, "PUT", f"/v1/sessions/{session_id}/rsvp", token=member["token"]),
                    3,
                ),
                (  # credential, membership + live connections (one batch), one transaction
                    "POST /v1/groups/{id}/messages (no crisis)",
                    lambda: call(
                        client,
                        "POST",
                        f"/v1/groups/{group['group_id']}/messages",
                        {"body": "Thanks for tonight, everyone."},
                        member["token"],
                    ),
                    3,
                ),
                (  # credential, one Query
                    "GET /v1/groups/{id}/messages (a page)",
                    lambda: call(
                        client,
                        "GET",
                        f"/v1/groups/{group['group_id']}/messages?limit=50",
                        token=member["token"],
                    ),
                    2,
                ),
            ]
            events.register("before-parameter-build.dynamodb", DynamoCounter.ask_capacity)
            for name, action, budget in scenarios:
                calls, response = counter.measure(action)
                assert response.status_code < 400, (name, response.status_code, response.body)
                lines.append(Line(f"DynamoDB requests: {name}", calls, "req", budget=budget))
                lines.append(Line(f"DynamoDB capacity: {name}", round(counter.capacity, 1), "CU"))
                timings = []
                for _ in range(LATENCY_RUNS if name.startswith(("GET", "PUT")) else 5):
                    began = time.perf_counter()
                    assert action().status_code < 400, name
                    timings.append((time.perf_counter() - began) * 1000)
                timings.sort()
                p50 = statistics.median(timings)
                p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
                lines.append(Line(f"latency p50: {name}", round(p50, 1), "ms"))
                lines.append(Line(f"latency p95: {name}", round(p95, 1), "ms", budget=LATENCY_BUDGET_MS))
    return lines


def _group_with_member(
    group_id: str, member_id: str, prefs: dict[str, Any], phone: bytes, index: int
) -> list[Any]:
    """A group and one member going by SMS, as the bench's sweeps need them."""
    from chalicelib.store import keys
    from chalicelib.store.groups import GroupItem
    from chalicelib.store.members import MemberItem

    group, member = keys.group(group_id), keys.member(group_id, member_id)
    return [
        GroupItem(
            group.pk,
            group.sk,
            group_id=group_id,
            name="n",
            topic="t",
            timezone="UTC",
            access="invite",
            session_label="your session",
        ),
        MemberItem(
            member.pk,
            member.sk,
            group_id=group_id,
            member_id=member_id,
            handle="Bench",
            handle_key=f"bench{index}",
            timezone="UTC",
            reminders=prefs,
            token_hash=f"t{index}",
            feed_hash=f"f{index}",
            feed_enc=b"x",
            phone_enc=phone,
            phone_status="verified",
        ),
    ]


def sweep_cost(sizes: tuple[int, ...] = (100, 1_000, 10_000), due_sessions: int = 50) -> list[Line]:
    """DynamoDB requests for one sweep minute as series grow but the same 50 sessions are due,
    and requests per reminder the worker sends."""
    from datetime import timedelta

    os.environ.update(BASE_ENV)
    os.environ.pop("HEARTH_AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    lines = []
    with mock_aws():
        import boto3

        import app as app_module
        from chalicelib import crypto
        from chalicelib.domain import preferences
        from chalicelib.services.container import services
        from chalicelib.settings import reset_settings
        from chalicelib.store import keys
        from chalicelib.store.sessions import SeriesItem, SessionItem, iso_minute
        from chalicelib.store.tables import HearthItem, bind, create_table
        from scripts.local_runner import LocalRunner

        reset_settings()
        services.cache_clear()
        create_table()
        LocalRunner(app_module, sqs=boto3.client("sqs"), sns=boto3.client("sns")).provision()
        counter = DynamoCounter()
        events = bind()._get_connection().connection.client.meta.events
        events.register("before-call.dynamodb", counter.before)
        due_at = datetime(2027, 1, 5, 18, 0, tzinfo=UTC)
        start = due_at + timedelta(minutes=60)
        phone = crypto.seal("phone", "+16145550123")
        prefs = preferences.ReminderPreferences(("sms",), (60,)).to_dict()
        written = 0

        def add_series(first: int, last: int, *, due: bool) -> None:
            with HearthItem.batch_write() as batch:
                for index in range(first, last):
                    series_id, group_id = f"ser_bench{index:05d}", f"grp_bench{index:05d}"
                    key = keys.series(series_id)
                    batch.save(
                        SeriesItem(
                            key.pk,
                            key.sk,
                            series_id=series_id,
                            group_id=group_id,
                            title="t",
                            start_local="2027-01-05T13:00",
                            timezone="UTC",
                            duration_minutes=60,
                            rrule="FREQ=WEEKLY",
                        )
                    )
                    begins = start if due else start + timedelta(minutes=5 + index % 5000)
                    session_id = f"{series_id}.{begins:%Y%m%dT%H%MZ}"
                    occurrence = keys.occurrence(series_id, f"{begins:%Y%m%dT%H%MZ}")
                    batch.save(
                        SessionItem(
                            occurrence.pk,
                            occurrence.sk,
                            series_id=series_id,
                            group_id=group_id,
                            session_id=session_id,
                            original_start=begins,
                            start=begins,
                            status="scheduled",
                            going={"mem_bench"},
                            start_minute=keys.start_minute(
                                iso_minute(begins)[:-1], keys.start_shard(session_id)
                            ),
                            start_sk=keys.start_sort(iso_minute(begins)[:-1], session_id),
                            timezone="UTC",
                        )
                    )
                    if due:
                        for item in _group_with_member(group_id, "mem_bench", prefs, phone, index):
                            batch.save(item)

        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName="hearth-reminders")["QueueUrl"]
        add_series(0, due_sessions, due=True)
        written = due_sessions
        sweep = services().reminder_sweep
        for size in sizes:
            add_series(written, size, due=False)
            written = size
            counter.calls.clear()
            enqueued = sweep.sweep(due_at, due_at + timedelta(minutes=1), due_at)
            if size != sizes[-1]:  # keep only the last sweep's messages for the worker
                while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                    for message in batch:
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            lines.append(
                Line(f"sweep: DynamoDB requests, {size:,} series, {enqueued} due", len(counter.calls), "req")
            )
        spread = max(line.value for line in lines) / max(1, min(line.value for line in lines))
        lines.append(Line("sweep cost spread 100 -> 10,000 series", round(spread, 2), "x", budget=1.1))

        worker = services().reminder_worker
        worker.clock = lambda: due_at
        from chalicelib.services.reminder_jobs import Job

        counter.calls.clear()
        sent = 0
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                sent += worker.handle(Job.from_json(message["Body"])) == "sent"
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        lines.append(
            Line(
                "DynamoDB requests per reminder sent",
                round(len(counter.calls) / max(1, sent), 2),
                "req",
                budget=4,
            )
        )
    return lines


def catch_up_sweep(series_count: int = 96, hours: int = 24) -> list[Line]:
    """`POST /v1/admin/reminders/sweep` for a whole day: DynamoDB requests and time, with lead
    times of a day and an hour in use and a session starting every 15 minutes, each with one
    member going (the API handler's timeout is 28 s)."""
    from datetime import timedelta

    os.environ.update(BASE_ENV)
    os.environ.pop("HEARTH_AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    with mock_aws():
        import boto3
        from chalice.test import Client

        import app as app_module
        from chalicelib import crypto
        from chalicelib.domain import preferences
        from chalicelib.services.container import services
        from chalicelib.settings import reset_settings
        from chalicelib.store import keys
        from chalicelib.store.sessions import SeriesItem
        from chalicelib.store.tables import HearthItem, bind, create_table
        from scripts.local_runner import LocalRunner

        reset_settings()
        services.cache_clear()
        create_table()
        LocalRunner(app_module, sqs=boto3.client("sqs"), sns=boto3.client("sns")).provision()
        window = datetime(2027, 1, 5, 0, 0, tzinfo=UTC)
        hub = services()
        hub.series.clock = lambda: window - timedelta(hours=1)
        phone = crypto.seal("phone", "+16145550123")
        prefs = preferences.ReminderPreferences(("sms",), (1440, 60)).to_dict()
        hub.reminder_sweep.state.use_leads({1440, 60})
        series = []
        with HearthItem.batch_write() as batch:
            for index in range(series_count):
                series_id, group_id = f"ser_catch{index:05d}", f"grp_catch{index:05d}"
                begins = window + timedelta(minutes=15 * index)
                key = keys.series(series_id)
                item = SeriesItem(
                    key.pk,
                    key.sk,
                    series_id=series_id,
                    group_id=group_id,
                    title="t",
                    start_local=f"{begins:%Y-%m-%dT%H:%M}",
                    timezone="UTC",
                    duration_minutes=60,
                    rrule="FREQ=DAILY",
                )
                batch.save(item)
                series.append(item)
                for extra in _group_with_member(group_id, "mem_catch", prefs, phone, index):
                    batch.save(extra)
        for item in series:
            hub.series.materialise(item, window + timedelta(hours=hours + 25))
            for session in hub.series.sessions.in_series(item.series_id, window):
                session.update(actions=[type(session).going.add({"mem_catch"})])
        counter = DynamoCounter()
        bind()._get_connection().connection.client.meta.events.register(
            "before-call.dynamodb", counter.before
        )
        with Client(app_module.app) as client:
            began = time.perf_counter()
            answer = client.http.post(
                "/v1/admin/reminders/sweep",
                headers={
                    "Authorization": f"Bearer {BASE_ENV['HEARTH_ADMIN_TOKEN']}",
                    "Content-Type": "application/json",
                },
                body=json.dumps(
                    {
                        "from": f"{window:%Y-%m-%dT%H:%M:%SZ}",
                        "to": f"{window + timedelta(hours=hours):%Y-%m-%dT%H:%M:%SZ}",
                    }
                ),
            )
            elapsed = time.perf_counter() - began
        assert answer.status_code == 200, answer.body
        enqueued = json.loads(answer.body)["enqueued"]
        queries = counter.calls.count("Query")
    return [
        Line(
            f"catch-up sweep, {hours} h, 2 lead times: DynamoDB requests ({enqueued} queued)",
            len(counter.calls),
            "req",
        ),
        Line(f"catch-up sweep, {hours} h: Queries", queries, "req", budget=hours * 2 * 4),
        Line(f"catch-up sweep, {hours} h: time (emulator)", round(elapsed, 2), "s", budget=28),
    ]


def expansion_speed(series_count: int) -> list[Line]:
    """Time to expand many weekly series over a year, as listing and feeds do."""
    from chalicelib.domain import recurrence

    start = recurrence.parse_start_local("2027-01-05T19:00")
    window = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    zones = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Chicago")
    began = time.perf_counter()
    total = 0
    for index in range(series_count):
        total += len(recurrence.expand(start, zones[index % len(zones)], "FREQ=WEEKLY;BYDAY=TU", *window))
    elapsed = (time.perf_counter() - began) * 1000
    assert total >= series_count * 52
    return [Line(f"expand {series_count:,} weekly series over a year", round(elapsed, 1), "ms", budget=2000)]


def burst(smoke: bool) -> list[Line]:
    """The 7 PM burst (scripts/burst_sim.py) at 40 and at 3 MPS: when reminders go against their
    due time, drops, throttles, the busiest key's writes a second and the workers needed.
    `--smoke` runs 40 sessions instead of 2,000."""
    from scripts.burst_sim import simulate

    sessions = 40 if smoke else 2000
    lines: list[Line] = []
    for mps in (40, 3):
        figures = simulate(mps, sessions=sessions)
        on_time = mps >= 40  # the deployment the README sizes for this peak
        name = f"burst {figures.reminders:,} reminders at {mps} MPS"
        lines += [
            Line(f"{name}: sent", figures.sent, "", budget=None),
            Line(f"{name}: dropped too late", figures.dropped_late, "", budget=0 if on_time else None),
            Line(f"{name}: p50 after due", round(figures.p50, 1), "s"),
            Line(f"{name}: p99 after due", round(figures.p99, 1), "s"),
            Line(f"{name}: latest after due", round(figures.latest, 1), "s", budget=0 if on_time else None),
            Line(f"{name}: throttles", figures.throttles, ""),
            Line(f"{name}: writes/s on {figures.busiest_key}", figures.busiest_writes, "", budget=1000),
            Line(f"{name}: Lambda concurrency", figures.concurrency, ""),
        ]
    return lines


def _print(lines: list[Line]) -> None:
    width = max(len(line.name) for line in lines)
    print(f"{'measure'.ljust(width)}  {'value':>10}  {'budget':>8}  met")
    for line in lines:
        budget = "" if line.budget is None else f"{line.budget:g}"
        met = "" if line.met is None else ("yes" if line.met else "NO")
        print(f"{line.name.ljust(width)}  {line.value:>7g} {line.unit:<3}  {budget:>8}  {met}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="one run of each measurement, no budgets")
    args = parser.parse_args()
    started = time.perf_counter()
    lines = (
        package_size()
        + cold_start(runs=1 if args.smoke else 7)
        + route_requests()
        + sweep_cost()
        + catch_up_sweep()
        + expansion_speed(1000)
        + burst(args.smoke)
    )
    _print(lines)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": (
            f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        ),
        "smoke": args.smoke,
        "lines": [asdict(line) | {"met": line.met} for line in lines],
    }
    out = ROOT / "out"
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to out/bench.json in {time.perf_counter() - started:.1f}s")
    missed = [line.name for line in lines if line.met is False]
    return 1 if missed and not args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
