"""pytest fixtures for tests that run inside the real Krita and the real GIMP 3 (see hostenv.py).

    def test_something(krita_host, tmp_path):      # once per Krita version: krita-5.2, krita-5.3, krita-6.0
        report = krita_host.run(tmp_path / "profile", scenario_file, timeout=60)

    def test_other(gimp_host, tmp_path):           # ids gimp-3.0, gimp-3.2
        rc, out, err = gimp_host.batch(tmp_path / "profile", code)

tests/hosts/conftest.py exposes them below tests/hosts. A conftest elsewhere takes them with
`from tests.hosts.hostenv_fixtures import krita_host, gimp_host` (one module, so one record of what ran).
The chroots are provisioned once per session (first time on a machine: ~2 min each) and the profile
template built before the first test. When the hosts cannot be provisioned
(not root, not Debian, archive unreachable) the tests are skipped with the reason, or FAIL when
GPTEDIT_REQUIRE_HOSTS=1 (set it in CI so a broken provisioning cannot pass as "skipped"). The first use
registers a terminal-summary section listing the host versions that really ran.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from . import hostenv

_versions: dict[str, str] = {}  # spec id -> exact version, for hosts that were provisioned
_unavailable: dict[str, str] = {}  # spec id -> reason
_ran: dict[str, int] = {}  # spec id -> tests that used it
_SUMMARY_PLUGIN = "gptedit-real-hosts-summary"
# Read at import: the root conftest strips GPTEDIT_* variables from each test's environment.
REQUIRE_HOSTS = os.environ.get("GPTEDIT_REQUIRE_HOSTS") == "1"


@dataclass(frozen=True)
class RealHost:
    """One provisioned host; the methods are hostenv's functions with the spec filled in."""

    spec: hostenv.HostSpec
    version: str  # exact upstream version, e.g. "5.2.9", "5.3.4.1", "3.0.4"

    @property
    def app(self) -> str:
        return self.spec.app

    @property
    def id(self) -> str:
        return self.spec.id

    def install(self, zip_path, profile) -> list[str]:
        if self.app == "krita":
            return hostenv.install_krita_zip(zip_path, profile)
        return hostenv.install_gimp_zip(zip_path, profile)

    # Krita
    def run(self, profile, scenario_path, report_path=None, timeout: float = 120, **kw) -> dict:
        return hostenv.run_krita(self.spec, profile, scenario_path, report_path, timeout, **kw)

    def start(
        self, profile, scenario_path, report_path=None, timeout: float = 120, **kw
    ) -> hostenv.KritaProcess:
        return hostenv.start_krita(self.spec, profile, scenario_path, report_path, timeout, **kw)

    # GIMP
    def batch(self, profile, code: str, timeout: float = 120, **kw) -> tuple[int, str, str]:
        return hostenv.run_gimp_batch(self.spec, profile, code, timeout, **kw)

    def start_batch(self, profile, code: str, **kw) -> hostenv.HostProcess:
        return hostenv.start_gimp_batch(self.spec, profile, code, **kw)


def skip_or_fail(reason: str) -> None:
    if REQUIRE_HOSTS or os.environ.get("GPTEDIT_REQUIRE_HOSTS") == "1":
        pytest.fail(f"real hosts required (GPTEDIT_REQUIRE_HOSTS=1) but unavailable: {reason}", pytrace=False)
    pytest.skip(f"real hosts unavailable: {reason}")


def provision(spec: hostenv.HostSpec) -> RealHost:
    """The host ready to run (chroot + profile template), once per session; skips or fails if it cannot be."""
    if spec.id in _unavailable:
        skip_or_fail(_unavailable[spec.id])
    if spec.id not in _versions:
        try:
            version = hostenv.check_spec(spec)
        except hostenv.HostUnavailable as exc:
            _unavailable[spec.id] = exc.reason
            skip_or_fail(exc.reason)
        # The template's one-off cost (15-25 s) must not count against the first test's timeout. A failure
        # here is a broken host, not an unavailable one: it raises.
        if spec.app == "krita":
            hostenv.krita_template(spec)
        else:
            hostenv.gimp_template(spec)
        _versions[spec.id] = version
    return RealHost(spec, _versions[spec.id])


def _host_fixture(request) -> RealHost:
    _register_summary(request.config)
    host = provision(request.param)
    _ran[host.id] = _ran.get(host.id, 0) + 1
    print(f"HOST {host.app} {host.version}")
    request.node.user_properties.append(("host", f"{host.app} {host.version} ({host.spec.suite})"))
    return host


@pytest.fixture(params=hostenv.KRITA_HOSTS, ids=lambda s: s.id)
def krita_host(request) -> RealHost:
    return _host_fixture(request)


@pytest.fixture(params=hostenv.GIMP_HOSTS, ids=lambda s: s.id)
def gimp_host(request) -> RealHost:
    return _host_fixture(request)


class _Summary:
    @staticmethod
    def pytest_terminal_summary(terminalreporter, exitstatus, config):
        if not _ran and not _unavailable:
            return
        terminalreporter.section("real hosts")
        for spec in hostenv.HOSTS:
            if spec.id in _ran and spec.id in _versions:
                terminalreporter.line(
                    f"HOST {spec.app} {_versions[spec.id]} (Debian {spec.suite}): {_ran[spec.id]} test(s)"
                )
            elif spec.id in _unavailable:
                terminalreporter.line(f"HOST {spec.app} {spec.version}: NOT RUN: {_unavailable[spec.id]}")


def _register_summary(config) -> None:
    # Registered on first use rather than in a conftest, so it prints exactly once wherever the fixtures
    # are used from (tests/hosts, tests/krita, tests/gimp, ...).
    if not config.pluginmanager.has_plugin(_SUMMARY_PLUGIN):
        config.pluginmanager.register(_Summary(), _SUMMARY_PLUGIN)


def mark_host_tests(items) -> None:
    """Give the `hosts` marker to every test that uses a real-host fixture."""
    for item in items:
        if {"krita_host", "gimp_host"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.hosts)
