"""`make run`: the whole Hearth stack on 127.0.0.1.

1. an embedded AWS emulator (moto server, in this process) on a loopback port;
2. the table, queues and topics the app needs, created from the app itself;
3. the local WebSocket gateway (`scripts/local_gateway.py`) on 127.0.0.1:$HEARTH_WS_PORT
   (default $PORT + 1): the room's live updates, through the app's own WebSocket handlers;
4. `chalice local --no-autoreload --stage local` on 127.0.0.1:$PORT (a child);
5. the local runner: schedules, SQS and SNS delivered to the same handlers.

Ctrl-C or SIGTERM stops everything. `HEARTH_ADMIN_TOKEN` is honoured, or one is
generated and printed.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, child: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit("chalice local exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("chalice local did not start in time")


def prepare_environment(port: int, emulator_url: str) -> bool:
    """Set the environment shared by the API process and the runner; True if the admin token is new."""
    generated = not os.environ.get("HEARTH_ADMIN_TOKEN")
    admin_token = os.environ.get("HEARTH_ADMIN_TOKEN") or secrets.token_urlsafe(32)
    contact_key = os.environ.get("HEARTH_CONTACT_KEY") or base64.urlsafe_b64encode(
        secrets.token_bytes(32)
    ).decode().rstrip("=")
    env = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "HEARTH_STAGE": "local",
        "HEARTH_DEV_ROUTES": "1",
        "HEARTH_AWS_ENDPOINT_URL": emulator_url,
        "HEARTH_ADMIN_TOKEN": admin_token,
        "HEARTH_CONTACT_KEY": contact_key,
        "HEARTH_TABLE": os.environ.get("HEARTH_TABLE", "hearth-local"),
        "HEARTH_OUTBOX_PATH": os.environ.get("HEARTH_OUTBOX_PATH", str(ROOT / ".hearth" / "outbox.jsonl")),
        "HEARTH_PUBLIC_BASE_URL": os.environ.get("HEARTH_PUBLIC_BASE_URL", f"http://127.0.0.1:{port}"),
    }
    os.environ.update(env)
    return generated


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the emulator's access log
    port = int(os.environ.get("PORT", "8000"))
    ws_port = int(os.environ.get("HEARTH_WS_PORT") or port + 1)
    emulator_port = int(os.environ.get("HEARTH_EMULATOR_PORT", "0")) or _free_port()

    from moto.server import ThreadedMotoServer

    emulator = ThreadedMotoServer(ip_address="127.0.0.1", port=emulator_port, verbose=False)
    emulator.start()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    generated_token = prepare_environment(port, emulator_url)

    import app as app_module
    from chalicelib import aws
    from chalicelib.settings import reset_settings
    from chalicelib.store.tables import create_table
    from scripts.local_gateway import LocalGateway
    from scripts.local_runner import LocalRunner

    create_table()
    runner = LocalRunner(app_module, sqs=aws.client("sqs"), sns=aws.client("sns"))
    runner.provision()
    Path(os.environ["HEARTH_OUTBOX_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    demo = None
    if os.environ.get("HEARTH_DEMO", "1") != "0":
        from scripts.demo import seed

        demo = seed()

    management_port = int(os.environ.get("HEARTH_WS_MANAGEMENT_PORT") or 0)  # 0: any free port
    gateway = LocalGateway(app_module, port=ws_port, management_port=management_port).start()
    os.environ["HEARTH_WEBSOCKET_URL"] = gateway.url  # pages connect here; the CSP allows it
    os.environ["HEARTH_WEBSOCKET_MANAGEMENT_URL"] = gateway.management_url  # pushes go here
    reset_settings()

    api = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "chalice"),
            "local",
            "--no-autoreload",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--stage",
            "local",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    stopping = threading.Event()

    def stop(*_args: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    try:
        _wait_for_port(port, api)
        base = f"http://127.0.0.1:{port}"
        print(f"\nHearth is running at {base}", flush=True)
        print(f"  AWS emulator:   {emulator_url}")
        print(f"  live room:      {gateway.url}  (@connections: {gateway.management_url})")
        print(f"  outbox:         {base}/v1/dev/outbox")
        if generated_token:
            print(f"  admin token:    {os.environ['HEARTH_ADMIN_TOKEN']}  (generated for this run)")
        else:
            print("  admin token:    from HEARTH_ADMIN_TOKEN")
        if demo is not None:
            print("  demo group:     Evening Calm (listed, open; HEARTH_DEMO=0 turns this off)")
            print(f"    join link:    {demo.join_url}")
            print(f"    or text:      {demo.sms_text}")
            print(f"    facilitator token: {demo.facilitator_token}")
        print("Press Ctrl-C to stop.\n", flush=True)
        while not stopping.is_set():
            if api.poll() is not None:
                print("chalice local stopped; shutting down", file=sys.stderr)
                return 1
            runner.tick(datetime.now(UTC))
            stopping.wait(1.0)
        return 0
    finally:
        if api.poll() is None:
            api.terminate()
            try:
                api.wait(timeout=10)
            except subprocess.TimeoutExpired:
                api.kill()
        gateway.stop()  # before the emulator: each socket's $disconnect still reaches the table
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
