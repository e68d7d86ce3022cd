"""The vendor SDK in its own virtualenv, created on first use and cached.

``aiges==0.16.0`` needs ``pydantic<2.11`` (its schema call crashes on newer pydantic, spec 10.1
item 2) and ``setuptools<81`` (``pkg_resources``). Python 3.9 is used when found: it is the Python
of the official images and of every vendor transcript.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

VENDOR_REQUIREMENTS = ["aiges==0.16.0", "pydantic<2.11", "setuptools<81"]
PY39_CANDIDATES = [
    os.environ.get("AIGES_BENCH_PY39", ""),
    "/root/.pyenv/versions/3.9.18/bin/python",
    shutil.which("python3.9") or "",
]


def _python_bin(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def base_python() -> str:
    for candidate in PY39_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return candidate
    return sys.executable


def _works(python: Path) -> bool:
    probe = "import aiges.serve, pydantic; assert pydantic.VERSION < '2.11'"
    return python.is_file() and subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def ensure(venv: Path, log: List[str]) -> Optional[str]:
    """Path of the vendor venv's python, creating it if needed; None (reason in ``log``) on failure."""
    python = _python_bin(venv)
    if _works(python):
        return str(python)
    if venv.exists():
        shutil.rmtree(venv)
    base = base_python()
    steps = [
        [base, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *VENDOR_REQUIREMENTS],
    ]
    for step in steps:
        print("bench: %s" % " ".join(step[:4] + (["..."] if len(step) > 4 else [])), file=sys.stderr)
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            log.append("vendor venv: `%s` failed: %s" % (" ".join(step), (done.stderr or done.stdout)[-500:]))
            return None
    if not _works(python):
        log.append("vendor venv: aiges.serve does not import after installation")
        return None
    return str(python)
