"""The generated operator the benchmarks share: one work folder with its own SQLite database
and model root, migrated and generated once by child ``wanliu`` processes.

Imported by the bench scripts as ``bench_operator`` (``bench/`` is the script's folder on
``sys.path``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WANLIU = [sys.executable, "-m", "wanliu.cli"]
MARKER = "generated.json"


def operator_env(workdir: Path) -> dict[str, str]:
    """The environment of a ``wanliu`` process on the operator in ``workdir`` (never the
    caller's ``DATABASE_URL``)."""
    env = os.environ.copy()
    env["WANLIU_VAR_DIR"] = str(workdir)
    env["WANLIU_MODEL_ROOTS"] = str(workdir / "models")
    env.pop("DATABASE_URL", None)
    return env


def operator_marker(workdir: Path) -> dict[str, Any] | None:
    """What ``operator_generate`` recorded in ``workdir``; ``None`` when nothing is there."""
    marker = workdir / MARKER
    return dict(json.loads(marker.read_text())) if marker.is_file() else None


def operator_generate(
    workdir: Path, *, lines: int, as_of: str, seed: int = 7, months: int = 12
) -> dict[str, Any]:
    """Migrate and generate the operator in ``workdir`` unless its marker is there; the
    marker (lines, seconds) is returned and extended by callers with ``operator_record``."""
    known = operator_marker(workdir)
    if known is not None:
        return known
    workdir.mkdir(parents=True, exist_ok=True)
    env = operator_env(workdir)
    subprocess.run([*WANLIU, "migrate", "-v", "0"], env=env, check=True)
    started = time.perf_counter()
    generate = ["generate", "--lines", str(lines), "--months", str(months)]
    generate += ["--seed", str(seed), "--as-of", as_of]
    subprocess.run([*WANLIU, *generate], env=env, check=True)
    return {"lines": lines, "generate_seconds": round(time.perf_counter() - started, 1)}


def operator_record(workdir: Path, info: dict[str, Any]) -> None:
    """Write the marker that makes the next run reuse the operator."""
    (workdir / MARKER).write_text(json.dumps(info, indent=2))


def operator_django(workdir: Path) -> None:
    """Set this process up as Django on the operator in ``workdir``."""
    os.environ.update(operator_env(workdir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wanliu.settings")
    import django

    django.setup()
