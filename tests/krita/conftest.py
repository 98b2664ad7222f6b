"""Fixtures for the Krita plugin's real-host tests.

A scenario (scenarios/*.py) runs inside real Krita with the BUILT zip installed through the importer's code
path, against the module's sandbox on 127.0.0.1 (loopback is shared with the chroot), and reports what it
saw. Starting Krita costs 5-15 s, so `krita_once(name, flow)` runs a flow once per Krita version and hands
the same result to every test that checks one behaviour of it; a flow that failed fails each of them with
the same error instead of running again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.hosts.hostenv_fixtures import krita_host, mark_host_tests  # noqa: F401  (the shared real-host fixture)

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def pytest_collection_modifyitems(config, items):
    mark_host_tests(items)


class KritaRunner:
    """The built zip installed into a fresh profile; runs scenarios with every provider on the sandbox."""

    def __init__(self, host, zip_path: Path, tmp_path: Path, sandbox, sandbox_env):
        self.host = host
        self.profile = tmp_path / "profile"
        self.home = tmp_path / "gptedit-home"
        self.home.mkdir(exist_ok=True)
        self.artifacts = tmp_path / "artifacts"
        self.artifacts.mkdir(exist_ok=True)
        self.sandbox = sandbox
        self.sandbox_env = sandbox_env
        names = host.install(zip_path, self.profile)
        assert names == ["gptedit_krita"], names

    def env(self, provider: str = "eachlabs", **extra) -> dict:
        """Every provider pointed at the sandbox (the docker may switch), `provider` the default."""
        return {
            "GPTEDIT_HOME": str(self.home),
            **self.sandbox_env(provider),
            **{k: str(v) for k, v in extra.items()},
        }

    def params(self, params: dict | None) -> dict:
        return dict(
            params or {}, artifacts=str(self.artifacts), home=str(self.home), sandbox_api=self.sandbox.api_url
        )

    def run(
        self, scenario: str, params: dict | None = None, timeout: float = 120, env: dict | None = None, **kw
    ) -> dict:
        report = self.host.run(
            self.profile,
            SCENARIOS / scenario,
            timeout=timeout,
            env=env if env is not None else self.env(),
            binds=[self.home, self.artifacts],
            params=self.params(params),
            **kw,
        )
        return report["data"]

    def start(self, scenario: str, params: dict | None = None, timeout: float = 120, env: dict | None = None):
        return self.host.start(
            self.profile,
            SCENARIOS / scenario,
            timeout=timeout,
            env=env if env is not None else self.env(),
            binds=[self.home, self.artifacts],
            params=self.params(params),
        )


_DONE: dict[tuple[str, str], Any] = {}
_FAILED: dict[tuple[str, str], BaseException] = {}


@pytest.fixture
def krita_once(krita_host, krita_zip, sandbox_server, sandbox_env, tmp_path_factory):  # noqa: F811
    """`krita_once(name, flow)`: `flow(runner)` once per Krita version, its result shared by the tests."""

    def once(name: str, flow: Callable[[KritaRunner], Any]) -> Any:
        key = (krita_host.id, name)
        if key in _FAILED:
            raise _FAILED[key]
        if key not in _DONE:
            sandbox_server.reset()
            # answers at the sent picture's size: these tests check Krita's placement pixel for pixel, and a
            # fixed-size answer (each::labs, Replicate) would be resampled on the way (tests/conformance
            # covers that)
            sandbox_server.configure(answer_size="input")
            runner = KritaRunner(
                krita_host, krita_zip, tmp_path_factory.mktemp(name), sandbox_server, sandbox_env
            )
            try:
                _DONE[key] = flow(runner)
            except BaseException as exc:  # pytest's skip and fail outcomes too: every later test sees them
                _FAILED[key] = exc
                raise
        return _DONE[key]

    return once
