"""A faithful local imitation of the four image-edit providers (each::labs, OpenAI, Replicate, fal),
with injectable faults and deterministic edits. Needs Pillow; never imported by the core or the plugins.

    from gptedit.sandbox import Sandbox
    with Sandbox() as sb:
        sb.base_urls["eachlabs"]   # point a provider client here
        sb.inject("eachlabs", "create", "http_429", retry_after=1)
        sb.stats()["eachlabs"]["creates"]
"""

from __future__ import annotations

from .server import Sandbox, main

__all__ = ["Sandbox", "main"]
