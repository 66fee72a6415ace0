"""Audit the installed dependencies for known vulnerabilities with pip-audit.

Usage: ``audit.py PYTHON PIP_AUDIT`` — PYTHON is the project's virtual environment's
interpreter (its packages, pinned to the versions installed, are audited), PIP_AUDIT the
pip-audit executable from a separate environment (so the auditor's own packages are not mixed
in).

Exit status: 0 when every dependency was audited and none has a known vulnerability; 1 when
any has one (the table says which, and the fixed versions); 0 with a warning when no advisory
service could be reached to audit some dependency — unless ``DUBAN_AUDIT_STRICT=1``, when that
fails too. Both services are tried: the index's JSON pages first, then OSV.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SERVICES = ("pypi", "osv")
# What pip-audit's output shows when an advisory service could not be reached at all.
UNREACHABLE = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "ConnectTimeout",
    "ReadTimeout",
    "VulnServiceConnectionError",
    "your network may be blocking",
)
TIMEOUT = 600


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze(python: str, *, pinned: bool = True) -> str:
    """The environment's packages, one a line (the project itself left out); with ``pinned``
    only the ``name==version`` ones."""
    result = subprocess.run(
        [python, "-m", "pip", "freeze", "--exclude-editable", "--all"],
        check=True,
        capture_output=True,
        text=True,
    )
    lines = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    if pinned:
        lines = [line for line in lines if "==" in line]
    return "\n".join(lines) + "\n"


def audit(pip_audit: str, requirements: Path, service: str) -> dict[str, Any] | str:
    """pip-audit's JSON report, or the reason it produced none."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        try:
            result = subprocess.run(
                [
                    pip_audit,
                    "--requirement",
                    str(requirements),
                    "--no-deps",
                    "--disable-pip",
                    "--vulnerability-service",
                    service,
                    "--format",
                    "json",
                    "--output",
                    str(report),
                    "--progress-spinner",
                    "off",
                ],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return f"no answer within {TIMEOUT} s"
        if report.exists():
            data: dict[str, Any] = json.loads(report.read_text())
            return data
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        if not any(sign in result.stderr for sign in UNREACHABLE):
            # not the network: pip-audit itself failed (a bad flag, bad input): that must not
            # pass as "nothing to report"
            raise SystemExit(f"pip-audit failed ({result.returncode}): {last[:300]}")
        return f"pip-audit exited {result.returncode}: {last[:300]}"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    python, pip_audit = sys.argv[1:]
    strict = os.environ.get("DUBAN_AUDIT_STRICT") == "1"
    frozen = freeze(python, pinned=False).splitlines()
    unpinned = [line for line in frozen if "==" not in line]
    pins = {canonical(line.split("==")[0]): line for line in frozen if "==" in line}
    count = len(pins)
    print(f"auditing {count} installed packages", flush=True)
    if unpinned:  # installed from a URL or a path: no version to look up
        print(f"WARNING: not audited, no version to look up: {', '.join(unpinned)}")
    vulnerable: dict[tuple[str, str], list[dict[str, Any]]] = {}
    pending = set(pins)
    reasons: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        for service in SERVICES:
            requirements = Path(scratch) / f"{service}.txt"
            requirements.write_text("".join(f"{pins[name]}\n" for name in sorted(pending)))
            print(f"  asking {service} about {len(pending)} …", flush=True)
            report = audit(pip_audit, requirements, service)
            if isinstance(report, str):
                reasons.append(f"{service}: {report}")
                continue
            skipped = 0
            for dependency in report.get("dependencies", []):
                name = canonical(dependency["name"])
                if "skip_reason" in dependency:
                    skipped += 1
                    continue
                pending.discard(name)
                if dependency.get("vulns"):
                    vulnerable[(name, dependency["version"])] = dependency["vulns"]
            if skipped:
                reasons.append(f"{service}: {skipped} skipped as not found")
            if not pending:
                break
    for (name, version), vulns in sorted(vulnerable.items()):
        for vuln in vulns:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            print(f"VULNERABLE {name} {version}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        print(f"{len(vulnerable)} installed packages have known vulnerabilities")
        return 1
    if pending:
        print(
            f"WARNING: {len(pending)} of {count} packages could not be audited: no advisory "
            f"service answered here ({'; '.join(reasons)})"
        )
        return 1 if strict else 0
    print(f"no known vulnerabilities in {count} installed packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
