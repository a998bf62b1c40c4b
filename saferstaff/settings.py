"""The one settings module. Every value that differs between machines comes from the environment
(see README "Configuration"); the web server, the worker and every ``saferstaff`` command read it alike."""

from pathlib import Path

from django.utils.csp import CSP

from saferstaff.env import (
    ConfigError,
    database_from_url,
    env_bool,
    env_int,
    env_keys,
    env_list,
    env_secret,
    env_str,
    key_bytes,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SAFERSTAFF_VAR", str(BASE_DIR / "var")))

# development | test | production. Only production refuses the built-in development secret.
ENVIRONMENT = env_str("SAFERSTAFF_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ConfigError(f"SAFERSTAFF_ENV must be development, test or production, not {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", default=ENVIRONMENT == "development")
SECRET_KEY = env_secret("SECRET_KEY", dev_default=None if PRODUCTION else "development-only-not-secret")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Every link in an email (guardians' consent links, invitations) starts with this. `make run` sets it from
# HOST and PORT.
SITE_URL = env_str("SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")

# --- Production refuses development conveniences, naming the variable to set (accounts/sign-in block).
if PRODUCTION and DEBUG:
    raise ConfigError(
        "DEBUG is on in production: debug pages would show children's data. Unset DEBUG (or set DEBUG=0)."
    )
if PRODUCTION and not SITE_URL:
    raise ConfigError(
        "SITE_URL must be set in production (for example SITE_URL=https://saferstaff.your-trust.org.uk): "
        "links in guardians' and staff's emails start with it."
    )
if not SITE_URL.startswith(("https://",) if PRODUCTION else ("http://", "https://")):
    # In production, links in emails carry sign-in and guardians' portal tokens: never over plain http.
    raise ConfigError(
        f"SITE_URL must start with https:// (or http:// for development), not {SITE_URL!r}"
        + (": set SITE_URL=https://… in production." if PRODUCTION else "")
    )
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "[::1]", "::1"}
if not PRODUCTION and set(ALLOWED_HOSTS) - _LOCAL_HOSTS:
    # A real host name means a real server: never run it with development defaults (debug pages would show
    # children's data; the development secret key is public).
    raise ConfigError(
        f"ALLOWED_HOSTS names {sorted(set(ALLOWED_HOSTS) - _LOCAL_HOSTS)}: set SAFERSTAFF_ENV=production "
        "(with SECRET_KEY) to serve a real host."
    )
# Take X-Request-ID from the proxy in front only when the operator says one sets it.
TRUST_REQUEST_ID_HEADER = env_bool("TRUST_REQUEST_ID_HEADER", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Microsoft 365 / Google Workspace sign-in: one OpenID Connect app per school, pinned to the school's own
    # tenant or Workspace domain (accounts.adapters.SocialAccountAdapter); nothing is shown until one is set up.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "simple_history",
    "django_tasks_db",
    "saferstaff.accounts",
    "saferstaff.audit",
    "saferstaff.schools",
    "saferstaff.notifications",
    "saferstaff.policies",
    "saferstaff.consent",
    "saferstaff.conduct",
    "saferstaff.incidents",
    "saferstaff.photos",
    "saferstaff.biometrics",
    "saferstaff.publishing",
    "saferstaff.postcheck",
    "saferstaff.privacy",
    "saferstaff.home",
    "saferstaff.oversight",
    "saferstaff.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "saferstaff.middleware.PermissionsPolicyMiddleware",
    "saferstaff.middleware.RequestIdMiddleware",
    # Outside everything that queries the database: a lost connection anywhere below gets a clear 503.
    "saferstaff.middleware.DatabaseUnavailableMiddleware",
    # Inside the CSP middleware (and the database's): the sign-in pages' form-action names the providers.
    "saferstaff.accounts.csp.SignInFormActionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "saferstaff.accounts.middleware.PrivilegedIdleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "saferstaff.middleware.AuditContextMiddleware",
    "saferstaff.access.AccessMapMiddleware",
    "saferstaff.accounts.middleware.RequireMFAMiddleware",
    "saferstaff.policies.middleware.CompulsoryPoliciesMiddleware",
]

ROOT_URLCONF = "saferstaff.urls"
WSGI_APPLICATION = "saferstaff.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "saferstaff.context_processors.saferstaff",
            ],
            "builtins": ["saferstaff.templatetags.govuk"],
        },
    }
]

# --- Database: one switch. sqlite:///path (default: var/saferstaff.sqlite3) or postgres://…, which may name a
# primary and its standby (README "High availability"): postgres://u@h1:5432,h2:5432/db?target_session_attrs=read-write
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'saferstaff.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A kept connection is checked before a request uses it: after a failover the next request reconnects
    # (to whichever host now takes writes) instead of failing on the dead one (ADR 0012).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A host that does not answer is given up after this many seconds and the next one tried.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Each thread keeps its connection (DB_CONN_MAX_AGE), as with PostgreSQL: opening one (Django's SQL
    # functions, the PRAGMAs below) and closing the last one (a WAL checkpoint) cost more than the ceiling's
    # queries, ~4 ms of CPU a request (docs/serving.md).
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a writer takes the lock when its transaction starts, so two writers queue on
        # busy_timeout instead of one failing with "database is locked" half-way through.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests on a file too, never in memory: an in-memory database is one connection that Django's live
    # server shares between its request threads, so concurrent requests (a page of thumbnails) would
    # interleave inside each other's transactions — nothing like production, where each thread has its own.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-saferstaff.sqlite3")}
# One school on one server may run on SQLite; a trust or Local Authority runs PostgreSQL. Production says which
# it meant: SQLite only with SAFERSTAFF_ALLOW_SQLITE=1 (a forgotten DATABASE_URL would otherwise start an empty
# database beside the real one).
if PRODUCTION and DATABASE_URL.startswith("sqlite") and not env_bool("SAFERSTAFF_ALLOW_SQLITE", False):
    raise ConfigError(
        "DATABASE_URL is SQLite in production: set DATABASE_URL=postgres://user:password@host:5432/saferstaff, "
        "or SAFERSTAFF_ALLOW_SQLITE=1 for a single school on one server."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    # Shared by every process: allauth's login rate limits must hold across web workers.
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "saferstaff_cache"},
    # "Ask the policy": each published version's sentence embeddings (~250 KB). A table of their own, so they
    # never push sign-in rate limits out of the default cache when it culls.
    "embeddings": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "saferstaff_embeddings",
        "TIMEOUT": 60 * 60 * 24 * 180,
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
    # The school Overview's counts and things to do, per process: each key names the school's generation,
    # the person, their roles and the minute, so it is exact in every process (saferstaff/home/overview.py).
    "overview": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "saferstaff-overview",
        "TIMEOUT": 120,
        "OPTIONS": {"MAX_ENTRIES": 5_000},
    },
}

# --- Background work: the database is the queue (django-tasks-db); tests use the immediate backend.
CHECKS_QUEUE = "checks"
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        # "checks": a takedown's checks (photos.checks), run first by every worker and by one of their own
        # (`run_worker --queue-name checks`), so that a check never waits behind a sweep of a school's websites.
        "QUEUES": ["default", CHECKS_QUEUE],
    }
}

# saferstaff run_worker: a worker beats every lease/6 seconds; a job RUNNING under a worker silent for a lease goes
# back in the queue. A job failing on a connection (SMTP or S3 down: OSError, the database: OperationalError) runs
# again after base, 2×base, 4×base… seconds (at most an hour apart), up to the attempts; then it stays FAILED.
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 60)
TASK_RETRY_BASE_SECONDS = env_int("TASK_RETRY_BASE_SECONDS", 30)
TASK_RETRY_ATTEMPTS = env_int("TASK_RETRY_ATTEMPTS", 10)

# /readyz reports the queue unhealthy when its oldest waiting task has waited longer than this.
READYZ_QUEUE_MAX_AGE_MINUTES = env_int("READYZ_QUEUE_MAX_AGE_MINUTES", 15)

# --- Accounts and sign-in (django-allauth)
AUTH_USER_MODEL = "accounts.User"
SITE_ID = 1
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Argon2id first: new passwords are hashed with it, and an older hash (PBKDF2 from before) is re-hashed with it
# the next time its owner signs in. The others stay only to read those older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "saferstaff.accounts.passwords.ZxcvbnValidator", "OPTIONS": {"min_score": 3}},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "saferstaff.accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/15m/key",
    "login": "30/m/ip",
    "reset_password": "5/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
}
# The app's own limits (a person's draft checks) use django-ratelimit in the same shared cache as
# allauth's. The database cache counts with get-then-set, not an atomic increment, so a burst of parallel
# requests may pass a few over a limit: a brake on scripts, not an exact count (memcached or Redis in CACHES
# makes it exact). django_ratelimit is not in INSTALLED_APPS for that reason: its check refuses this cache.
RATELIMIT_USE_CACHE = "default"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "saferstaff: "
# allauth's forms with our labels and hints (saferstaff/accounts/forms.py), for the templates' one field loop.
ACCOUNT_FORMS = {
    "login": "saferstaff.accounts.forms.LoginForm",
    "reauthenticate": "saferstaff.accounts.forms.ReauthenticateForm",
    "reset_password": "saferstaff.accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "saferstaff.accounts.forms.ResetPasswordKeyForm",
    "change_password": "saferstaff.accounts.forms.ChangePasswordForm",
    "set_password": "saferstaff.accounts.forms.SetPasswordForm",
}
# A second factor: an authenticator app, or a security key / passkey (WebAuthn), with recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Browsers use WebAuthn on https:// sites and on http://localhost; development serves plain http.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
# A key is a second factor after the password, never a way to sign in without one.
MFA_PASSKEY_LOGIN_ENABLED = False
# The school supplies each work email and the invitation link proves it, so allauth's own email
# verification is off; without this allauth would refuse to add an authenticator app.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = "saferstaff"
MFA_FORMS = {
    "authenticate": "saferstaff.accounts.forms.AuthenticateForm",
    "reauthenticate": "saferstaff.accounts.forms.MFAReauthenticateForm",
    "activate_totp": "saferstaff.accounts.forms.ActivateTOTPForm",
    "add_webauthn": "saferstaff.accounts.forms.AddWebAuthnForm",
    "authenticate_webauthn": "saferstaff.accounts.forms.AuthenticateWebAuthnForm",
    "reauthenticate_webauthn": "saferstaff.accounts.forms.ReauthenticateWebAuthnForm",
}
SOCIALACCOUNT_ADAPTER = "saferstaff.accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
# Those who hold a role in schools.roles.SHORT_IDLE (Headteacher, senior leaders, DSL, DPO, trust admins) are
# signed out after this many idle minutes (accounts.middleware.PrivilegedIdleMiddleware); others keep
# SESSION_COOKIE_AGE.
PRIVILEGED_IDLE_MINUTES = env_int("PRIVILEGED_IDLE_MINUTES", 30)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page uses, switched off for every page (saferstaff.middleware.PermissionsPolicyMiddleware;
# Django has no setting of its own for this header).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "serial",
        "xr-spatial-tracking",
    )
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Strict CSP: our own files only; the one inline module script carries the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],  # the school's colour, in base.html
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # The sign-in pages (/accounts/) add the schools' sign-in providers: saferstaff/accounts/csp.py.
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Files
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "saferstaff" / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "filesystem")
if STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET", ""),
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            # Production names its keys: an empty key would only fail at the first upload.
            "access_key": env_secret("S3_ACCESS_KEY", dev_default=None if PRODUCTION else ""),
            "secret_key": env_secret("S3_SECRET_KEY", dev_default=None if PRODUCTION else ""),
            "region_name": env_str("S3_REGION", "us-east-1"),
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    raise ConfigError(f"STORAGE_BACKEND must be filesystem or s3, not {STORAGE_BACKEND!r}")
if STORAGE_BACKEND == "s3" and not _default_storage["OPTIONS"]["bucket_name"]:
    raise ConfigError(
        "S3_BUCKET must be set with STORAGE_BACKEND=s3 (the private bucket uploads are kept in)"
    )
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A roster larger than this is refused before it is read (a 2,000-pupil CTF is ~2 MB).
ROSTER_MAX_BYTES = env_int("ROSTER_MAX_BYTES", 20 * 1024 * 1024)
# §5 images: per-file limits (cap the request body at the proxy too: Django checks after spooling).
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 40 * 1024 * 1024)
# §9 evidence captured by a page's address: loopback addresses are fetched only when this is on (tests).
CAPTURE_ALLOW_LOOPBACK = False
# §5 the weekly sweep of a school's own websites (photos.sites): crawling.Limits for each school's sweep, and how
# many library originals never published are fingerprinted for one sweep (newest first; the rest wait).
SITE_SWEEP_LIMITS = {
    "max_pages": env_int("SITE_SWEEP_MAX_PAGES", 500),
    "max_seconds": float(env_int("SITE_SWEEP_MAX_SECONDS", 3600)),
    "delay": 1.0,
}
SITE_SWEEP_ORIGINALS = env_int("SITE_SWEEP_ORIGINALS", 2000)
# A picture of a captured page is drawn (offline, from the kept copy) when this Chromium is there (none if not).
CAPTURE_CHROMIUM = env_str("CAPTURE_CHROMIUM", "/usr/bin/chromium")
# §9 chronologies are signed (PDF, PAdES) with this key and certificate (PEM). Absent, the first export makes a
# key (mode 0600) and a self-signed certificate here; point them at a trust's or school's own to use those.
EVIDENCE_SIGNING_KEY = Path(env_str("EVIDENCE_SIGNING_KEY", str(VAR_DIR / "signing" / "evidence-key.pem")))
EVIDENCE_SIGNING_CERT = Path(env_str("EVIDENCE_SIGNING_CERT", str(VAR_DIR / "signing" / "evidence-cert.pem")))
VIDEO_MAX_BYTES = env_int("VIDEO_MAX_BYTES", 150 * 1024 * 1024)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 64_000_000)  # a 61-megapixel camera fits; bombs do not
ZIP_MAX_BYTES = env_int("ZIP_MAX_BYTES", 1024 * 1024 * 1024)  # uncompressed total of a bulk upload
ZIP_MAX_FILES = env_int("ZIP_MAX_FILES", 500)
DATA_UPLOAD_MAX_NUMBER_FILES = ZIP_MAX_FILES
PORTAL_LINK_DAYS = env_int("PORTAL_LINK_DAYS", 14)
# Faces (§5): "real" (YuNet + SFace + CenterFace, shipped in wheels) or "standin" (deterministic, for tests).
FACE_MODELS = env_str("FACE_MODELS", "real")
# Photos screened at once by an album screening (0: one per CPU core).
FACE_WORKERS = env_int("FACE_WORKERS", 0)

# --- Face templates (biometric data: UK GDPR art. 9, PoFA 2012) are sealed with keys of their own, never
# SECRET_KEY. FACE_TEMPLATE_KEY: at least 32 random bytes, base64; production refuses to start without it.
# FACE_TEMPLATE_OLD_KEYS: earlier keys, newest first, still read until `rotate_face_keys` has re-sealed every
# template with the newest (docs/adr/0004-faces.md).
FACE_TEMPLATE_KEYS = env_keys(
    "FACE_TEMPLATE_KEY",
    older="FACE_TEMPLATE_OLD_KEYS",
    # Development only, and public: it says so in its own letters.
    dev_default=None if PRODUCTION else "development-only-face-template-key-not-secret-00",
)
# Templates sealed before keys of their own (with FACE_TEMPLATE_KEY cut to 32 bytes, or from SECRET_KEY) are
# read by `rotate_face_keys` only; give the old FACE_TEMPLATE_KEY value here for that run.
FACE_TEMPLATE_LEGACY_KEY = env_secret("FACE_TEMPLATE_LEGACY_KEY", dev_default="")

# The audit trail is sealed with keys derived from this one (HMAC-SHA256). Keep it outside the database and its
# backups: whoever holds both could rewrite the trail. Changing it makes every row written since fail to verify.
# At least 32 random bytes, base64, like FACE_TEMPLATE_KEY; required in production.
AUDIT_KEY = key_bytes(
    "AUDIT_KEY",
    env_secret(
        "AUDIT_KEY", dev_default=None if PRODUCTION else "development-only-audit-key-not-secret-000000"
    ),
)
# Where ``saferstaff audit_head`` (and run_daily) writes each chain's signed daily head: copy it off the server.
AUDIT_HEAD_DIR = Path(env_str("AUDIT_HEAD_DIR", str(VAR_DIR / "audit-heads")))

# --- Email: SMTP when EMAIL_HOST is set; otherwise files under var/mail for development. Production refuses to
# start without a real mail server: guardians' consent links, invitations and the DPO's audit heads go by email.
_email_host = env_str("EMAIL_HOST", "")
if PRODUCTION and not _email_host:
    raise ConfigError(
        "EMAIL_HOST must be set in production (your SMTP relay, with EMAIL_PORT, EMAIL_HOST_USER, "
        "EMAIL_HOST_PASSWORD, EMAIL_USE_TLS): invitations and guardians' consent links go by email."
    )
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_secret("EMAIL_HOST_PASSWORD", dev_default=""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": env_int("EMAIL_TIMEOUT", 20),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "saferstaff <no-reply@saferstaff.localhost>")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# Log ids, never names or content: our own log lines carry object ids and the request id only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "saferstaff.middleware.RequestIdLogFilter"},
        "database_unavailable": {"()": "saferstaff.middleware.DatabaseUnavailableLogFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The worker prints each task's state itself; don't repeat it.
    # A lost database connection is logged once, by DatabaseUnavailableMiddleware, without a stack trace.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
        "django.request": {"filters": ["database_unavailable"]},
    },
}
