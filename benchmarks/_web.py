"""What the web-server benchmarks share (webserver.py, load.py): a free loopback port, the production server's
command line, starting and stopping it, and one ``wrk`` run read back as JSON."""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def production_shape() -> dict[str, int]:
    """The web server's processes, threads per process and queue as production runs it
    (deploy/saferstaff-web.service; `make run` serves the same, tests/test_deploy.py holds them together)."""
    unit = (ROOT / "deploy" / "saferstaff-web.service").read_text()
    command = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.M).group(1))
    return {
        flag: int(command[command.index(f"--{flag}") + 1])
        for flag in ("workers", "blocking-threads", "backpressure")
    }


SHAPE = production_shape()
WORKERS, THREADS = SHAPE["workers"], SHAPE["blocking-threads"]

# wrk's done() hook prints one JSON line: its own latency percentiles are in microseconds. "non2xx" is wrk's own
# count (statuses of 400 and over); "non200" counts every other status too (a redirect to the sign-in page), from
# each thread's response() hook.
WRK_REPORT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end
done = function(summary, latency, requests)
  local non200 = 0
  for _, thread in ipairs(threads) do non200 = non200 + thread:get("non200") end
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "non2xx": %d, "non200": %d, "errors": %d, "p50": %f, "p95": %f, "p99": %f}\\n',
    summary.requests, summary.duration / 1e6, summary.errors.status, non200,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(server: str, port: int, workers: int, threads: int) -> list[str]:
    """granian as deploy/saferstaff-web.service runs it (or gunicorn with the same processes and threads)."""
    if server == "granian":
        return [
            str(VENV_BIN / "granian"),
            *("--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)),
            *(
                "--workers",
                str(workers),
                "--blocking-threads",
                str(threads),
                "--backpressure",
                str(threads * SHAPE["backpressure"] // SHAPE["blocking-threads"]),
            ),
            *("--log-level", "warning", "--no-ws"),
            "saferstaff.wsgi:application",
        ]
    return [
        str(VENV_BIN / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)),
        *("--worker-class", "gthread", "--log-level", "warning"),
        "saferstaff.wsgi:application",
    ]


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped at start-up: {proc.stderr.read().decode()[-800:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not answer within {timeout} s")


def start(
    server: str, env: dict, workers: int, threads: int, cwd: Path = ROOT
) -> tuple[subprocess.Popen, int]:
    """The server on a free loopback port, from ``cwd`` (a checkout), once it answers /healthz."""
    port = free_port()
    proc = subprocess.Popen(
        server_command(server, port, workers, threads),
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    wait_until_up(port, proc)
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def cpu_seconds(proc: subprocess.Popen) -> float:
    """CPU time (user + system) so far of the server started by ``start``: its processes are the ones of its
    session (the main process and its workers, with all their threads)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[3]) == proc.pid:  # its session id
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def wrk(port: int, path: str, cookie: str, seconds: int, connections: int, lua: Path) -> dict:
    """One wrk run (2 threads) with the session cookie: requests/s, p50/p95/p99 in ms, non-2xx and errors."""
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(lua),
    ]
    command += ["-H", f"Cookie: sessionid={cookie}", f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    report = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    report["rps"] = report["requests"] / report["seconds"]
    return report


def drain(port: int, path: str, cookie: str) -> None:
    """Wait for the requests wrk left in the server when it stopped (the server finishes them although their
    connections are gone): one more request to the same page queues behind them."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={cookie}"}
    )
    urllib.request.urlopen(request, timeout=300).read()
