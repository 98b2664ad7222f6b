"""Settings, resolved in one order by every front end (command line, Krita, GIMP):

    flags (or the dialog's choices) → environment variables → the config file → defaults.

A studio can preconfigure machines through the environment; a key typed into Krita's settings page lands in
the same config file the command line and GIMP read. The config file is written readable only by its owner
because it may hold API keys."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import ConfigError
from .models import Background, Complexity, OutputFormat, Quality
from .paths import config_path

#: The four real providers and the key variable each documents.
KEY_ENV = {
    "eachlabs": "EACHLABS_API_KEY",
    "openai": "OPENAI_API_KEY",
    # OpenAI through the Responses API in background mode: the same account and key as "openai"
    "openai-responses": "OPENAI_API_KEY",
    "replicate": "REPLICATE_API_TOKEN",
    "fal": "FAL_KEY",
}
#: A provider that reaches the same service as another: without its own key or base URL (in the environment
#: or the config file) it uses that one's, so the OpenAI key is typed once for both OpenAI routes.
SHARES_ACCOUNT = {"openai-responses": "openai"}
#: "sandbox" speaks each::labs' protocol to a local `python -m gptedit sandbox` (the offline default).
SANDBOX = "sandbox"
SANDBOX_BASE_URL = "http://127.0.0.1:8765/eachlabs"
PROVIDER_NAMES = (*KEY_ENV, SANDBOX)

_DEFAULTS = {
    "provider": SANDBOX,
    "quality": Quality.MEDIUM.value,
    "size": "auto",
    "n": 1,
    "output_format": OutputFormat.PNG.value,
    "background": Background.AUTO.value,
    "deadline": 900.0,
    "padding": 0.15,
    "max_send_side": 2048,
    "stream": True,
    "wait": 5,
}


@dataclass
class Settings:
    provider: str = SANDBOX
    model: str = ""
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    quality: Quality = Quality.MEDIUM
    size: str = "auto"
    n: int = 1
    output_format: OutputFormat = OutputFormat.PNG
    background: Background = Background.AUTO
    #: GPT Image 2.6's planning depth; None = the model's default. A saved preference is used only with
    #: models that have the setting; given as a flag or script argument it must fit the model
    complexity: Complexity | None = None
    #: give up waiting on one job after this many seconds (the job stays resumable)
    deadline: float = 900.0
    #: context around a selection, as a fraction of its longer side
    padding: float = 0.15
    #: downscale what is sent so its longest side is at most this
    max_send_side: int = 2048
    #: ask streaming providers for partial previews
    stream: bool = True
    #: seconds a provider may hold the create open to answer at once (Replicate's `Prefer: wait`); short, so
    #: a Cancel click is honoured quickly — the job is polled afterwards anyway
    wait: int = 5
    #: where each value came from ("flag", "env", "config", "default"), for `gptedit config` and the UIs
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def protocol(self) -> str:
        """The wire protocol to speak: the sandbox speaks each::labs'."""
        return "eachlabs" if self.provider == SANDBOX else self.provider

    @property
    def key_env(self) -> str:
        return KEY_ENV.get(self.protocol, "")


def load_config(path: Path | None = None) -> dict:
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The settings file {path} cannot be read ({exc}). Fix or delete it.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"The settings file {path} does not hold a JSON object. Fix or delete it.")
    _tighten_permissions(path)
    return data


def save_config(data: dict, path: Path | None = None) -> Path:
    """Write atomically, mode 0600 from the first byte (the file may hold API keys)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", dir=str(path.parent))
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def set_config_value(key: str, value, *, provider: str | None = None, path: Path | None = None) -> Path:
    """Set one value: a default (`quality`, `size`, …), `provider`, or with `provider` one of
    `api_key`, `base_url`, `model` for that provider. `None` removes it."""
    data = load_config(path)
    if provider:
        section = data.setdefault("providers", {}).setdefault(provider, {})
    elif key == "provider":
        section = data
    else:
        section = data.setdefault("defaults", {})
    if value is None:
        section.pop(key, None)
    else:
        section[key] = value
    return save_config(data, path)


def _tighten_permissions(path: Path) -> None:
    # A file copied by hand may be world-readable; keys must not be. POSIX only: Windows profiles are per-user.
    if os.name != "posix":
        return
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, 0o600)
    except OSError:
        pass


def resolve(
    flags: dict | None = None,
    *,
    env: dict | None = None,
    config: dict | None = None,
) -> Settings:
    """Merge flags → environment → config file → defaults. `flags` values of None mean "not given"."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None and v != ""}
    env = os.environ if env is None else env
    config = load_config() if config is None else config
    defaults_cfg = config.get("defaults") or {}
    sources: dict[str, str] = {}

    def pick(name: str, env_name: str | None, cfg: dict, default):
        if name in flags:
            sources[name] = "flag"
            return flags[name]
        if env_name and env.get(env_name):
            sources[name] = "env"
            return env[env_name]
        if cfg.get(name) not in (None, ""):
            sources[name] = "config"
            return cfg[name]
        sources[name] = "default"
        return default

    provider = str(pick("provider", "GPTEDIT_PROVIDER", config, _DEFAULTS["provider"])).strip().lower()
    if provider not in PROVIDER_NAMES:
        raise ConfigError(f"Unknown provider {provider!r}; choose one of {', '.join(PROVIDER_NAMES)}.")
    pcfg = (config.get("providers") or {}).get(provider) or {}
    key_env = KEY_ENV.get(provider)

    s = Settings(provider=provider)
    s.model = str(pick("model", "GPTEDIT_MODEL", pcfg, ""))
    s.base_url = str(pick("base_url", base_url_env(provider), pcfg, ""))
    s.api_key = str(pick("api_key", key_env, pcfg, "sandbox" if provider == SANDBOX else ""))
    shared = SHARES_ACCOUNT.get(provider)
    if shared:
        scfg = (config.get("providers") or {}).get(shared) or {}
        if sources["base_url"] == "default":
            s.base_url = str(pick("base_url", base_url_env(shared), scfg, ""))
        if sources["api_key"] == "default":
            s.api_key = str(pick("api_key", None, scfg, ""))
    s.quality = _enum(Quality, pick("quality", "GPTEDIT_QUALITY", defaults_cfg, _DEFAULTS["quality"]), "quality")
    s.size = str(pick("size", "GPTEDIT_SIZE", defaults_cfg, _DEFAULTS["size"]))
    s.n = _int(pick("n", "GPTEDIT_N", defaults_cfg, _DEFAULTS["n"]), "n")
    s.output_format = _enum(
        OutputFormat, pick("output_format", "GPTEDIT_OUTPUT_FORMAT", defaults_cfg, _DEFAULTS["output_format"]),
        "output format",
    )
    s.background = _enum(
        Background, pick("background", "GPTEDIT_BACKGROUND", defaults_cfg, _DEFAULTS["background"]), "background"
    )
    complexity = str(pick("complexity", "GPTEDIT_COMPLEXITY", defaults_cfg, "") or "").strip().lower()
    s.complexity = None if complexity in ("", "default", "auto") else _enum(Complexity, complexity, "complexity")
    s.deadline = float(pick("deadline", "GPTEDIT_DEADLINE", defaults_cfg, _DEFAULTS["deadline"]))
    s.padding = float(pick("padding", None, defaults_cfg, _DEFAULTS["padding"]))
    s.max_send_side = _int(pick("max_send_side", None, defaults_cfg, _DEFAULTS["max_send_side"]), "max_send_side")
    s.stream = _bool(pick("stream", "GPTEDIT_STREAM", defaults_cfg, _DEFAULTS["stream"]))
    s.wait = _int(pick("wait", None, defaults_cfg, _DEFAULTS["wait"]), "wait")
    # the user's models.json joins the catalog here, the one door every front end goes through
    from .user_catalog import apply as apply_user_catalog  # late: keeps settings importable alone

    apply_user_catalog()
    if not s.base_url:
        from .catalog import PROVIDERS

        s.base_url = SANDBOX_BASE_URL if provider == SANDBOX else PROVIDERS[provider].default_base_url
    if not s.model:
        from .catalog import PROVIDERS

        s.model = PROVIDERS[s.protocol].default_model
    s.sources = sources
    return s


def base_url_env(provider: str) -> str:
    """`GPTEDIT_<PROVIDER>_BASE_URL`, spelt as a shell allows (openai-responses → OPENAI_RESPONSES)."""
    return f"GPTEDIT_{provider.upper().replace('-', '_')}_BASE_URL"


def require_key(s: Settings) -> str:
    if not s.api_key:
        raise ConfigError(
            f"No API key for {s.provider}. Set {s.key_env} in the environment, or save one with "
            f"`python -m gptedit config set api_key --provider {s.provider}` (or in the plugin's settings)."
        )
    return s.api_key


def _enum(kind, value, what: str):
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise ConfigError(f"{value!r} is not a valid {what}; choose one of {choices}.") from None


def _int(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a whole number, not {value!r}.") from None


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def public_view(s: Settings) -> dict:
    """Settings for display: the key masked, never printed."""
    out = {}
    for f in fields(s):
        if f.name == "sources":
            continue
        v = getattr(s, f.name)
        if f.name == "api_key":
            v = mask_key(v)
        out[f.name] = v.value if hasattr(v, "value") else v
    return out


def mask_key(key: str) -> str:
    if not key:
        return "(not set)"
    return ("…" + key[-4:]) if len(key) > 8 else "****"
