"""Fixtures for tests that run inside the real Krita and the real GIMP 3 (see hostenv.py).

    def test_something(krita_host, tmp_path):      # runs once per Krita version: ids krita-5.2, krita-5.3
        report = krita_host.run(tmp_path / "profile", scenario_file, timeout=60)

    def test_other(gimp_host, tmp_path):           # ids gimp-3.0, gimp-3.2
        rc, out, err = gimp_host.batch(tmp_path / "profile", code)

The chroots are provisioned once per session (first time on a machine: ~2 min each). When they cannot be
(not root, not Debian, no network to the archive) the tests are skipped with the reason, or FAIL when
GPTEDIT_REQUIRE_HOSTS=1 (CI sets it so a broken provisioning cannot pass as "skipped").
Tests using these fixtures get the `hosts` marker: `pytest -m "not hosts"` leaves them out.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hostenv  # noqa: E402

_versions: dict[str, str] = {}  # spec id -> exact version, for hosts that were provisioned
_unavailable: dict[str, str] = {}  # spec id -> reason
_ran: dict[str, int] = {}  # spec id -> tests that used it


@dataclass(frozen=True)
class RealHost:
    """One provisioned host; the methods are hostenv's functions with the spec filled in."""

    spec: hostenv.HostSpec
    version: str  # exact upstream version, e.g. "5.2.9"

    @property
    def app(self) -> str:
        return self.spec.app

    @property
    def id(self) -> str:
        return self.spec.id

    # Krita
    def install(self, zip_path, profile) -> list[str]:
        if self.app == "krita":
            return hostenv.install_krita_zip(zip_path, profile)
        return hostenv.install_gimp_zip(zip_path, profile)

    def run(self, profile, scenario_path, report_path=None, timeout: float = 120, **kw) -> dict:
        return hostenv.run_krita(self.spec, profile, scenario_path, report_path, timeout, **kw)

    def start(self, profile, scenario_path, report_path=None, timeout: float = 120, **kw) -> hostenv.KritaProcess:
        return hostenv.start_krita(self.spec, profile, scenario_path, report_path, timeout, **kw)

    # GIMP
    def batch(self, profile, code: str, timeout: float = 120, **kw) -> tuple[int, str, str]:
        return hostenv.run_gimp_batch(self.spec, profile, code, timeout, **kw)

    def start_batch(self, profile, code: str, **kw) -> hostenv.HostProcess:
        return hostenv.start_gimp_batch(self.spec, profile, code, **kw)


def _provision(spec: hostenv.HostSpec) -> RealHost:
    if spec.id in _unavailable:
        _skip_or_fail(_unavailable[spec.id])
    if spec.id not in _versions:
        try:
            _versions[spec.id] = hostenv.check_spec(spec)
        except hostenv.HostUnavailable as exc:
            _unavailable[spec.id] = exc.reason
            _skip_or_fail(exc.reason)
        # Build the profile template now, so its one-off cost is not charged to the first test's timeout.
        if spec.app == "krita":
            hostenv.krita_template(spec)
        else:
            hostenv.gimp_template(spec)
    return RealHost(spec, _versions[spec.id])


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("GPTEDIT_REQUIRE_HOSTS") == "1":
        pytest.fail(f"real hosts required (GPTEDIT_REQUIRE_HOSTS=1) but unavailable: {reason}", pytrace=False)
    pytest.skip(f"real hosts unavailable: {reason}")


def _host_fixture(request) -> RealHost:
    host = _provision(request.param)
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


def pytest_collection_modifyitems(config, items):
    for item in items:
        if {"krita_host", "gimp_host"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.hosts)


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
