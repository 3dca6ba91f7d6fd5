"""`make audit`: known vulnerabilities in the installed dependencies, by pip-audit.

pip-audit asks a vulnerability service (PyPI's JSON API) about each installed package. Where
that service cannot be reached, or answers for none of them, this says so plainly and exits 0:
an audit that checked nothing must not pass for a clean one, nor break an offline build.
Known vulnerabilities exit 1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main() -> int:
    run = subprocess.run([str(PIP_AUDIT), "--progress-spinner", "off", "--format", "json",
                          "--skip-editable"], capture_output=True, text=True, timeout=600)
    try:
        packages = json.loads(run.stdout)["dependencies"]
    except (ValueError, KeyError, TypeError):
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"audit: NOT RUN: pip-audit could not reach its vulnerability service ({last}); "
              "nothing was checked")
        return 0
    checked = [p for p in packages if "skip_reason" not in p]
    if not checked:
        print(f"audit: NOT RUN: the vulnerability service answered for none of the "
              f"{len(packages)} installed packages (unreachable from this machine?); nothing "
              "was checked")
        return 0
    found = [(p, v) for p in checked for v in p.get("vulns", [])]
    for package, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
        print(f"audit: {package['name']} {package['version']}: {vuln['id']} (fixed in {fixes})")
    skipped = len(packages) - len(checked)
    print(f"audit: {len(checked)} packages checked, {len(found)} known vulnerabilities"
          + (f"; {skipped} could not be checked" if skipped else ""))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
