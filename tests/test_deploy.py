"""deploy/: the systemd units start real saferstaff entry points with the one environment file; the environment
example lists only variables the settings read, every one production requires, and starts production when its
blanks are filled; the proxy's body caps let through the largest file each upload page accepts."""

import configparser
import datetime
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management import get_commands

from saferstaff.incidents import vault

from .conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ENV_FILE = "/etc/saferstaff/saferstaff.env"
UNITS = [
    "saferstaff-web.service",
    "saferstaff-worker@.service",
    "saferstaff-checks.service",
    "saferstaff-daily.service",
]
# What production refuses to start without (saferstaff/settings.py; tests/test_settings_production.py).
REQUIRED = {
    "SAFERSTAFF_ENV",
    "SECRET_KEY",
    "AUDIT_KEY",
    "FACE_TEMPLATE_KEY",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "EMAIL_HOST",
}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(DEPLOY / name)
    return parser


def settings_variables() -> set[str]:
    """Every variable saferstaff/settings.py reads, with the NAME_FILE form of each secret."""
    source = (ROOT / "saferstaff" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list|secret|keys)\(\s*"([A-Z0-9_]+)"', source))
    names |= set(re.findall(r'older="([A-Z0-9_]+)"', source))
    secrets_ = set(re.findall(r'env_(?:secret|keys)\(\s*"([A-Z0-9_]+)"', source)) | set(
        re.findall(r'older="([A-Z0-9_]+)"', source)
    )
    return names | {f"{name}_FILE" for name in secrets_}


def env_example() -> tuple[dict[str, str], set[str]]:
    """The example's set variables (name → value, blank where the operator must fill it in) and the names it
    shows commented out as optional."""
    values, optional = {}, set()
    for line in (DEPLOY / "saferstaff.env.example").read_text().splitlines():
        if match := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line):
            value = match.group(2)
            values[match.group(1)] = value[1:-1] if value[:1] == value[-1:] == '"' and value else value
        elif match := re.fullmatch(r"#([A-Z][A-Z0-9_]*)=.*", line):
            optional.add(match.group(1))
    return values, optional


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_runs_a_real_entry_point_with_the_environment_file(name):
    service = unit(name)["Service"]
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["User"] == "saferstaff" and "/var/lib/saferstaff" in service["ReadWritePaths"]
    command = shlex.split(service["ExecStart"])
    program = Path(command[0])
    assert program.parent == Path("/opt/saferstaff/.venv/bin"), command[0]
    if program.name == "saferstaff":
        assert command[1] in get_commands(), f"{name}: `saferstaff {command[1]}` is no command"
    elif program.name == "granian":
        assert command[command.index("--interface") + 1] == "wsgi"
        assert (
            command[-1] == "saferstaff.wsgi:application"
            and settings.WSGI_APPLICATION == "saferstaff.wsgi.application"
        )
        assert "127.0.0.1" in command, "the web server listens on loopback only, behind nginx"
    elif program.name == "gunicorn":  # the alternative measured in benchmarks/webserver.py
        assert command[-1] == "saferstaff.wsgi:application"
        assert any(arg.startswith("127.0.0.1:") for arg in command), "loopback only, behind nginx"
    else:
        pytest.fail(f"{name}: {command[0]} is not saferstaff's command or its web server")


def test_the_workers_and_the_daily_jobs_run_what_the_readme_says():
    worker = shlex.split(unit("saferstaff-worker@.service")["Service"]["ExecStart"])
    assert worker[1:] == ["run_worker"]
    checks = shlex.split(unit("saferstaff-checks.service")["Service"]["ExecStart"])
    assert checks[1:] == [
        "run_worker",
        "--queue-name",
        "checks",
    ]  # a takedown's checks never wait behind a sweep
    daily = unit("saferstaff-daily.service")["Service"]
    assert daily["Type"] == "oneshot" and shlex.split(daily["ExecStart"])[1:] == ["run_daily"]
    timer = unit("saferstaff-daily.timer")["Timer"]
    assert timer["OnCalendar"].startswith("*-*-* 07:00") and timer["Unit"] == "saferstaff-daily.service"
    assert timer["Persistent"] == "true"


def test_the_environment_example_lists_only_what_the_settings_read_and_all_that_production_needs():
    values, optional = env_example()
    read = settings_variables()
    assert not (set(values) | optional) - read, f"not read by settings.py: {(set(values) | optional) - read}"
    assert not REQUIRED - set(values), f"required but missing: {REQUIRED - set(values)}"
    for secret in ("SECRET_KEY", "AUDIT_KEY", "FACE_TEMPLATE_KEY"):
        assert values[secret] == "", f"{secret}: the example holds no secret, only how to make one"


def test_the_environment_example_starts_production_once_its_blanks_are_filled(tmp_path):
    values, _ = env_example()
    filled = {
        **values,
        "SAFERSTAFF_VAR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_KEY": secrets.token_urlsafe(32),
        "FACE_TEMPLATE_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": "postgres://saferstaff:secret@db.example-trust.org.uk:5432/saferstaff",
        "EMAIL_HOST": "smtp.example-trust.org.uk",
    }
    blanks = {name for name, value in values.items() if value == ""}
    assert all(filled[blank] for blank in blanks), "a blank in the example this test does not fill"
    base = {k: v for k, v in os.environ.items() if k not in settings_variables() and k != "PYTHONPATH"}
    run = [sys.executable, "-c", "import saferstaff.settings"]
    started = subprocess.run(
        run, env={**base, **filled, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr[-800:]
    for blank in sorted(blanks):  # each blank left blank stops it, naming the variable
        left = {**filled, blank: ""}
        refused = subprocess.run(
            run, env={**base, **left, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
        )
        assert refused.returncode != 0 and blank in refused.stderr.splitlines()[-1], blank


def body_caps() -> tuple[int, dict[str, int]]:
    """nginx's server-wide client_max_body_size and each regex location's, in bytes."""
    text = (DEPLOY / "nginx.conf.example").read_text()
    mb = lambda size: int(size) * 1024 * 1024  # noqa: E731
    server = re.search(r"^    client_max_body_size (\d+)m;", text, re.M)
    locations = {
        pattern: mb(size)
        for pattern, size in re.findall(r"location ~ (\S+) \{\s*client_max_body_size (\d+)m;", text)
    }
    return mb(server.group(1)), locations


def cap_for(path: str) -> int:
    default, locations = body_caps()
    return next((cap for pattern, cap in locations.items() if re.match(pattern, path)), default)


def test_the_proxy_lets_through_the_largest_file_each_upload_page_accepts():
    school = "/s/westfield/"
    assert cap_for(f"{school}activities/12/upload/") >= settings.VIDEO_MAX_BYTES
    assert cap_for(f"{school}activities/12/upload/") >= settings.IMAGE_MAX_BYTES
    for path in ("incidents/report/", "incidents/allegation/", "incidents/cases/7/evidence/"):
        assert cap_for(school + path) > vault.MAX_BYTES, path
    assert cap_for(f"{school}import/") >= settings.ROSTER_MAX_BYTES
    # Everything else keeps the small cap: the large ones are only where a large file belongs.
    assert cap_for(f"{school}staff/add/") == 25 * 1024 * 1024
    assert cap_for(f"{school}activities/12/") == 25 * 1024 * 1024


def test_the_proxy_sets_the_forwarded_scheme_serves_static_files_and_never_the_uploads():
    text = (DEPLOY / "nginx.conf.example").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert re.search(r"location /static/ \{\s*alias /var/lib/saferstaff/static/;", text)
    directives = [line.split("#")[0] for line in text.splitlines()]
    assert not any("/media" in line or "MEDIA_ROOT" in line for line in directives)
    assert "listen 443 ssl" in text and "return 301 https://" in text


def test_nginx_accepts_the_example(tmp_path):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if not nginx:
        skip_or_fail("nginx is not installed (Debian: apt-get install nginx-light)")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "saferstaff.example-trust.org.uk")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    site = (DEPLOY / "nginx.conf.example").read_text().replace("/etc/ssl/saferstaff/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        [nginx, "-e", str(tmp_path / "error.log"), "-t", "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        skip_or_fail("systemd-analyze is not installed (Debian: the systemd package)")
    for name in [*UNITS, "saferstaff-daily.timer"]:
        shutil.copy(DEPLOY / name, tmp_path / name.replace("@.", "@1."))
    files = sorted(str(path) for path in tmp_path.iterdir())
    result = subprocess.run(
        [analyze, "verify", "--man=no", *files], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    # The programs live under /opt/saferstaff only on a server; everything else must be clean.
    problems = [line for line in result.stderr.splitlines() if "is not executable" not in line]
    assert not problems, "\n".join(problems)
    calendar = subprocess.run(
        [analyze, "calendar", unit("saferstaff-daily.timer")["Timer"]["OnCalendar"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert calendar.returncode == 0 and "07:00:00" in calendar.stdout, calendar.stderr


def test_make_run_and_the_benchmarks_serve_as_production_does():
    """One shape for the web server (docs/serving.md): the processes, threads and queue `make run` and the
    benchmarks use are the production unit's."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _web import SHAPE, THREADS, WORKERS, server_command
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    production = shlex.split(unit("saferstaff-web.service")["Service"]["ExecStart"])
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    local = shlex.split(
        run[run.index("granian ") :].replace("\\\n", " ").replace("$(WEB_WORKERS)", "WEB_WORKERS")
    )
    local[local.index("WEB_WORKERS")] = re.search(r"^WEB_WORKERS \?= (\d+)$", makefile, re.M).group(1)
    bench = server_command("granian", 8000, WORKERS, THREADS)
    for flag in ("--workers", "--blocking-threads", "--backpressure"):
        expected = production[production.index(flag) + 1]
        assert local[local.index(flag) + 1] == expected, f"make run's {flag}"
        assert bench[bench.index(flag) + 1] == expected, f"the benchmarks' {flag}"
    assert SHAPE["workers"] == int(production[production.index("--workers") + 1])
