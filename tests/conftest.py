"""What every test shares.

- Every test gets its own data folder and config file, and none of the caller's provider settings or keys:
  a test must never read a developer's real keys or write into their ledger.
- `sandbox_server` / `sandbox`: the local imitation of all four providers on 127.0.0.1, one per test module,
  reset (no jobs, default configuration, no faults) for each test that asks for `sandbox`. The real-host
  tests reach it from inside their chroots, which share loopback with the machine.
- `sandbox_env`: the environment variables that point providers at that sandbox, with placeholder keys.
- `krita_zip` / `gimp_zip`: the plugin zips a user installs, as `build.py test` built them
  (GPTEDIT_KRITA_ZIP / GPTEDIT_GIMP_ZIP), or built once now with `build.py dist` (never the source tree).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gptedit.catalog import PROVIDERS
from gptedit.settings import base_url_env

ROOT = Path(__file__).resolve().parent.parent
KEY_ENVS = {name: info.key_env for name, info in PROVIDERS.items()}
#: the day the tests describe: the clock for model shutdowns is pinned so a test run gives the same
#: answers on any date (GPTEDIT_TODAY on the client, the sandbox's `today` switch); tests about shutdowns
#: set their own
TESTS_TODAY = "2026-11-29"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("gptedit-home")
    monkeypatch.setenv("GPTEDIT_HOME", str(home))
    monkeypatch.delenv("GPTEDIT_CONFIG", raising=False)
    for name in list(os.environ):
        if name.startswith("GPTEDIT_") and name not in (
            "GPTEDIT_HOME",
            "GPTEDIT_REQUIRE_HOSTS",
            "GPTEDIT_KRITA_ZIP",
            "GPTEDIT_GIMP_ZIP",
            "GPTEDIT_HOSTS_ROOT",
        ):
            monkeypatch.delenv(name, raising=False)
    for name in KEY_ENVS.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GPTEDIT_TODAY", TESTS_TODAY)
    return home


@pytest.fixture(scope="module")
def sandbox_server():
    from gptedit.sandbox import Sandbox

    with Sandbox(port=0, host="127.0.0.1") as sb:
        yield sb


@pytest.fixture
def sandbox(sandbox_server):
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture(scope="module")
def sandbox_env(sandbox_server):
    """`sandbox_env(provider="eachlabs", providers=every provider)`: base URL and a placeholder key for each
    of `providers`, all pointing at the sandbox, with `provider` as the default."""

    def env(provider: str = "eachlabs", providers=tuple(KEY_ENVS)) -> dict[str, str]:
        out = {"GPTEDIT_PROVIDER": provider}
        for name in providers:
            out[base_url_env(name)] = sandbox_server.base_urls[name]
            out[KEY_ENVS[name]] = "test"
        return out

    return env


@pytest.fixture(scope="session")
def dist_zips(tmp_path_factory) -> dict[str, Path]:
    given = {"krita": os.environ.get("GPTEDIT_KRITA_ZIP"), "gimp": os.environ.get("GPTEDIT_GIMP_ZIP")}
    if all(given.values()):
        return {host: Path(path) for host, path in given.items()}
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "dist", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"build.py dist failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}", pytrace=False)
    zips = {host: sorted(out.glob(f"gptedit-{host}-*.zip")) for host in ("krita", "gimp")}
    assert all(zips.values()), f"build.py dist did not write both zips into {out}"
    return {host: Path(given[host]) if given[host] else found[0] for host, found in zips.items()}


@pytest.fixture(scope="session")
def krita_zip(dist_zips) -> Path:
    return dist_zips["krita"]


@pytest.fixture(scope="session")
def gimp_zip(dist_zips) -> Path:
    return dist_zips["gimp"]
