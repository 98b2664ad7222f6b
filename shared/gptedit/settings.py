"""Settings, resolved in one order by every front end (command line, Krita, GIMP):

    flags (or the dialog's choices) → environment variables → the config file → defaults.

A studio can preconfigure machines through the environment; a key typed into Krita's settings page lands in
the same config file the command line and GIMP read. The config file is written readable only by its owner
because it may hold API keys.

Every setting is declared once, in `FIELDS`: its type, default, environment variable, where the config file
keeps it, its command-line flag and which host settings pages show it. Resolution, `config set` / `config
show`, the command line's flags, Krita's settings page and GIMP's settings procedure all read that table."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import PROVIDERS, RESPONSES_TEXT_MODEL
from .errors import BadInput, ConfigError
from .models import Background, Complexity, OutputFormat, Quality
from .paths import config_path

#: The real providers and the key variable each documents (the catalog's; OpenAI's Responses route uses the
#: same account and key as "openai").
KEY_ENV = {name: info.key_env for name, info in PROVIDERS.items()}
#: A provider that reaches the same service as another: without its own key or base URL (in the environment
#: or the config file) it uses that one's, so the OpenAI key is typed once for both OpenAI routes.
SHARES_ACCOUNT = {"openai-responses": "openai"}
#: "sandbox" speaks each::labs' protocol to a local `python -m gptedit sandbox` (the offline default).
SANDBOX = "sandbox"
SANDBOX_BASE_URL = "http://127.0.0.1:8765/eachlabs"
PROVIDER_NAMES = (*KEY_ENV, SANDBOX)

#: where the config file keeps a setting: at the top, under "defaults", or under "providers" → the provider
TOP, DEFAULTS, PER_PROVIDER = "top", "defaults", "provider"
#: the host settings pages a field can show on
KRITA_PAGE, GIMP_PAGE = "krita", "gimp"


def _enum(kind, what: str) -> Callable[[object], object]:
    def parse(value):
        try:
            return kind(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(m.value for m in kind)
            raise ConfigError(f"{value!r} is not a valid {what}; choose one of {choices}.") from None

    return parse


def _int(what: str) -> Callable[[object], int]:
    def parse(value) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{what} must be a whole number, not {value!r}.") from None

    return parse


def _float(what: str) -> Callable[[object], float]:
    def parse(value) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{what} must be a number, not {value!r}.") from None

    return parse


def _optional_enum(kind, what: str) -> Callable[[object], object]:
    """Like `_enum`, with "", "default" or "auto" meaning None (the model's own default, never sent)."""
    parse_enum = _enum(kind, what)

    def parse(value):
        text = str(value or "").strip().lower()
        return None if text in ("", "default", "auto") else parse_enum(text)

    return parse


#: what a settings page offers for a switch: the texts `_bool` reads (and `str()` of a saved true/false)
_ON_OFF = ("True", "False")


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _text(value) -> str:
    return str(value)


#: the start of the model ids that make images (they go in the Responses image tool, never in `model`)
_IMAGE_MODEL_PREFIXES = ("gpt-image", "chatgpt-image", "dall-e")


def _text_model(value) -> str:
    """The Responses route's text model: one model id, and not an image model (the API refuses those in
    `model`; the image model is the tool's)."""
    text = str(value or "").strip()
    if not text or any(c.isspace() for c in text):
        raise ConfigError(
            f"{value!r} is not a model id; the text model that calls the image tool is one word, e.g. "
            f"{RESPONSES_TEXT_MODEL} (the default)."
        )
    if text.lower().startswith(_IMAGE_MODEL_PREFIXES):
        raise ConfigError(
            f"{text} makes images; the text model setting wants a text model that calls the image tool, e.g. "
            f"{RESPONSES_TEXT_MODEL} (the image model is the model setting)."
        )
    return text


@dataclass(frozen=True)
class Field:
    """One setting, declared once."""

    name: str
    #: what people read next to it (settings pages, `config show --help`)
    label: str
    #: text or JSON value → the typed value; raises ConfigError with words for people
    parse: Callable[[object], object]
    #: the default as text or JSON (what the config file would hold); "" for per-provider fields, which the
    #: catalog fills in (base URL, model) or leave empty (the key)
    default: object
    #: the GPTEDIT_* variable, "" for none; the per-provider key and base URL variables come from `env_for`
    env: str = ""
    section: str = DEFAULTS
    #: the command line's flag spellings, space-separated ("" = none; a "--no-" flag switches a default
    #: that is on off). Given per edit, a flag wins over everything else.
    flag: str = ""
    help: str = ""
    #: the values it takes, for choice widgets ("" = free text)
    choices: tuple[str, ...] = ()
    #: host settings pages that show it
    pages: tuple[str, ...] = ()
    #: the smallest and largest value a settings page offers (numbers only)
    limits: tuple[int, int] | None = None
    #: a per-edit option (a script may pass it to an edit; the dialogs/docker may choose it)
    per_edit: bool = True
    secret: bool = False

    def env_for(self, provider: str) -> str:
        """The environment variable for this field when `provider` is chosen ("" = none)."""
        if self.name == "api_key":
            return KEY_ENV.get(provider, "")
        if self.name == "base_url":
            return base_url_env(provider)
        return self.env


FIELDS: tuple[Field, ...] = (
    Field(
        "provider",
        "Provider",
        _text,
        SANDBOX,
        env="GPTEDIT_PROVIDER",
        section=TOP,
        flag="--provider",
        choices=PROVIDER_NAMES,
        help="default: $GPTEDIT_PROVIDER, config, then sandbox",
        pages=(KRITA_PAGE, GIMP_PAGE),
    ),
    Field(
        "model",
        "Model",
        _text,
        "",
        env="GPTEDIT_MODEL",
        section=PER_PROVIDER,
        flag="--model",
        help="model id, e.g. gpt-image-2 (OpenAI) or gpt-image-v2-edit (each::labs)",
        pages=(GIMP_PAGE,),
    ),
    Field(
        "base_url",
        "Base URL",
        _text,
        "",
        section=PER_PROVIDER,
        flag="--base-url",
        help="API base URL (gateways, proxies, a sandbox)",
        pages=(KRITA_PAGE, GIMP_PAGE),
    ),
    Field(
        "api_key",
        "API key",
        _text,
        "",
        section=PER_PROVIDER,
        pages=(KRITA_PAGE, GIMP_PAGE),
        per_edit=False,
        secret=True,
    ),
    Field(
        "quality",
        "Quality",
        _enum(Quality, "quality"),
        Quality.MEDIUM.value,
        env="GPTEDIT_QUALITY",
        flag="--quality",
        choices=tuple(q.value for q in Quality),
        pages=(KRITA_PAGE, GIMP_PAGE),
        help="xhigh and max: GPT Image 2.5 and 2.6 only (`gptedit models` lists each model's tiers)",
    ),
    Field(
        "complexity",
        "Complexity",
        _optional_enum(Complexity, "complexity"),
        "",
        env="GPTEDIT_COMPLEXITY",
        flag="--complexity",
        choices=tuple(c.value for c in Complexity),
        help="how much GPT Image 2.6 plans before drawing (default: the model's, high)",
    ),
    Field(
        "size",
        "Size",
        _text,
        "auto",
        env="GPTEDIT_SIZE",
        flag="--size",
        help="WIDTHxHEIGHT or auto (gpt-image-2: any valid custom size)",
        pages=(GIMP_PAGE,),
    ),
    Field(
        "n",
        "Variations",
        _int("n"),
        1,
        env="GPTEDIT_N",
        flag="-n --variations",
        help="number of variations (outputs are numbered)",
    ),
    Field(
        "output_format",
        "Output format",
        _enum(OutputFormat, "output format"),
        OutputFormat.PNG.value,
        env="GPTEDIT_OUTPUT_FORMAT",
        flag="--format",
        choices=tuple(f.value for f in OutputFormat),
        pages=(KRITA_PAGE,),
    ),
    Field(
        "background",
        "Background",
        _enum(Background, "background"),
        Background.AUTO.value,
        env="GPTEDIT_BACKGROUND",
        flag="--background",
        choices=tuple(b.value for b in Background),
    ),
    Field(
        "deadline",
        "Give up after (s)",
        _float("deadline"),
        900.0,
        env="GPTEDIT_DEADLINE",
        flag="--deadline",
        help="seconds to wait for one job before giving up (resumable)",
    ),
    Field(
        "padding",
        "Context around the selection",
        _float("padding"),
        0.15,
        help="fraction of the selection's longer side; 0 = just the selection",
    ),
    Field(
        "max_send_side",
        "Largest side sent",
        _int("max_send_side"),
        2048,
        pages=(KRITA_PAGE,),
        limits=(256, 8192),
        help="pixels; bigger regions are downscaled for sending",
    ),
    Field(
        "stream",
        "Stream previews",
        _bool,
        True,
        env="GPTEDIT_STREAM",
        flag="--no-stream",
        help="do not ask streaming providers for partial previews",
    ),
    # short, so a Cancel click is honoured quickly — the job is polled afterwards anyway
    Field(
        "wait",
        "Hold the create open (s)",
        _int("wait"),
        5,
        per_edit=False,
        help="seconds a provider may hold the create open to answer at once (Replicate's Prefer: wait)",
    ),
    Field(
        "text_model",
        "Text model (OpenAI Responses)",
        _text_model,
        RESPONSES_TEXT_MODEL,
        env="GPTEDIT_TEXT_MODEL",
        flag="--text-model",
        help="openai-responses only: the text model that reads the prompt and calls the image tool",
        pages=(KRITA_PAGE, GIMP_PAGE),
        per_edit=False,
    ),
    # the seam correction (gptedit.seam): each step on by default; the command line's `edit` has its own
    # --no-align/--no-colour/--no-blend/--no-sharpen/--feather, since only an edit with a mask has a seam
    Field(
        "seam_align",
        "Line the answer up",
        _bool,
        True,
        env="GPTEDIT_SEAM_ALIGN",
        choices=_ON_OFF,
        help="move the answer so it lines up with the picture outside the selection",
        pages=(KRITA_PAGE, GIMP_PAGE),
    ),
    Field(
        "seam_colour",
        "Match colours",
        _bool,
        True,
        env="GPTEDIT_SEAM_COLOUR",
        choices=_ON_OFF,
        help="match the answer's colours to the picture outside the selection",
        pages=(KRITA_PAGE, GIMP_PAGE),
    ),
    Field(
        "seam_blend",
        "Soft edge",
        _bool,
        True,
        env="GPTEDIT_SEAM_BLEND",
        choices=_ON_OFF,
        help="fade the answer in just inside the selection's edge",
        pages=(KRITA_PAGE, GIMP_PAGE),
    ),
    Field(
        "seam_sharpen",
        "Restore sharpness",
        _bool,
        True,
        env="GPTEDIT_SEAM_SHARPEN",
        choices=_ON_OFF,
        help="sharpen the answer back where it came softer than the picture outside the selection",
        pages=(KRITA_PAGE, GIMP_PAGE),
    ),
    Field(
        "seam_feather",
        "Soft edge width (%)",
        _float("seam_feather"),
        2.0,
        env="GPTEDIT_SEAM_FEATHER",
        help="the soft edge's width in percent of the edited region's longer side",
        pages=(KRITA_PAGE, GIMP_PAGE),
    ),
)
FIELD: dict[str, Field] = {f.name: f for f in FIELDS}


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
    #: the text model that calls the image tool on the Responses route (openai-responses only)
    text_model: str = RESPONSES_TEXT_MODEL
    #: the seam correction's steps (gptedit.seam.correct.SeamOptions)
    seam_align: bool = True
    seam_colour: bool = True
    seam_blend: bool = True
    seam_sharpen: bool = True
    #: the soft edge's width, percent of the edited region's longer side
    seam_feather: float = 2.0
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
    """Set one value where `FIELDS` says the config file keeps it: `provider` at the top, a default
    (`quality`, `size`, …) under "defaults", and with `provider` a per-provider one (`api_key`, `base_url`,
    `model`). `None` removes it. Unknown names and a per-provider name without a provider are refused."""
    f = FIELD.get(key)
    if f is None:
        raise BadInput(f"There is no setting {key!r}; the settings are {', '.join(FIELD)}.")
    if f.section == PER_PROVIDER and not provider:
        raise BadInput(f"{key} belongs to one provider: add --provider NAME.")
    if value is not None and key != "provider":
        f.parse(value)  # refuse a value resolve would refuse, before it is saved
    data = load_config(path)
    if f.section == PER_PROVIDER:
        section = data.setdefault("providers", {}).setdefault(provider, {})
    elif f.section == TOP:
        section = data
    else:
        section = data.setdefault("defaults", {})
    if value is None:
        section.pop(key, None)
    else:
        section[key] = value
    return save_config(data, path)


def _tighten_permissions(path: Path) -> None:
    # A file copied by hand may be world-readable; keys must not be.
    # POSIX only: Windows profiles are per-user.
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

    provider = str(pick("provider", FIELD["provider"].env, config, FIELD["provider"].default)).strip().lower()
    if provider not in PROVIDER_NAMES:
        raise ConfigError(f"Unknown provider {provider!r}; choose one of {', '.join(PROVIDER_NAMES)}.")
    pcfg = (config.get("providers") or {}).get(provider) or {}

    s = Settings(provider=provider)
    for f in FIELDS[1:]:
        cfg = pcfg if f.section == PER_PROVIDER else defaults_cfg
        default = "sandbox" if f.name == "api_key" and provider == SANDBOX else f.default
        setattr(s, f.name, f.parse(pick(f.name, f.env_for(provider), cfg, default)))
    shared = SHARES_ACCOUNT.get(provider)
    if shared:
        scfg = (config.get("providers") or {}).get(shared) or {}
        if sources["base_url"] == "default":
            s.base_url = str(pick("base_url", base_url_env(shared), scfg, ""))
        if sources["api_key"] == "default":
            s.api_key = str(pick("api_key", None, scfg, ""))
    # the user's models.json joins the catalog here, the one door every front end goes through
    from .user_catalog import apply as apply_user_catalog  # late: keeps settings importable alone

    apply_user_catalog()
    if not s.base_url:
        s.base_url = SANDBOX_BASE_URL if provider == SANDBOX else PROVIDERS[provider].default_base_url
    if not s.model:
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


def page_fields(page: str) -> tuple[Field, ...]:
    """The fields a host settings page shows, in table order; per-provider ones are shown per provider."""
    return tuple(f for f in FIELDS if page in f.pages)


def public_view(s: Settings) -> dict:
    """Settings for display, in `FIELDS` order: secrets masked, never printed."""
    out = {}
    for f in FIELDS:
        v = getattr(s, f.name)
        if f.secret:
            v = mask_key(v)
        out[f.name] = v.value if hasattr(v, "value") else v
    return out


def mask_key(key: str) -> str:
    if not key:
        return "(not set)"
    return ("…" + key[-4:]) if len(key) > 8 else "****"
