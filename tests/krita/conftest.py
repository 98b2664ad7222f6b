"""Fixtures for the Krita plugin's real-host tests: the BUILT zip, a sandbox on 127.0.0.1 outside the
chroot (loopback is shared with it), and a helper that installs the zip into a throwaway profile through
the importer's code path and runs one scenario file from scenarios/ inside real Krita."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
KEY_ENVS = {"eachlabs": "EACHLABS_API_KEY", "openai": "OPENAI_API_KEY", "replicate": "REPLICATE_API_TOKEN",
            "fal": "FAL_KEY"}
if str(ROOT / "tests" / "hosts") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "hosts"))


from hostenv_fixtures import krita_host, mark_host_tests  # noqa: E402,F401  (the shared real-host fixture)


def pytest_collection_modifyitems(config, items):
    mark_host_tests(items)


@pytest.fixture(scope="session")
def krita_zip(tmp_path_factory) -> Path:
    """The zip `build.py test` exported, or one built now with `build.py dist` (never the source tree)."""
    given = os.environ.get("GPTEDIT_KRITA_ZIP")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "dist", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"build.py dist failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return next(out.glob("gptedit-krita-*.zip"))


@pytest.fixture
def sandbox():
    from gptedit.sandbox import Sandbox

    sb = Sandbox(port=0, host="127.0.0.1")
    sb.start()
    # answers at the sent picture's size: these tests check Krita's placement pixel for pixel, and a
    # fixed-size answer (each::labs, Replicate) would be resampled on the way (tests/conformance covers that)
    sb.configure(answer_size="input")
    try:
        yield sb
    finally:
        sb.stop()


class KritaRunner:
    """Install the built zip into `profile` and run scenarios against the sandbox."""

    def __init__(self, host, zip_path: Path, tmp_path: Path, sandbox=None):
        self.host = host
        self.zip = zip_path
        self.tmp = tmp_path
        self.profile = tmp_path / "profile"
        self.home = tmp_path / "gptedit-home"
        self.home.mkdir(exist_ok=True)
        self.artifacts = tmp_path / "artifacts"
        self.artifacts.mkdir(exist_ok=True)
        self.sandbox = sandbox
        names = host.install(zip_path, self.profile)
        assert names == ["gptedit_krita"], names

    def env(self, provider: str = "eachlabs", **extra) -> dict:
        """Every provider pointed at the sandbox (the docker may switch), `provider` the default."""
        env = {"GPTEDIT_HOME": str(self.home)}
        if self.sandbox is not None:
            env["GPTEDIT_PROVIDER"] = provider
            for name, key_env in KEY_ENVS.items():
                env[f"GPTEDIT_{name.upper()}_BASE_URL"] = self.sandbox.base_urls[name]
                env[key_env] = "test"
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def params(self, params: dict | None) -> dict:
        out = dict(params or {}, artifacts=str(self.artifacts), home=str(self.home))
        if self.sandbox is not None:
            out["sandbox_api"] = self.sandbox.api_url
        return out

    def run(self, scenario: str, params: dict | None = None, timeout: float = 120, env: dict | None = None,
            **kw) -> dict:
        params = self.params(params)
        report = self.host.run(self.profile, SCENARIOS / scenario, timeout=timeout,
                               env=env if env is not None else self.env(), binds=[self.home, self.artifacts],
                               params=params, **kw)
        return report["data"]

    def start(self, scenario: str, params: dict | None = None, timeout: float = 120, env: dict | None = None):
        params = self.params(params)
        return self.host.start(self.profile, SCENARIOS / scenario, timeout=timeout,
                               env=env if env is not None else self.env(), binds=[self.home, self.artifacts],
                               params=params)


@pytest.fixture
def krita(krita_host, krita_zip, tmp_path, sandbox) -> KritaRunner:  # noqa: F811 (pytest fixture argument)
    return KritaRunner(krita_host, krita_zip, tmp_path, sandbox)
