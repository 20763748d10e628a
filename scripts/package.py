"""`make package`: for each deployable stage, the merged SAM template and the code zip, linted.

For each stage (default: dev and prod) this

1. deep-merges `infra/stages/<stage>.yaml` over `infra/template.yaml` and pins the template's
   `Stage` parameter to the stage, so a template cannot be deployed as another stage; SnapStart
   (prod's API function) stays only where the runtime has it (python3.12 and later);
2. runs `chalice package --stage <stage> --merge-template ...` with a scrubbed environment (no
   `HEARTH_*` variables, so no dev routes; a region, since Chalice insists; no AWS call is made);
3. rebuilds the zip without the developer's stale `__pycache__` and, unless `--no-bytecode`, with
   bytecode compiled by the packaging interpreter (`unchecked-hash` pycs: Lambda's file system is
   read-only, so without them every cold start compiles every module it imports);
4. points API Gateway at the alias of a function that publishes versions (`AutoPublishAlias`),
   so requests reach the published version (and its SnapStart snapshot), never `$LATEST`;
5. runs `cfn-lint --non-zero-exit-code error` on the merged template.

Output: `out/package/<stage>/` holds `sam.json` (deploy this), `deployment.zip`, the
`merge-template.json` given to Chalice and `manifest.json` (runtime, sizes, timings).

Chalice deploys the Lambda runtime of the Python that runs it. `--python python3.13` packages
with that interpreter instead (a venv for it is built once under `out/venvs/`), which is how
`make deploy` targets the runtime prod runs on; see README, "Deploying".
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
OUT = ROOT / "out" / "package"
VENVS = ROOT / "out" / "venvs"
CHALICE_CACHE = ROOT / ".chalice" / "deployments"  # git-ignored; Chalice keys it on the app's code too
CACHE_KEPT = 4
STAGES = ("dev", "prod")
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the zip: the path tracebacks show
# Data modules Hearth never imports (phonenumbers' geocoder, carrier and time zone tables, reached
# only through modules chalicelib does not use): compiling them would add 22 MB of bytecode.
NOT_COMPILED = ("phonenumbers/geodata/", "phonenumbers/carrierdata/", "phonenumbers/tzdata/")

# Everything a package is built from: a test rebuilds the package when one is newer.
INPUT_GLOBS = (
    "app.py",
    "requirements.txt",
    "chalicelib/**/*",
    "infra/**/*",
    ".chalice/*.json",
    "scripts/package.py",
)


# --- templates --------------------------------------------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (`!Ref`, `!Sub`, `!GetAtt`...)."""


def _intrinsic(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    tag = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {tag: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader) or {}  # noqa: S506 (a SafeLoader subclass)


def deep_merge(overlay: Any, base: Any) -> Any:
    """Chalice's `--merge-template` semantics: mappings merge key by key, the overlay wins otherwise."""
    if isinstance(overlay, dict) and isinstance(base, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = deep_merge(value, base.get(key))
        return merged
    return copy.deepcopy(overlay)


# The prod overlay's switch for the API function's SnapStart: its parameter and condition.
SNAPSTART_SWITCH = ("ApiSnapStart", "ApiSnapStartOn")
SNAPSTART_SINCE = (3, 12)  # the first Python runtime Lambda snapshots


def merge_template(stage: str, python_version: tuple[int, int] = SNAPSTART_SINCE) -> dict[str, Any]:
    """The fragment Chalice merges for `stage`: the shared template, the stage's overlay, the pin.

    For a runtime without SnapStart the functions keep their published versions and alias, and
    lose SnapStart and its switch (cfn-lint refuses SnapStart there, and so would Lambda).
    """
    merged = deep_merge(load_yaml(INFRA / "stages" / f"{stage}.yaml"), load_yaml(INFRA / "template.yaml"))
    parameter = merged["Parameters"]["Stage"]
    parameter["AllowedValues"] = [stage]
    parameter["Default"] = stage
    if python_version < SNAPSTART_SINCE:
        for resource in merged.get("Resources", {}).values():
            resource.get("Properties", {}).pop("SnapStart", None)
            resource.get("Properties", {}).pop("VersionDescription", None)  # names the switch
        merged["Parameters"].pop(SNAPSTART_SWITCH[0], None)
        merged.get("Conditions", {}).pop(SNAPSTART_SWITCH[1], None)
    return merged


def route_through_aliases(template: dict[str, Any]) -> list[str]:
    """Point the REST API's integrations and invoke permissions at the alias of each function that
    publishes one; returns those functions. Chalice writes them for the function itself (`$LATEST`),
    which never runs a published version, so never a SnapStart snapshot."""
    resources = template["Resources"]
    aliased = sorted(
        name
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function" and "AutoPublishAlias" in resource["Properties"]
    )
    rest = resources["RestAPI"]["Properties"]
    for name in aliased:
        alias = alias_id(name, resources[name]["Properties"]["AutoPublishAlias"])
        rest["DefinitionBody"] = _retarget(rest["DefinitionBody"], f"${{{name}.Arn}}", f"${{{alias}}}")
        for resource in resources.values():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::Lambda::Permission" and properties.get("FunctionName") == {
                "Ref": name
            }:
                properties["FunctionName"] = {"Ref": alias}
    return aliased


def alias_id(function: str, alias: str) -> str:
    """The logical ID the SAM transform gives a function's `AutoPublishAlias` (its Ref: the alias
    ARN). Named directly: cfn-lint does not resolve `${Function.Alias}` inside a `Fn::Sub`."""
    return function + "Alias" + re.sub(r"[^A-Za-z0-9]", "", alias)


def _retarget(node: Any, arn: str, alias: str) -> Any:
    """`node` with `arn` replaced by `alias` in every `Fn::Sub` string."""
    if isinstance(node, dict):
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            return {"Fn::Sub": node["Fn::Sub"].replace(arn, alias)}
        return {key: _retarget(value, arn, alias) for key, value in node.items()}
    if isinstance(node, list):
        return [_retarget(value, arn, alias) for value in node]
    return node


# --- the packaging interpreter ----------------------------------------------------------------


def _pin(requirement: str) -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == requirement:
            return line.split("#")[0].strip()
    raise SystemExit(f"{requirement} is not pinned in requirements-dev.txt")


def python_version(python: Path) -> tuple[int, int]:
    """The version of `python`: the Lambda runtime Chalice writes for it."""
    if python.resolve() == Path(sys.executable).resolve():
        return sys.version_info[0], sys.version_info[1]
    found = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(found[0]), int(found[1])


def packaging_python(python: str | None) -> Path:
    """The interpreter that runs Chalice; its version becomes the Lambda runtime."""
    if not python or Path(python).resolve() == Path(sys.executable).resolve():
        return Path(sys.executable)
    found = shutil.which(python) or python
    version = subprocess.run(
        [found, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    venv = VENVS / f"python{version}"
    stamp = venv / ".installed"
    wanted = hashlib.sha256(
        b"".join((ROOT / name).read_bytes() for name in ("requirements.txt", "constraints.txt"))
        + _pin("chalice").encode()
    ).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        print(f"building the python{version} packaging venv in {venv.relative_to(ROOT)}", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([found, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                str(venv / "bin" / "pip"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(ROOT / "requirements.txt"),
                _pin("chalice"),
                "-c",
                str(ROOT / "constraints.txt"),
            ],
            check=True,
        )
        stamp.write_text(wanted)
    return venv / "bin" / "python"


def _chalice_env() -> dict[str, str]:
    """The packaging environment: no Hearth settings (they come from config.json and the template)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEARTH_")}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # Chalice needs one; the template uses AWS::Region
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# --- the zip ----------------------------------------------------------------------------------


def _stale_bytecode(name: str) -> bool:
    return "__pycache__/" in name or name.endswith((".pyc", ".pyo"))


def _entry(name: str, like: zipfile.ZipInfo | None = None) -> zipfile.ZipInfo:
    """A fresh entry (writing mutates a ZipInfo, so the original archive's are never reused)."""
    info = zipfile.ZipInfo(name, date_time=like.date_time if like else (1980, 1, 1, 0, 0, 0))
    info.external_attr = like.external_attr if like else 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def rebuild_zip(source: Path, target: Path, python: Path, bytecode: bool) -> dict[str, Any]:
    """Copy Chalice's zip without stale bytecode, adding freshly compiled bytecode if asked."""
    with zipfile.ZipFile(source) as original:
        entries = [info for info in original.infolist() if not _stale_bytecode(info.filename)]
        plain = target.with_name("deployment-source.zip")
        with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as out:
            for info in entries:
                out.writestr(_entry(info.filename, info), original.read(info))
        report: dict[str, Any] = {
            "zip_bytes_source_only": plain.stat().st_size,
            "unzipped_bytes_source_only": sum(info.file_size for info in entries),
            "files": len(entries),
        }
        if not bytecode:
            plain.replace(target)
            report |= {"zip_bytes": report["zip_bytes_source_only"], "bytecode": False, "pyc_files": 0}
            return report
        plain.unlink()
        with tempfile.TemporaryDirectory(prefix="hearth-pyc-") as scratch:
            tree = Path(scratch)
            for info in entries:
                if info.filename.endswith(".py") and not info.filename.startswith(NOT_COMPILED):
                    destination = tree / info.filename
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    destination.write_bytes(original.read(info))
            compiled = subprocess.run(
                [
                    str(python),
                    "-m",
                    "compileall",
                    "-q",
                    "-j",
                    "0",
                    "--invalidation-mode",
                    "unchecked-hash",
                    "-s",
                    str(tree),
                    "-p",
                    LAMBDA_TASK_ROOT,
                    str(tree),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            failed = sorted(set(re.findall(r"\*\*\* Error compiling '([^']+)'", compiled.stdout)))
            if compiled.returncode != 0 and not failed:  # compileall itself broke, not one file
                raise SystemExit(f"compileall failed:\n{compiled.stdout}{compiled.stderr}")
            for name in failed:  # such a module still imports from source, only slower
                print(f"warning: {Path(name).relative_to(tree)} does not compile; shipped as source only")
            pycs = sorted(tree.rglob("*.pyc"))
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
                for info in entries:
                    out.writestr(_entry(info.filename, info), original.read(info))
                for pyc in pycs:
                    out.writestr(_entry(pyc.relative_to(tree).as_posix()), pyc.read_bytes())
            report |= {
                "zip_bytes": target.stat().st_size,
                "bytecode": True,
                "pyc_files": len(pycs),
                "pyc_bytes": sum(pyc.stat().st_size for pyc in pycs),
                "compile_failures": [str(Path(name).relative_to(tree)) for name in failed],
            }
    return report


# --- one stage --------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One packaging at a time in this tree (make and a test may both start one)."""
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prune_chalice_cache() -> None:
    """Keep Chalice's dependency zips from piling up: it writes a 30 MB one per code change."""
    cached = sorted(CHALICE_CACHE.glob("*.zip"), key=lambda path: path.stat().st_mtime, reverse=True)
    for stale in cached[CACHE_KEPT:]:
        stale.unlink(missing_ok=True)


def lint(template: Path) -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--non-zero-exit-code", "error", str(template)],
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    if output:
        print(output)
    if result.returncode != 0:
        shown = template.relative_to(ROOT) if template.is_relative_to(ROOT) else template
        raise SystemExit(f"cfn-lint found errors in {shown}")


def package_stage(
    stage: str,
    python: Path,
    *,
    bytecode: bool,
    run_lint: bool,
    built: dict[tuple[str, bool], tuple[Path, dict[str, Any]]],
) -> dict[str, Any]:
    timings: dict[str, float] = {}
    final = OUT / stage
    work = OUT / f".{stage}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    merge = work / "merge-template.json"
    merge.write_text(json.dumps(merge_template(stage, python_version(python)), indent=2) + "\n")

    began = time.perf_counter()
    chalice_out = work / "chalice"
    subprocess.run(
        [
            str(python.parent / "chalice"),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge),
            "--template-format",
            "json",
            str(chalice_out),
        ],
        cwd=ROOT,
        env=_chalice_env(),
        check=True,
    )
    timings["chalice_package_s"] = time.perf_counter() - began
    _prune_chalice_cache()

    began = time.perf_counter()
    (chalice_out / "sam.json").replace(work / "sam.json")
    digest = hashlib.sha256((chalice_out / "deployment.zip").read_bytes()).hexdigest()
    same = built.get((digest, bytecode))
    if same is not None:  # stages share their code: rebuild it once per run
        shutil.copyfile(same[0], work / "deployment.zip")
        zipped = same[1]
    else:
        zipped = rebuild_zip(chalice_out / "deployment.zip", work / "deployment.zip", python, bytecode)
    shutil.rmtree(chalice_out)
    timings["zip_s"] = time.perf_counter() - began

    template = json.loads((work / "sam.json").read_text())
    aliased = route_through_aliases(template)
    (work / "sam.json").write_text(json.dumps(template, indent=2) + "\n")
    functions = {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    runtimes = sorted({properties["Runtime"] for properties in functions.values()})
    architectures = sorted(
        {arch for properties in functions.values() for arch in properties["Architectures"]}
    )

    if run_lint:
        began = time.perf_counter()
        lint(work / "sam.json")
        timings["cfn_lint_s"] = time.perf_counter() - began

    manifest = {
        "stage": stage,
        "runtime": runtimes,
        "architectures": architectures,
        "functions": sorted(functions),
        "aliased": aliased,
        "snapstart": sorted(name for name, properties in functions.items() if "SnapStart" in properties),
        "linted": run_lint,
        **zipped,
        "timings": {key: round(value, 2) for key, value in timings.items()},
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    work.replace(final)
    built[(digest, bytecode)] = (final / "deployment.zip", zipped)
    return manifest


def inputs_newest() -> float:
    """The newest modification time among the files a package is built from."""
    newest = 0.0
    for pattern in INPUT_GLOBS:
        for path in ROOT.glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def is_fresh(stage: str) -> bool:
    """Whether `out/package/<stage>` was built from the current inputs."""
    built = OUT / stage / "manifest.json"
    return built.exists() and built.stat().st_mtime >= inputs_newest()


def package(
    stages: list[str], python: str | None = None, *, bytecode: bool = True, run_lint: bool = True
) -> list[dict[str, Any]]:
    interpreter = packaging_python(python)
    built: dict[tuple[str, bool], tuple[Path, dict[str, Any]]] = {}
    with _locked():
        return [
            package_stage(stage, interpreter, bytecode=bytecode, run_lint=run_lint, built=built)
            for stage in stages
        ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("stages", nargs="*", metavar="STAGE", help=f"default: {' '.join(STAGES)}")
    parser.add_argument("--python", help="package with this interpreter: its version is the Lambda runtime")
    parser.add_argument("--no-bytecode", action="store_true", help="ship sources only")
    parser.add_argument("--no-lint", action="store_true", help="skip cfn-lint")
    parser.add_argument("--if-stale", action="store_true", help="skip stages already built from these inputs")
    args = parser.parse_args()
    unknown = sorted(set(args.stages) - set(STAGES))
    if unknown:
        parser.error(f"no deployable stage {', '.join(unknown)}; choose from {', '.join(STAGES)}")
    started = time.perf_counter()
    stages = [stage for stage in args.stages or STAGES if not (args.if_stale and is_fresh(stage))]
    for manifest in package(stages, args.python, bytecode=not args.no_bytecode, run_lint=not args.no_lint):
        timings = ", ".join(f"{key[:-2]} {value:.1f}s" for key, value in manifest["timings"].items())
        print(
            f"{manifest['stage']}: {'/'.join(manifest['runtime'])} {'/'.join(manifest['architectures'])}, "
            f"{len(manifest['functions'])} functions, zip {manifest['zip_bytes'] / 1e6:.1f} MB "
            f"({manifest['zip_bytes_source_only'] / 1e6:.1f} MB without bytecode); {timings}"
        )
    print(f"out/package ready in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
