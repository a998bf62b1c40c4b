"""What every benchmark prints and does beside its measurements, with nothing but the standard library (the
baselines' own venvs import the benchmark scripts too): the machine it ran on, and running one side of a
comparison in a process of its own."""

import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    """ "2 CPUs (AMD EPYC); Python 3.13.0 on Linux"."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()} on {platform.system()}"


def run_worker(python: Path, script: str, *args: str) -> dict:
    """Run ``script`` with ``args`` under ``python`` (a venv of its own) and read the JSON object it prints
    last; {"error": ...} with the last line of its stderr if it fails."""
    proc = subprocess.run(
        [str(python), script, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "HF_HUB_OFFLINE": "1"},
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])
