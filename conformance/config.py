"""Where settings come from: flags > environment > defaults, resolved once into a frozen Config."""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LIST_ID = re.compile(r"lst_[A-Za-z0-9_]+")


class ConfigError(Exception):
    """Bad user input; the message is one line meant for the user."""


@dataclass(frozen=True)
class Profile:
    name: str
    phone_regions: int  # how many regions' example numbers must be accepted (0 = every region)
    examples: int  # hypothesis / schemathesis examples per property
    stateful_steps: int
    parallel_creates: int
    request_budget: int
    walk_contacts: int  # contacts the pagination walk creates in the run's list
    model_contacts: int  # contacts the model-based test creates in its first phase
    checks_state: bool = True  # False: judge each response alone, for targets that keep nothing (stateless mocks)


PROFILES = {
    "quick": Profile("quick", phone_regions=6, examples=8, stateful_steps=0, parallel_creates=8,
                     request_budget=1500, walk_contacts=5, model_contacts=6),
    "default": Profile("default", phone_regions=20, examples=20, stateful_steps=0, parallel_creates=16,
                       request_budget=2500, walk_contacts=7, model_contacts=12),
    "thorough": Profile("thorough", phone_regions=0, examples=100, stateful_steps=50, parallel_creates=32,
                        request_budget=25000, walk_contacts=23, model_contacts=40),
    "contract": Profile("contract", phone_regions=20, examples=20, stateful_steps=0, parallel_creates=2,
                        request_budget=2500, walk_contacts=4, model_contacts=6, checks_state=False),
}


@dataclass(frozen=True)
class Config:
    base_url: str
    api_key: str = field(repr=False)
    profile: Profile
    seed: int
    run_tag: str
    list_ids: tuple[str, ...] = ()
    allow_writes: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_rate_limit_wait: float = 60.0
    request_budget: int = 0  # 0: the profile's budget
    concurrency: int = 8  # requests in flight at most
    settle: float = 3.0  # seconds a list may take to show a create or delete (the docs promise no read-after-write)
    require_complete: bool = False  # a PARTIAL verdict (rules the settings kept from being judged) exits 1
    step_summary: str = ""  # a CI job summary file the Markdown summary is appended to (GitHub's $GITHUB_STEP_SUMMARY)

    @property
    def budget(self) -> int:
        return self.request_budget or self.profile.request_budget

    def run_list(self, purpose: str) -> str:
        """A list the run's own contacts join, one per purpose so walks are scoped to exactly the contacts of
        one case; with --list-ids, the user's list (which may hold other contacts too)."""
        return self.list_ids[0] if self.list_ids else f"lst_zxconf_{self.run_tag}_{purpose}"


def new_run_tag() -> str:
    return secrets.token_hex(4)


def is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--base-url must be an http(s) URL such as https://api.zexa.ao/v1, not {raw!r}")
    try:
        parts.port
    except ValueError:
        raise ConfigError(f"--base-url has an invalid port: {raw!r}") from None
    return raw.strip().rstrip("/")


def _flag_or_env(value: object, env: dict, name: str) -> object:
    return value if value not in (None, "") else env.get(name)


def resolve(*, base_url: str | None, api_key: str | None, profile: str | None = None, seed: int | str | None = None,
            list_ids: str | None = None, allow_writes: bool | None = None, run_tag: str | None = None,
            concurrency: int | str | None = None, settle: float | str | None = None,
            require_complete: bool | None = None, env: dict | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    url = _flag_or_env(base_url, env, "ZEXA_BASE_URL")
    if not url:
        raise ConfigError("no target: pass --base-url URL (or set ZEXA_BASE_URL)")
    url = _base_url(str(url))
    key = str(_flag_or_env(api_key, env, "ZEXA_API_KEY") or "").strip()
    if not key:
        raise ConfigError("no API key: set ZEXA_API_KEY or pass --api-key")
    name = str(_flag_or_env(profile, env, "ZEXA_PROFILE") or "default")
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    raw_seed = _flag_or_env(seed, env, "ZEXA_SEED")
    try:
        resolved_seed = int(raw_seed) if raw_seed not in (None, "") else secrets.randbelow(2**31)
    except ValueError:
        raise ConfigError(f"--seed must be a whole number, not {raw_seed!r}") from None
    ids = tuple(i.strip() for i in str(_flag_or_env(list_ids, env, "ZEXA_LIST_IDS") or "").split(",") if i.strip())
    bad = [i for i in ids if not LIST_ID.fullmatch(i)]
    if bad:
        raise ConfigError(f"--list-ids takes lst_ ids separated by commas; not a list id: {', '.join(bad)}")
    timeout = _seconds(env.get("ZEXA_READ_TIMEOUT"), "ZEXA_READ_TIMEOUT", 15.0)
    max_wait = _seconds(env.get("ZEXA_MAX_RATE_LIMIT_WAIT"), "ZEXA_MAX_RATE_LIMIT_WAIT", 60.0)
    budget = env.get("ZEXA_REQUEST_BUDGET", "").strip()
    if budget and not budget.isdigit():
        raise ConfigError(f"ZEXA_REQUEST_BUDGET must be a whole number of requests, not {budget!r}")
    writes_env = env.get("ZEXA_ALLOW_WRITES", "").strip().lower()
    if writes_env in ("0", "false", "no"):  # an explicit no holds even on loopback (a read-only rehearsal)
        writes = bool(allow_writes)
    else:
        writes = bool(allow_writes) or writes_env in ("1", "true", "yes") or is_loopback(url)
    raw_concurrency = str(_flag_or_env(concurrency, env, "ZEXA_CONCURRENCY") or "8").strip()
    if not raw_concurrency.isdigit() or not 1 <= int(raw_concurrency) <= 64:
        raise ConfigError(f"--concurrency must be a whole number from 1 to 64, not {raw_concurrency!r}")
    raw_settle = _flag_or_env(settle, env, "ZEXA_SETTLE")
    # a profile that judges no claim needing state has nothing to wait for
    default_settle = 3.0 if PROFILES[name].checks_state else 0.0
    settle_s = default_settle if raw_settle in (None, "") else _seconds(raw_settle, "--settle", 3.0, allow_zero=True)
    complete_env = env.get("ZEXA_REQUIRE_COMPLETE", "").strip().lower()
    if complete_env not in ("", "0", "1", "false", "true", "no", "yes"):
        raise ConfigError(f"ZEXA_REQUIRE_COMPLETE must be 1 or 0, not {complete_env!r}")
    complete = bool(require_complete) or complete_env in ("1", "true", "yes")
    return Config(base_url=url, api_key=key, profile=PROFILES[name], seed=resolved_seed,
                  run_tag=run_tag or new_run_tag(), list_ids=ids, allow_writes=writes,
                  read_timeout=timeout, max_rate_limit_wait=max_wait, request_budget=int(budget or 0),
                  concurrency=int(raw_concurrency), settle=settle_s, require_complete=complete,
                  step_summary=env.get("GITHUB_STEP_SUMMARY", "").strip())


def _seconds(value: object, name: str, default: float, allow_zero: bool = False) -> float:
    try:
        seconds = float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds < 0 or (seconds == 0 and not allow_zero) or seconds != seconds or seconds > 3600:
        raise ConfigError(f"{name} must be a {'' if allow_zero else 'positive '}number of seconds, not {value!r}")
    return seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
