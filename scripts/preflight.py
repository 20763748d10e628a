"""`make preflight`: read-only checks of the AWS account a deploy targets; says what to fix first.

A first deploy into a new account fails, or deploys a Hearth that cannot text or email, for
reasons CloudFormation does not check up front. This asks the account (only Get, Describe and
List calls: `tests/unit/test_preflight.py` holds it to that) and prints one line per check:

  ok    nothing to do
  warn  works, but look at it (prod will want it)
  fix   the deploy fails or Hearth cannot send until this is done (exit status 1)

Checks: Lambda concurrency (the quota, and room to reserve the worker's concurrency: AWS keeps
100 unreserved); SMS (AWS End User Messaging): the account tier (sandbox), the monthly text
spend limit, the active origination numbers and whether the one Hearth is given is among them
(prod requires a registered toll-free, 10DLC or short code number); SES: the sandbox, sending
enabled, and the sender identity verified.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

UNRESERVED_MINIMUM = 100  # Lambda keeps this much account concurrency unreserved
SMS_SANDBOX_SPEND_USD = 1  # the spend limit a new account starts with
REGISTERED_TYPES = frozenset({"TOLL_FREE", "TEN_DLC", "SHORT_CODE"})
READ_ONLY_PREFIXES = ("Get", "Describe", "List")


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn" or "fix"
    check: str
    detail: str

    def line(self) -> str:
        return f"{self.level:<4}  {self.check}: {self.detail}"


def _pages(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        answer = call(**params, **({"NextToken": token} if token else {}))
        yield from answer.get(key, [])
        token = answer.get("NextToken")
        if not token:
            return


def lambda_concurrency(client: Any, worker_concurrency: int, reserve: bool) -> list[Finding]:
    limits = client.get_account_settings()["AccountLimit"]
    total, unreserved = limits["ConcurrentExecutions"], limits["UnreservedConcurrentExecutions"]
    found = []
    if total < 1000:
        found.append(
            Finding(
                "warn",
                "lambda concurrency",
                f"the account may run {total} functions at once (AWS's usual quota is 1000): ask Service "
                "Quotas for 'Concurrent executions' (AWS Lambda) before real traffic",
            )
        )
    room = unreserved - UNRESERVED_MINIMUM
    if reserve and worker_concurrency > room:
        found.append(
            Finding(
                "fix",
                "worker reserved concurrency",
                f"reserving {worker_concurrency} for the reminder worker needs "
                f"{worker_concurrency + UNRESERVED_MINIMUM} unreserved, the account has {unreserved}: "
                "deploy with ReserveWorkerConcurrency=false "
                "until the quota is raised",
            )
        )
    elif reserve:
        found.append(
            Finding("ok", "worker reserved concurrency", f"{worker_concurrency} of {unreserved} unreserved")
        )
    else:
        found.append(
            Finding("ok", "worker reserved concurrency", "not reserved (ReserveWorkerConcurrency=false)")
        )
    return found


def sms(client: Any, stage: str, origination: str | None) -> list[Finding]:
    found = []
    tiers = {a["Name"]: a["Value"] for a in _pages(client.describe_account_attributes, "AccountAttributes")}
    tier = tiers.get("ACCOUNT_TIER", "unknown")
    if tier.upper() != "PRODUCTION":
        found.append(
            Finding(
                "fix" if stage == "prod" else "warn",
                "sms sandbox",
                f"the account tier is {tier}: texts reach only verified destination numbers; ask AWS "
                "support to move End User Messaging SMS to production",
            )
        )
    else:
        found.append(Finding("ok", "sms sandbox", "production"))
    limits = {s["Name"]: s for s in _pages(client.describe_spend_limits, "SpendLimits")}
    text = limits.get("TEXT_MESSAGE_MONTHLY_SPEND_LIMIT")
    enforced = int(text["EnforcedLimit"]) if text else 0
    if enforced <= SMS_SANDBOX_SPEND_USD:
        found.append(
            Finding(
                "fix" if stage == "prod" else "warn",
                "sms spend limit",
                f"the monthly text spend limit is ${enforced}: every text stops when it is reached; ask "
                "for an increase and keep SmsMonthlySpendAlarmUsd below it",
            )
        )
    else:
        found.append(
            Finding("ok", "sms spend limit", f"${enforced} a month (keep SmsMonthlySpendAlarmUsd below it)")
        )
    numbers = [
        n for n in _pages(client.describe_phone_numbers, "PhoneNumbers") if n.get("Status") == "ACTIVE"
    ]
    usable = [n for n in numbers if n.get("NumberType") in REGISTERED_TYPES]
    names = ", ".join(
        f"{n['PhoneNumber']} ({n['NumberType']}, {n.get('IsoCountryCode', '?')})" for n in usable
    )
    if not origination:
        if stage == "prod" or not usable:
            found.append(
                Finding(
                    "fix" if stage == "prod" else "warn",
                    "sms origination identity",
                    "US carriers drop texts from unregistered senders: register a toll-free or 10DLC "
                    "number and deploy with SmsOriginationIdentity=<it>"
                    + (f"; active: {names}" if names else ""),
                )
            )
        else:
            found.append(
                Finding("warn", "sms origination identity", f"none given; active registered: {names}")
            )
        return found
    match = [
        n
        for n in numbers
        if origination in (n.get("PhoneNumber"), n.get("PhoneNumberArn"), n.get("PhoneNumberId"))
    ]
    if not match:
        found.append(
            Finding(
                "fix",
                "sms origination identity",
                f"{origination} is not an active number here; active: {names or 'none'}",
            )
        )
    elif match[0].get("NumberType") not in REGISTERED_TYPES:
        found.append(
            Finding(
                "fix",
                "sms origination identity",
                f"{origination} is a {match[0].get('NumberType')}, not registered",
            )
        )
    else:
        number = match[0]
        found.append(
            Finding("ok", "sms origination identity", f"{number['PhoneNumber']} ({number['NumberType']})")
        )
        if not number.get("TwoWayEnabled"):
            found.append(
                Finding(
                    "warn",
                    "sms two-way",
                    f"two-way SMS is off for {number['PhoneNumber']}: after the deploy point it at the topic "
                    f"hearth-{stage}-inbound-sms, or STOP and JOIN never reach Hearth",
                )
            )
    return found


def ses(client: Any, stage: str, identity: str | None) -> list[Finding]:
    from botocore.exceptions import ClientError

    found = []
    account = client.get_account()
    if not account.get("ProductionAccessEnabled"):
        found.append(
            Finding(
                "fix" if stage == "prod" else "warn",
                "ses sandbox",
                "SES is in the sandbox: email reaches only verified addresses, 200 a day; "
                "request production access",
            )
        )
    else:
        found.append(Finding("ok", "ses sandbox", "production access"))
    if not account.get("SendingEnabled", True):
        found.append(
            Finding(
                "fix",
                "ses sending",
                f"sending is paused for the account ({account.get('EnforcementStatus')})",
            )
        )
    if not identity:
        found.append(Finding("warn", "ses identity", "none given (SES_IDENTITY=...): not checked"))
        return found
    try:
        verified = client.get_email_identity(EmailIdentity=identity).get("VerifiedForSendingStatus")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NotFoundException":
            raise
        found.append(
            Finding("fix", "ses identity", f"{identity} is not an SES identity here: create and verify it")
        )
        return found
    if verified:
        found.append(Finding("ok", "ses identity", f"{identity} is verified for sending"))
    else:
        found.append(
            Finding("fix", "ses identity", f"{identity} is not verified yet (DNS records for a domain)")
        )
    return found


def run(
    clients: Callable[[str], Any],
    stage: str,
    *,
    ses_identity: str | None,
    origination: str | None,
    worker_concurrency: int,
    reserve: bool,
) -> list[Finding]:
    from botocore.exceptions import BotoCoreError, ClientError

    checks = (
        ("lambda", lambda c: lambda_concurrency(c, worker_concurrency, reserve)),
        ("pinpoint-sms-voice-v2", lambda c: sms(c, stage, origination)),
        ("sesv2", lambda c: ses(c, stage, ses_identity)),
    )
    found: list[Finding] = []
    for service, check in checks:
        try:
            found += check(clients(service))
        except (ClientError, BotoCoreError) as exc:
            found.append(
                Finding("warn", service, f"could not check ({exc}); these calls are read-only, grant them")
            )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stage", choices=("dev", "prod"), default="dev")
    parser.add_argument("--region", default=None)
    parser.add_argument("--ses-identity", help="the SesIdentity parameter (a domain or address)")
    parser.add_argument("--sms-origination-identity", help="the SmsOriginationIdentity parameter")
    parser.add_argument(
        "--worker-concurrency", type=int, default=None, help="WorkerConcurrency (2 dev, 10 prod)"
    )
    parser.add_argument("--no-reserve", action="store_true", help="ReserveWorkerConcurrency=false")
    args = parser.parse_args()
    import boto3

    session = boto3.session.Session(region_name=args.region)
    found = run(
        session.client,
        args.stage,
        ses_identity=args.ses_identity,
        origination=args.sms_origination_identity,
        worker_concurrency=args.worker_concurrency or (10 if args.stage == "prod" else 2),
        reserve=not args.no_reserve,
    )
    for finding in found:
        print(finding.line())
    fixes = [f for f in found if f.level == "fix"]
    print(
        f"{len(fixes)} to fix before deploying hearth-{args.stage}"
        if fixes
        else f"ready to deploy hearth-{args.stage}"
    )
    return 1 if fixes else 0


if __name__ == "__main__":
    sys.exit(main())
