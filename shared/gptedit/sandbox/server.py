"""The sandbox: three local listeners that imitate each::labs, OpenAI, Replicate and fal.

- the API listener serves every provider under its own path prefix, plus control endpoints under
  `/_sandbox/` for tests that drive a sandbox living in another process (a real Krita in a chroot);
- the upload listener is each::labs' presigned PUT target;
- the CDN listener serves uploaded inputs and all output URLs.

Use it in-process (`Sandbox(...).start()`) or from the command line
(`python -m gptedit sandbox` / `python -m gptedit.sandbox`)."""

from __future__ import annotations

import argparse
import copy
import ipaddress
import json
import os
import signal
import sys
import threading
from typing import Any

from .common import ProviderApi
from .config import ConfigProblem
from .eachlabs import EachlabsApi
from .fal import FalApi
from .faults import FaultProblem
from .openai_api import OpenAIApi
from .openai_responses import OpenAIResponsesApi
from .replicate import ReplicateApi
from .state import Context
from .storage import cdn_app, upload_app
from .wire import BadRequestBody, Listener, Request, Response, json_response
from .wirelog import WireLog

#: path prefix on the API listener → provider (the longest matching prefix wins)
PREFIXES = {
    "/eachlabs": "eachlabs",
    "/openai/v1/responses": "openai-responses",
    "/openai/v1": "openai",
    "/replicate": "replicate",
    "/fal": "fal",
}
#: a provider's base URL when it is not its own prefix: both OpenAI routes share the API's /v1
BASE_PREFIX = {"openai-responses": "/openai/v1"}


class Sandbox:
    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        config: dict[str, Any] | None = None,
        upload_port: int = 0,
        cdn_port: int = 0,
    ):
        self.host = host
        self._ports = (port, upload_port, cdn_port)
        self.ctx = Context(config)
        self._apis: dict[str, ProviderApi] = {
            "eachlabs": EachlabsApi(self.ctx),
            "openai": OpenAIApi(self.ctx),
            "openai-responses": OpenAIResponsesApi(self.ctx),
            "replicate": ReplicateApi(self.ctx),
            "fal": FalApi(self.ctx),
        }
        self._listeners: list[Listener] = []
        #: every request as it looked on the wire (for comparing our client with the official ones)
        self.wire = WireLog()

    # --- life cycle --------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._listeners:
            return self
        stopping = self.ctx.stopping
        stopping.clear()
        api = Listener(self.host, self._ports[0], self._logged("api", self._serve_api), stopping, "api")
        upload = Listener(
            self.host,
            self._ports[1],
            self._logged("upload", lambda r: upload_app(self.ctx, r)),
            stopping,
            "upload",
        )
        cdn = Listener(
            self.host, self._ports[2], self._logged("cdn", lambda r: cdn_app(self.ctx, r)), stopping, "cdn"
        )
        url_host = f"[{self.host}]" if ":" in self.host else self.host
        self.ctx.api_url = f"http://{url_host}:{api.port}"
        self.ctx.upload_url = f"http://{url_host}:{upload.port}"
        self.ctx.cdn_url = f"http://{url_host}:{cdn.port}"
        self._listeners = [api, upload, cdn]
        for listener in self._listeners:
            listener.start()
        return self

    def stop(self) -> None:
        self.ctx.stopping.set()  # wakes every sleeping handler (slow faults, Prefer: wait, streams)
        for listener in self._listeners:
            listener.stop()
        self._listeners = []

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- public API --------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.ctx.api_url

    @property
    def upload_url(self) -> str:
        return self.ctx.upload_url

    @property
    def cdn_url(self) -> str:
        return self.ctx.cdn_url

    @property
    def base_urls(self) -> dict[str, str]:
        return {
            provider: self.ctx.api_url + BASE_PREFIX.get(provider, prefix)
            for prefix, provider in PREFIXES.items()
        }

    def configure(self, **options: Any) -> dict[str, Any]:
        """Merge options into the current configuration (checked; unknown keys raise ValueError)."""
        return copy.deepcopy(self.ctx.configure(options))

    @property
    def config(self) -> dict[str, Any]:
        return copy.deepcopy(self.ctx.config)

    def inject(self, provider: str, op: str, fault: str, count: int = 1, **params: Any) -> dict[str, Any]:
        return self.ctx.faults.inject(provider, op, fault, count, **params).describe()

    def stats(self) -> dict[str, Any]:
        out = self.ctx.stats.snapshot()
        out["jobs"] = []
        for job in self.ctx.jobs.all():
            item = job.describe()
            item["provider_status"] = self._apis[job.provider].words[item["status"]]
            out["jobs"].append(item)
        out["faults"] = self.ctx.faults.describe()
        return out

    def reset(self) -> None:
        self.ctx.reset()
        self.wire.clear()

    def requests(self) -> list[dict[str, Any]]:
        """The requests seen since the last reset, as `wirelog.describe` shows them (no control calls)."""
        return self.wire.items()

    def _logged(self, name: str, app):
        def serve(req: Request) -> Response:
            if not req.path.startswith("/_sandbox/"):
                self.wire.add(req, name)
            return app(req)

        return serve

    # --- the API listener --------------------------------------------------------------------------

    def _serve_api(self, req: Request) -> Response:
        if req.path.startswith("/_sandbox/"):
            return self._control(req)
        for prefix, provider in PREFIXES.items():
            if req.path == prefix or req.path.startswith(prefix + "/"):
                return self._apis[provider].handle(req, req.path[len(prefix) :] or "/")
        return json_response(
            404, {"error": f"no sandbox provider serves {req.path}", "base_urls": self.base_urls}
        )

    def _control(self, req: Request) -> Response:
        what = req.path[len("/_sandbox/") :].strip("/")
        try:
            if what == "config" and req.method == "GET":
                return json_response(200, self.config)
            if what == "config" and req.method == "POST":
                return json_response(200, self.configure(**_object(req)))
            if what == "faults" and req.method == "POST":
                body = _object(req)
                args = {k: body.pop(k, None) for k in ("provider", "op", "fault")}
                if None in args.values():
                    return json_response(400, {"error": "provider, op and fault are required"})
                return json_response(
                    200,
                    self.inject(args["provider"], args["op"], args["fault"], body.pop("count", 1), **body),
                )
            if what == "faults" and req.method == "GET":
                return json_response(200, self.ctx.faults.describe())
            if what == "requests" and req.method == "GET":
                return json_response(200, self.requests())
            if what == "stats" and req.method == "GET":
                return json_response(200, self.stats())
            if what == "reset" and req.method == "POST":
                self.reset()
                return json_response(200, {"reset": True})
            if what == "urls" and req.method == "GET":
                return json_response(
                    200,
                    {**self.base_urls, "api": self.api_url, "upload": self.upload_url, "cdn": self.cdn_url},
                )
        except (ConfigProblem, FaultProblem, BadRequestBody, TypeError) as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(404, {"error": f"unknown control endpoint {req.method} {req.path}"})


def _object(req: Request) -> dict[str, Any]:
    body = req.json() if req.body else {}
    if not isinstance(body, dict):
        raise BadRequestBody("expected a JSON object")
    return body


# --- command line -------------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _load_config(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    if os.path.isfile(text):
        with open(text, encoding="utf-8") as fh:
            text = fh.read()
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ConfigProblem("--config must be a JSON object (or a file holding one)")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gptedit sandbox",
        description="Serve local imitations of "
        "each::labs, OpenAI, Replicate and fal for offline use and tests.",
    )
    # 8765 is where the plugins' "sandbox" provider looks by default (settings.SANDBOX_BASE_URL)
    parser.add_argument("--port", type=int, default=8765, help="API port (default 8765; 0 = pick a free one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--latency", type=float, help="seconds a job takes from create to finish")
    parser.add_argument("--config", help="JSON object of sandbox options, or a file holding one")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (the sandbox accepts any key: keep it private)",
    )
    args = parser.parse_args(argv)
    if not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"refusing to listen on {args.host}: not a loopback address (add --allow-remote)", file=sys.stderr
        )
        return 2
    try:
        config = _load_config(args.config)
        if args.latency is not None:
            config["latency"] = args.latency
        sandbox = Sandbox(port=args.port, host=args.host, config=config)
    except (ConfigProblem, ValueError) as exc:
        print(f"bad sandbox configuration: {exc}", file=sys.stderr)
        return 2
    try:
        sandbox.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    done = threading.Event()
    try:
        previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    except ValueError:  # not the main thread (embedded use): Ctrl-C / stop() still work
        previous = None
    try:
        for name, url in sandbox.base_urls.items():
            print(f"{name} {url}")
        print(f"upload-host {sandbox.upload_url}")
        print(f"cdn-host {sandbox.cdn_url}")
        print(f"sandbox ready {sandbox.api_url}", flush=True)
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
    return 0
