"""The requests stack vendored into the artifacts works on its own, verifies TLS with its own certifi bundle,
and never shows up as a top-level `requests`/`urllib3`/... (Krita runs every plugin in one interpreter, so a
top-level copy would clash with another plugin's)."""

from __future__ import annotations

import ast
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tools import vendor
from tools.common import BuildError
from tools.imports import find_top_level_uses

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ("requests", "urllib3", "idna", "charset_normalizer", "certifi")
PLUGIN_SOURCES = {  # stand-ins used only until the plugin engineers' real files exist
    "krita_plugin/gptedit_krita.desktop": "[Desktop Entry]\nType=Service\nServiceTypes=Krita/PythonPlugin\n"
                                          "X-KDE-Library=gptedit_krita\nName=GPT Edit (stand-in)\n",
    "krita_plugin/gptedit_krita.action": '<?xml version="1.0" encoding="UTF-8"?>\n'
                                         '<ActionCollection version="2" '
                                         'name="Scripts"><Actions category="Scripts"><text>GPT Edit</text>'
                                         '<Action name="gptedit_edit"><text>Edit with GPT</text></Action>'
                                         "</Actions></ActionCollection>\n",
    "krita_plugin/gptedit_krita/__init__.py": "",
    "gimp_plugin/gptedit-gimp/gptedit-gimp.py": "#!/usr/bin/env python3\n",
}


def snapshot_sources(dest: Path) -> Path:
    """A frozen copy of what `dist` reads, with stand-ins for plugin files that do not exist yet (the
    plugin engineers' files are never committed from here). Builds from one snapshot must be identical."""
    for rel in ("build.py", "LICENSE", "pyproject.toml", "shared/vendor.lock"):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    for rel in ("tools", "shared/gptedit", "krita_plugin", "gimp_plugin"):
        if (ROOT / rel).is_dir():
            shutil.copytree(ROOT / rel, dest / rel, ignore=shutil.ignore_patterns("__pycache__"))
    for rel, text in PLUGIN_SOURCES.items():
        if not (dest / rel).exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_text(text)
    return dest


def run_dist(root: Path, out: Path) -> tuple[Path, Path]:
    """`root/build.py dist --out out`, sharing the repo's wheel cache; returns (krita zip, gimp zip)."""
    env = {**os.environ, "GPTEDIT_WHEEL_CACHE": str(ROOT / "build" / "wheels")}
    done = subprocess.run([sys.executable, str(root / "build.py"), "dist", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return sorted(out.glob("gptedit-krita-*.zip"))[0], sorted(out.glob("gptedit-gimp-*.zip"))[0]


def build_zips(tmp: Path) -> tuple[Path, Path]:
    """Build from the repo itself once the plugin sources exist, else from a snapshot with stand-ins."""
    complete = all((ROOT / rel).exists() for rel in PLUGIN_SOURCES)
    return run_dist(ROOT if complete else snapshot_sources(tmp / "src"), tmp / "dist")


@pytest.fixture(scope="module")
def libs(tmp_path_factory) -> dict[str, Path]:
    """The `lib` folder of each artifact, unpacked: the zips `build.py test` made, or freshly built ones."""
    tmp = tmp_path_factory.mktemp("vendor")
    env_zips = os.environ.get("GPTEDIT_KRITA_ZIP"), os.environ.get("GPTEDIT_GIMP_ZIP")
    krita_zip, gimp_zip = map(Path, env_zips) if all(env_zips) else build_zips(tmp)
    out = {}
    for host, archive, top in (("krita", krita_zip, "gptedit_krita"), ("gimp", gimp_zip, "gptedit-gimp")):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp / host)
        out[host] = tmp / host / top / "lib"
    return out


def interpreters() -> list:
    """This venv's Python plus any other 3.10+ on the machine, so the stack is proven on several versions."""
    candidates = [sys.executable, "/usr/bin/python3", *sorted(glob.glob(os.path.expanduser(
        "~/.pyenv/versions/3.1[0-9]*/bin/python3")))]
    candidates += [shutil.which(f"python3.{m}") or "" for m in range(10, 15)]
    found: dict[str, str] = {}
    for exe in candidates:
        if not exe or not os.path.exists(exe):
            continue
        probe = subprocess.run([exe, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, timeout=60)
        version = probe.stdout.strip()
        if probe.returncode == 0 and tuple(map(int, version.split("."))) >= (3, 10):
            found.setdefault(version, exe)
    ordered = sorted(found, key=lambda v: tuple(map(int, v.split("."))))
    return [pytest.param(found[v], id=f"py{v}") for v in ordered]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> dict[str, str]:
    """A throwaway CA and a 127.0.0.1 server certificate signed by it (never in certifi's bundle)."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command (Debian package openssl) to make a test certificate")
    d = tmp_path_factory.mktemp("tls")

    def ssl_cmd(*args: str) -> None:
        done = subprocess.run(["openssl", *args], cwd=d, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    ssl_cmd("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=gptedit test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ssl_cmd("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\n"
                               "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                               "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n")
    ssl_cmd("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": str(d / "ca.pem"), "cert": str(d / "server.pem"), "key": str(d / "server.key")}


# Runs inside an isolated interpreter (-I -S: no site-packages, no PYTHONPATH) that sees only the
# artifact's lib.
PROBE = r'''
import json, os, ssl, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer
lib, ca, cert, key = sys.argv[1:5]
sys.path.insert(0, lib)
report = {}
try:
    import requests  # noqa: F401
    report["system_requests"] = requests.__file__
except ImportError:
    report["system_requests"] = None
for name in [m for m in sys.modules if m.split(".")[0] == "requests"]:
    del sys.modules[name]

from gptedit import _deps

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "ua": self.headers.get("User-Agent", "")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

def serve(tls):
    server = HTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

requests = _deps.requests
plain = serve(False)
r = requests.get(f"http://127.0.0.1:{plain.server_port}/hello?x=1", timeout=20)
report["http"] = {"status": r.status_code, "json": r.json(), "apparent_encoding": r.apparent_encoding}
report["requests_file"] = requests.__file__
report["certifi_where"] = _deps.certifi.where()
report["certifi_exists"] = os.path.isfile(_deps.certifi.where())
report["default_bundle"] = requests.utils.DEFAULT_CA_BUNDLE_PATH
report["packages_alias"] = requests.packages.urllib3 is sys.modules["gptedit._vendor.urllib3"]
secure = serve(True)
url = f"https://127.0.0.1:{secure.server_port}/tls"
try:
    requests.get(url, timeout=20)
    report["untrusted"] = "accepted"
except requests.exceptions.SSLError as exc:
    report["untrusted"] = "SSLError: " + str(exc)[:300]
report["trusted"] = requests.get(url, timeout=20, verify=ca).json()
report["top_level"] = sorted(m for m in sys.modules
                             if m.split(".")[0] in ("requests", "urllib3", "idna", "charset_normalizer",
                                                    "certifi", "chardet"))
print("REPORT " + json.dumps(report))
'''


@pytest.mark.parametrize("host", ["krita", "gimp"])
@pytest.mark.parametrize("python", interpreters())
def test_vendored_stack_works_alone_and_stays_private(libs, tls_files, tmp_path, host, python):
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    lib = libs[host]
    done = subprocess.run([python, "-I", "-S", str(probe), str(lib), tls_files["ca"], tls_files["cert"],
                           tls_files["key"]], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"})
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    report = json.loads(lines[-1][len("REPORT "):])

    assert report["system_requests"] is None, "the probe must not see any installed requests"
    assert report["http"]["status"] == 200
    assert report["http"]["json"]["path"] == "/hello?x=1"
    assert report["http"]["json"]["ua"].startswith("python-requests/")
    assert report["http"]["apparent_encoding"]  # charset_normalizer, found through the vendored name
    assert Path(report["requests_file"]).is_relative_to(lib)
    bundle = Path(report["certifi_where"])
    assert report["certifi_exists"] and bundle.is_relative_to(lib / "gptedit" / "_vendor" / "certifi")
    assert Path(report["default_bundle"]) == bundle
    assert report["packages_alias"] is True
    # Our CA is not in certifi's bundle: the handshake must fail verification, and pass once it is trusted.
    assert report["untrusted"].startswith("SSLError") and "CERTIFICATE_VERIFY_FAILED" in report["untrusted"]
    assert report["trusted"]["path"] == "/tls"
    assert report["top_level"] == [], f"top-level copies were imported: {report['top_level']}"


def test_artifact_sources_import_only_the_vendored_names(libs):
    """An independent scan (not build.py's own check) of every vendored module for top-level imports."""
    vendor = libs["gimp"] / "gptedit" / "_vendor"
    offenders = []
    for path in sorted(vendor.rglob("*.py")):
        tree = ast.parse(path.read_bytes())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.relative_to(vendor)}:{node.lineno} {n}" for n in names
                          if n.split(".")[0] in (*VENDORED, "chardet")]
    assert offenders == []
    for package in VENDORED:
        assert (vendor / package / "__init__.py").is_file()
        assert list((vendor / package).glob("LICEN[CS]E*")), f"{package} ships without its license file"
    assert (vendor / "requests" / "NOTICE").is_file()  # Apache-2.0 asks for the NOTICE to travel along
    assert "MPL-2.0" in (vendor / "README.txt").read_text()


def test_lock_pins_pure_python_wheels_for_python_310_to_314(libs):
    """Every locked wheel is py3-none-any, matches its hash, runs on 3.10-3.14, and satisfies requests."""
    lock = vendor.read_lock(ROOT / "shared" / "vendor.lock")
    assert {e["module"] for e in lock} == set(VENDORED)
    pinned = {e["name"].lower().replace("_", "-"): e["version"] for e in lock}
    cache = ROOT / "build" / "wheels"
    for entry in lock:
        wheels = sorted(cache.glob(f"{entry['module']}-{entry['version']}-*.whl"))
        assert [w.name.endswith("-py3-none-any.whl") for w in wheels] == [True], wheels
        assert hashlib.sha256(wheels[0].read_bytes()).hexdigest() == entry["sha256"]
        with zipfile.ZipFile(wheels[0]) as whl:
            meta_name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
            meta = whl.read(meta_name).decode()
        requires_python = next((line.split(":", 1)[1].strip() for line in meta.splitlines()
                                if line.startswith("Requires-Python:")), "")
        for version in ("3.10", "3.11", "3.12", "3.13", "3.14"):
            assert SpecifierSet(requires_python).contains(version), \
                f"{entry['name']} excludes Python {version}"
        for line in meta.splitlines():
            if line.startswith("Requires-Dist:"):
                req = Requirement(line.split(":", 1)[1].strip())
                if req.marker is None:  # extras like socks/brotli are optional and not shipped
                    name = req.name.lower().replace("_", "-")
                    assert name in pinned, f"{entry['name']} needs {name}, which is not vendored"
                    assert req.specifier.contains(pinned[name]), f"{entry['name']} needs {req}"


def test_rewriter_handles_every_import_form():
    source = (
        b'"""Docs may say: import urllib3."""\n'
        b"import os, urllib3 as u3\n"
        b"import urllib3.contrib.socks\n"
        b"from urllib3.util import (\n    Retry,\n    Timeout,\n)\n"
        b"try:\n    import chardet\nexcept ImportError:\n    chardet = None\n"
        b'x = importlib.import_module("charset_normalizer")\n'
        b'y = files("certifi").joinpath("cacert.pem")\n'
        b'logger = getLogger("urllib3")\n'
    )
    out = vendor.rewrite_vendored_source(source, set(VENDORED), "sample.py")
    text = out.decode()
    assert out.count(b"\n") == source.count(b"\n"), "line numbers must survive for tracebacks"
    assert '"""Docs may say: import urllib3."""' in text
    assert "import os; from gptedit._vendor import urllib3 as u3" in text
    assert '__import__("gptedit._vendor.urllib3.contrib.socks"); from gptedit._vendor import urllib3' in text
    assert "from gptedit._vendor.urllib3.util import (\n    Retry," in text
    assert 'raise ImportError("not vendored into gptedit")' in text
    assert 'import_module("gptedit._vendor.charset_normalizer")' in text
    assert 'files("gptedit._vendor.certifi")' in text
    assert 'getLogger("urllib3")' in text  # a logger name is not an import
    compile(out, "sample.py", "exec")
    assert find_top_level_uses(b'for m in ("chardet", "os"): pass\n', {"chardet"}, "t.py", name_lists=True)
    with pytest.raises(BuildError, match="unguarded import of chardet"):
        vendor.rewrite_vendored_source(b"import chardet\n", set(VENDORED), "bad.py")
