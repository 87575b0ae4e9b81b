"""Settings of the chat server, read from the environment.

See the README's "Configuration" table for every variable.
"""

import hashlib
import ipaddress
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from config.env import env_bool, env_choice, env_float, env_hosts, env_int, env_list, env_str
from notifications.keys import vapid_keys_read

BACKEND_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BACKEND_DIR.parent
DATA_DIR = Path(env_str("CHAT_DATA_DIR") or REPO_DIR / ".data")

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    # Development only: a fresh key per process (sessions end on restart).
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

DJANGO_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
# "ninja": /api/docs serves Swagger UI's files from this site (the CSP allows no other).
THIRD_PARTY_APPS = [
    "channels",
    "axes",
    "csp",
    "ninja",
    # Accounts (docs/deploy.md, "Who may join"): log-in, sign-up, e-mail, password reset,
    # single sign-on by OpenID Connect, second factors.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
]
LOCAL_APPS = [
    "chat",
    "organization",
    "people",
    "observability",
    "api",
    "notifications",
    "integrations",
    "previews",
    "imports",
]
# accounts first: its createsuperuser (the owner joins general) is found before Django's.
INSTALLED_APPS = ["accounts", *DJANGO_APPS, *THIRD_PARTY_APPS, *LOCAL_APPS]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language: the switcher's cookie, else Accept-Language, else
    # LANGUAGE_CODE (a signed-in person's profile wins: people.languages, below).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # On /api/, an Authorization: Bearer token replaces the session's user.
    "integrations.middleware.BearerTokenMiddleware",
    # A signed-in person's profile language, over the browser's; the switcher's choice
    # kept on their profile.
    "people.languages.ProfileLanguageMiddleware",
    # Sign-up, logins, tokens, rooms, invitations, webhooks, searches... per person or
    # address (chat.ratelimit.THROTTLES).
    "chat.ratelimit.RequestThrottles",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # CHAT_REQUIRE_MFA: people it covers set up a second factor before anything else.
    "accounts.mfa.MfaRequired",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes refuses logins (the site's and the admin's) after too many failures.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # allauth's: log-in by username or e-mail address, by SSO, by passkey.
    "allauth.account.auth_backends.AuthenticationBackend",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BACKEND_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.identity",
                "people.languages.language_switch",
            ],
        },
    },
]

_default_db_url = f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL") or _default_db_url)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
# Keep database connections open between requests and messages: opening one per
# message (Django's default) costs more than storing the message.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the
        # write lock when a transaction starts, so concurrent writers (several
        # Daphne processes posting to one room) queue instead of deadlocking.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

# One Redis URL, or several separated by commas: the channel layer then shards
# rooms over all of them; presence and the outage watch use the first.
REDIS_URLS = env_list("REDIS_URL", ["redis://127.0.0.1:6379/0"]) or ["redis://127.0.0.1:6379/0"]
REDIS_URL = REDIS_URLS[0]


def _deployment_tag(database: dict) -> str:
    """A short tag of the database a deployment uses: deployments on different databases
    get different Redis prefixes, whichever Redis they share."""
    name = database["NAME"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = str(Path(name).resolve())
    where = "|".join(str(database.get(key) or "") for key in ("ENGINE", "HOST", "PORT"))
    return hashlib.sha256(f"{where}|{name}".encode()).hexdigest()[:10]


# Starts every Redis key and channel name of this deployment, so several deployments
# may share a Redis without hearing each other: by default "chat-" and a tag of the
# database (the processes of one deployment share it; another database, another prefix).
CHAT_REDIS_PREFIX = env_str("CHAT_REDIS_PREFIX") or f"chat-{_deployment_tag(DATABASES['default'])}"
# Redis Sentinel instead of one address: REDIS_SENTINELS=host:port,host:port,...
# names the sentinels, which tell where the primary called REDIS_SENTINEL_MASTER
# is; after a failover every client follows the promoted replica. REDIS_URL is
# then not used.
REDIS_SENTINELS = env_hosts("REDIS_SENTINELS")
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER") or "chat"
REDIS_SENTINEL_DB = env_int("REDIS_SENTINEL_DB", 0)
if REDIS_SENTINELS:
    LAYER_HOSTS = [
        {
            "sentinels": REDIS_SENTINELS,
            "master_name": REDIS_SENTINEL_MASTER,
            "db": REDIS_SENTINEL_DB,
            "sentinel_kwargs": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    ]
else:
    LAYER_HOSTS = REDIS_URLS
CHANNEL_LAYERS = {
    "default": {
        # The pub/sub layer subscribes once per group per process and fans out
        # in-process, so no member's queue overflows and drops messages.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": LAYER_HOSTS, "prefix": CHAT_REDIS_PREFIX},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages (README, "Languages"): pages, e-mail and error details in the reader's
# language (their profile's, else the switcher's, else the browser's Accept-Language),
# else in DJANGO_LANGUAGE_CODE. A new language: add it here, then `invoke i18n.update`.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("ar", "العربية")]
LANGUAGE_CODE = env_choice("DJANGO_LANGUAGE_CODE", "en", tuple(code for code, _ in LANGUAGES))
LOCALE_PATHS = [BACKEND_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from the apps' static folders too, so Daphne serves the page's
# JavaScript and CSS with DEBUG off even before `collectstatic` has run.
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploaded attachments, through Django's storage API: a folder by default; with
# CHAT_STORAGE=s3, an S3-compatible bucket (django-storages).
MEDIA_ROOT = Path(env_str("CHAT_MEDIA_ROOT") or DATA_DIR / "media")
MEDIA_URL = "/files/"  # never served from here: chat.views.attachment_file checks access
CHAT_STORAGE = env_str("CHAT_STORAGE", "filesystem")
if CHAT_STORAGE == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("CHAT_S3_BUCKET"),
            "endpoint_url": env_str("CHAT_S3_ENDPOINT_URL"),
            "region_name": env_str("CHAT_S3_REGION"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not _default_storage["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("CHAT_STORAGE=s3 needs CHAT_S3_BUCKET.")
elif CHAT_STORAGE == "filesystem":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
else:
    raise ImproperlyConfigured(f"CHAT_STORAGE must be 'filesystem' or 's3', not {CHAT_STORAGE!r}.")
STORAGES = {
    "default": _default_storage,
    # Hashed names once collected (config/static.py).
    "staticfiles": {"BACKEND": "config.static.HashedWhenCollected"},
}

# Failed logins: after CHAT_LOGIN_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair can't log in for CHAT_LOGIN_LOCKOUT_MINUTES (429 and a
# page saying when to try again). The address is the client's as Daphne sees it
# (X-Forwarded-For only with CHAT_TRUST_PROXY_HEADERS).
AXES_FAILURE_LIMIT = env_int("CHAT_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CHAT_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
# Keep failures only (they expire with the cool-off), not a row for every login.
AXES_DISABLE_ACCESS_LOG = True

# Content-Security-Policy (django-csp): scripts and styles from this site only, no
# inline script or eval, WebSockets to this site, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The language switcher's choice, kept a year (Django's default: until the browser closes).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS only (directly or behind a proxy that sets X-Forwarded-Proto,
# with CHAT_TRUST_PROXY_HEADERS): redirect plain HTTP, send HSTS, secure cookies.
# The health and metrics endpoints stay reachable over HTTP for probes.
DJANGO_HTTPS = env_bool("DJANGO_HTTPS", False)
if DJANGO_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
if DJANGO_HTTPS or env_bool("DJANGO_SECURE_COOKIES", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

# Chat limits.
CHAT_MESSAGE_MAX_LENGTH = env_int("CHAT_MESSAGE_MAX_LENGTH", 4000, minimum=1)
# Largest attachment, in MiB (a larger upload is answered 413).
CHAT_UPLOAD_MAX_MB = env_int("CHAT_UPLOAD_MAX_MB", 10, minimum=1)
# Uploads a person may make a minute (half of them at once); an address, four times that.
CHAT_UPLOADS_PER_MINUTE = env_int("CHAT_UPLOADS_PER_MINUTE", 20, minimum=1)
# Uploads not sent with a message: at most this many MiB per person, removed after this
# many hours.
CHAT_UPLOAD_UNSENT_MAX_MB = env_int("CHAT_UPLOAD_UNSENT_MAX_MB", 50, minimum=1)
CHAT_UPLOAD_UNSENT_HOURS = env_int("CHAT_UPLOAD_UNSENT_HOURS", 24, minimum=1)
# Whether guests (no account) may upload files.
CHAT_GUEST_UPLOADS = env_bool("CHAT_GUEST_UPLOADS", True)
# A message's first http(s) link gets a preview of its page (previews.service).
CHAT_PREVIEWS = env_bool("CHAT_PREVIEWS", True)
# host:port pairs the server may fetch from though their addresses are loopback or
# private (an intranet; a test's local server): link previews are fetched from
# nowhere else inside.
CHAT_OUTBOUND_ALLOW_HOSTS = frozenset(
    (host.rstrip(".").lower(), port) for host, port in env_hosts("CHAT_OUTBOUND_ALLOW_HOSTS")
)
# Outgoing webhooks (integrations.outgoing): a failed delivery is tried again after this
# many seconds, doubling each time up to an hour, for 24 hours; each worker looks for
# deliveries due every CHAT_OUTGOING_POLL_SECONDS.
CHAT_OUTGOING_RETRY_SECONDS = env_float("CHAT_OUTGOING_RETRY_SECONDS", 10.0, minimum=0.1)
CHAT_OUTGOING_POLL_SECONDS = env_float("CHAT_OUTGOING_POLL_SECONDS", 1.0, minimum=0.1)
# @all, @room or @here in a room of more people than this asks "Notify all N people?"
# first (the frame's "confirm": true).
CHAT_BROADCAST_CONFIRM = env_int("CHAT_BROADCAST_CONFIRM", 20, minimum=0)
# Missed notifications are e-mailed to people who haven't read them after this long
# (seconds), looked for every CHAT_EMAIL_NOTIFY_EVERY seconds by each worker.
CHAT_EMAIL_NOTIFY_DELAY = env_int("CHAT_EMAIL_NOTIFY_DELAY", 600, minimum=1)
CHAT_EMAIL_NOTIFY_EVERY = env_int("CHAT_EMAIL_NOTIFY_EVERY", 60, minimum=1)
# Images of more pixels are kept as plain files (no preview); at most this many are
# decoded at once in a process.
CHAT_IMAGE_PIXELS_MAX = env_int("CHAT_IMAGE_PIXELS_MAX", 16_000_000, minimum=1_000_000)
CHAT_IMAGE_DECODES_MAX = env_int("CHAT_IMAGE_DECODES_MAX", 2, minimum=1)
# Largest request body elsewhere, in KiB: the server answers a larger one 413 before
# reading it (an upload's limit is CHAT_UPLOAD_MAX_MB and a form around the file).
CHAT_REQUEST_BODY_MAX_KB = env_int("CHAT_REQUEST_BODY_MAX_KB", 1024, minimum=64)
# Uploads stream to a temporary file past this size instead of being kept in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Minutes after sending that authors may edit a message (staff edit any, any time).
CHAT_EDIT_WINDOW_MINUTES = env_int("CHAT_EDIT_WINDOW_MINUTES", 15, minimum=0)
# Most messages sent for one `?after=` or `resume`; more sets "truncated" in `ready`.
CHAT_REPLAY_MAX = env_int("CHAT_REPLAY_MAX", 1000, minimum=1)
# Seconds a server process's presence entries outlive its last heartbeat (one every
# third of it): how long a crashed process's people still count as online.
CHAT_PRESENCE_TTL = env_float("CHAT_PRESENCE_TTL", 30.0, minimum=1.0)

# Flood control: messages per second and burst, per connection and per person
# (0 turns it off); open connections per person and per client IP (0: no cap).
# Private rooms others may add a person to (past it, only an invitation they accept).
CHAT_PRIVATE_ROOMS_PER_PERSON_MAX = env_int("CHAT_PRIVATE_ROOMS_PER_PERSON_MAX", 500, minimum=1)
CHAT_RATE_LIMIT = env_float("CHAT_RATE_LIMIT", 5.0)
# Multiplies the rates of chat.ratelimit.THROTTLES (sign-up, logins, searches...); 0 turns
# them off.
CHAT_THROTTLE_SCALE = env_float("CHAT_THROTTLE_SCALE", 1.0)
CHAT_RATE_BURST = env_int("CHAT_RATE_BURST", 10, minimum=1)
CHAT_MAX_CONNECTIONS_PER_PERSON = env_int("CHAT_MAX_CONNECTIONS_PER_PERSON", 20)
CHAT_MAX_CONNECTIONS_PER_IP = env_int("CHAT_MAX_CONNECTIONS_PER_IP", 200)
# Handshakes a server process sets up at once; more are refused at once with
# try_again_later and a time to come back (0: no limit).
CHAT_HANDSHAKES_MAX = env_int("CHAT_HANDSHAKES_MAX", 200, minimum=0)

# Behind a reverse proxy (nginx): take the client's address from X-Forwarded-For,
# so per-IP connection caps see people, not the proxy. Never on without a proxy.
CHAT_TRUST_PROXY_HEADERS = env_bool("CHAT_TRUST_PROXY_HEADERS", False)

# /readyz and /metrics: public unless one of these is set; then only requests with
# "Authorization: Bearer <CHAT_OPS_TOKEN>" or from CHAT_OPS_ALLOWED_NETWORKS (CIDRs).
CHAT_OPS_TOKEN = env_str("CHAT_OPS_TOKEN") or ""
try:
    CHAT_OPS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(item, strict=False)
        for item in env_list("CHAT_OPS_ALLOWED_NETWORKS", [])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"CHAT_OPS_ALLOWED_NETWORKS: {exc}") from None

# A WebSocket client that leaves this much unread is cut off (close code 4408)
# and resumes from history when it reconnects.
CHAT_SEND_BUFFER_MAX_BYTES = env_int("CHAT_SEND_BUFFER_MAX_BYTES", 4 * 1024 * 1024, minimum=1024)

# Web Push: the VAPID key pair that signs pushes, base64url as `invoke push.keys`
# prints it (public: the 65-byte uncompressed P-256 point; private: the 32-byte
# secret). Neither set: push is off. The subject is a contact for push services.
CHAT_VAPID_PUBLIC_KEY, CHAT_VAPID_PRIVATE_KEY = vapid_keys_read()
CHAT_VAPID_SUBJECT = env_str("CHAT_VAPID_SUBJECT") or "mailto:admin@localhost"
if not CHAT_VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(
        f"CHAT_VAPID_SUBJECT={CHAT_VAPID_SUBJECT!r} must be a mailto: or https:// URL."
    )
CHAT_PUSH_SUBSCRIPTIONS_MAX = env_int("CHAT_PUSH_SUBSCRIPTIONS_MAX", 10, minimum=1)
# Accept plain-http push endpoints and local hosts (tests with a local push service only).
CHAT_PUSH_ALLOW_HTTP_ENDPOINTS = env_bool("CHAT_PUSH_ALLOW_HTTP_ENDPOINTS", False)

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "chat:index"
LOGOUT_REDIRECT_URL = "chat:index"

# --- Who may join, and how they sign in (docs/deploy.md) ---------------------------------
# CHAT_SIGNUP: "invite" (only through an invitation to the organization), "domains"
# (an e-mail address at one of CHAT_SIGNUP_DOMAINS, confirmed by e-mail) or "open".
SIGNUP_MODES = ("invite", "domains", "open")
CHAT_SIGNUP = env_choice("CHAT_SIGNUP", "open" if DEBUG else "invite", SIGNUP_MODES)
CHAT_SIGNUP_DOMAINS = [domain.lower() for domain in env_list("CHAT_SIGNUP_DOMAINS", [])]
if CHAT_SIGNUP == "domains" and not CHAT_SIGNUP_DOMAINS:
    raise ImproperlyConfigured(
        "CHAT_SIGNUP=domains needs CHAT_SIGNUP_DOMAINS, the e-mail domains that may sign "
        "up (say CHAT_SIGNUP_DOMAINS=example.com,example.org)."
    )
# Visitors without an account reading and posting in public rooms as guests.
CHAT_GUESTS = env_bool("CHAT_GUESTS", DEBUG)

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = (
    ["email*", "username*", "password1*", "password2*"]
    if CHAT_SIGNUP == "domains"
    else ["username*", "email", "password1*", "password2*"]
)
ACCOUNT_EMAIL_VERIFICATION = "mandatory" if CHAT_SIGNUP == "domains" else "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = True
# A new account lands in the general room, with a welcome.
ACCOUNT_SIGNUP_REDIRECT_URL = "/chat/general/?welcome=1"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Chat] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if DJANGO_HTTPS else "http"
# The chat's own throttles (chat.ratelimit) and django-axes limit these requests.
ACCOUNT_RATE_LIMITS = False
# django-axes counts failed log-ins per username: the page's "login" field, or the
# admin's "username".
AXES_USERNAME_CALLABLE = "accounts.views.login_name"

# Single sign-on with an OpenID Connect provider: on when CHAT_OIDC_ISSUER is set.
CHAT_OIDC_ISSUER = env_str("CHAT_OIDC_ISSUER") or ""
CHAT_OIDC_NAME = env_str("CHAT_OIDC_NAME") or "SSO"
CHAT_OIDC_AUTO_SIGNUP = env_bool("CHAT_OIDC_AUTO_SIGNUP", False)
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
if CHAT_OIDC_ISSUER:
    if not CHAT_OIDC_ISSUER.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"CHAT_OIDC_ISSUER={CHAT_OIDC_ISSUER!r} must be the provider's https:// URL."
        )
    for _name in ("CHAT_OIDC_CLIENT_ID", "CHAT_OIDC_CLIENT_SECRET"):
        if not env_str(_name):
            raise ImproperlyConfigured(f"CHAT_OIDC_ISSUER is set: {_name} must be set too.")
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": "sso",
            "name": CHAT_OIDC_NAME,
            "client_id": env_str("CHAT_OIDC_CLIENT_ID"),
            "secret": env_str("CHAT_OIDC_CLIENT_SECRET"),
            "settings": {"server_url": CHAT_OIDC_ISSUER},
        }
    )
    # "Sign in with …" posts to the chat, which redirects the browser to the provider.
    _issuer = urlsplit(CHAT_OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_issuer.scheme}://{_issuer.netloc}"
    )
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # an SSO address never takes over an account
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False

# Second factors: TOTP with recovery codes, and passkeys. CHAT_REQUIRE_MFA: "off",
# "staff" (admins and owners) or "all" must set one up before using the chat.
CHAT_REQUIRE_MFA = env_choice("CHAT_REQUIRE_MFA", "off", ("off", "staff", "all"))
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env_str("CHAT_SITE_NAME") or "Chat"
# Passkeys over plain http (development, and tests on 127.0.0.1) only.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or env_bool("CHAT_WEBAUTHN_ALLOW_HTTP", False)

# E-mail (password reset, confirmation, invitations), with Django's names. In
# development without EMAIL_HOST, mail is printed on the console.
EMAIL_HOST = env_str("EMAIL_HOST") or ""
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL: set one of them, not both.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "chat@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The chat's address as people open it (links in e-mail sent without a request, such as
# what people missed): scheme and host, and a path prefix if any.
CHAT_SITE_URL = env_str("CHAT_SITE_URL") or "http://localhost:8000/"
if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", CHAT_SITE_URL):
    raise ImproperlyConfigured(
        f"CHAT_SITE_URL={CHAT_SITE_URL!r} must be the chat's address, such as "
        "https://chat.example.com/."
    )
CHAT_SITE_URL = CHAT_SITE_URL.rstrip("/") + "/"
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend"
)

LOG_FORMAT = env_str("DJANGO_LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT={LOG_FORMAT!r} must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "observability.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            # JSON lines in production; DJANGO_LOG_FORMAT=plain|json overrides.
            "formatter": LOG_FORMAT,
        }
    },
    "filters": {
        "without_traceback": {"()": "observability.logging.WithoutTraceback"},
        "secrets_redacted": {"()": "observability.logging.SecretsRedacted"},
    },
    "loggers": {
        # Every 4xx and 5xx answer, with its path: webhook and invitation secrets taken out.
        "django.request": {"filters": ["secrets_redacted"]},
        # A request for a host not in DJANGO_ALLOWED_HOSTS: answered 400, logged in one line.
        "django.security.DisallowedHost": {"filters": ["without_traceback"], "level": "WARNING"},
        # Not every link preview's request (the URLs people post): previews.service logs
        # what it refuses, without the query.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL") or "INFO"},
}
