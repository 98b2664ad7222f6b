"""Server-sent events, parsed incrementally from raw bytes.

Two providers stream: OpenAI's `stream=true` image edits (`event:` + `data:` lines, docs/providers.md "OpenAI:
streaming") and fal's `GET {status_url}/stream` (the same status objects as `data:` lines, docs/providers.md
"fal: queue"). The parser follows the WHATWG "event stream interpretation" rules so that anything a proxy or a
server framework does to the wire format (CRLF or lone CR line ends, a UTF-8 BOM, comments as keep-alives,
data split over several `data:` lines, fields without a space after the colon) still yields the same events.

The parser works on bytes and splits lines itself instead of using `requests.iter_lines`, because
`iter_lines` mishandles a CR+LF pair split across two chunks and would turn it into an empty line (an
event boundary) in the middle of an event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import BadResponse, GptEditError

#: OpenAI's chat streams end with this sentinel; for images it is handled by the SDK but undocumented
#: (docs/providers.md "OpenAI: streaming"), so we accept it and stop.
DONE = "[DONE]"

#: a partial or final image arrives base64-encoded inside one event; gpt-image-2 at 3840x2160 can be
#: ~35 MB of base64, so one event may be large, but not unbounded
DEFAULT_MAX_EVENT_BYTES = 96 * 1024 * 1024


@dataclass
class SSEEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None

    @property
    def is_done(self) -> bool:
        return self.data.strip() == DONE


class SSEParser:
    """Feed chunks of bytes, get complete events back. Keeps partial lines between chunks."""

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES):
        self.max_event_bytes = max_event_bytes
        self._buffer = b""
        self._first = True
        self._pending_cr = False
        self._reset_event()
        #: the last `id:` seen (persists across events, as in the spec); used to resume a stream
        self.last_event_id: str | None = None
        #: the last `retry:` value (milliseconds) the server asked for
        self.retry_ms: int | None = None

    def _reset_event(self) -> None:
        self._event_type = ""
        self._data: list[str] = []
        self._data_size = 0
        self._id: str | None = None
        self._retry: int | None = None
        self._has_fields = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if self._pending_cr:
            # a CR ended the previous chunk: if this chunk starts with LF, the pair is one line end
            self._pending_cr = False
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
        buf = self._buffer + chunk
        if self._first and buf:
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                self._buffer = buf
                return []
            self._first = False
            if buf.startswith(b"\xef\xbb\xbf"):
                buf = buf[3:]
        events: list[SSEEvent] = []
        start = 0
        n = len(buf)
        while start < n:
            cr = buf.find(b"\r", start)
            lf = buf.find(b"\n", start)
            if cr < 0 and lf < 0:
                break
            if cr < 0 or (0 <= lf < cr):
                end, nxt = lf, lf + 1
            else:
                end = cr
                if cr + 1 < n:
                    nxt = cr + 2 if buf[cr + 1 : cr + 2] == b"\n" else cr + 1
                else:
                    nxt = cr + 1
                    self._pending_cr = True
            event = self._line(buf[start:end])
            if event is not None:
                events.append(event)
            start = nxt
        self._buffer = buf[start:]
        if len(self._buffer) + self._data_size > self.max_event_bytes:
            raise BadResponse(
                f"The provider's event stream sent an event larger than {self.max_event_bytes // 2**20} MB; "
                "the answer was abandoned."
            )
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream. Per the spec an event not terminated by a blank line is discarded, but a
        final line without a line end is still a line; we dispatch a complete-looking last event
        because some servers close right after the last `data:` line."""
        events: list[SSEEvent] = []
        if self._buffer:
            ev = self._line(self._buffer)
            self._buffer = b""
            if ev is not None:
                events.append(ev)
        ev = self._dispatch()
        if ev is not None:
            events.append(ev)
        return events

    def _line(self, raw: bytes) -> SSEEvent | None:
        if not raw:
            return self._dispatch()
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return None  # comment: servers send these as keep-alives
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._data_size += len(value) + 1
            self._has_fields = True
            if self._data_size > self.max_event_bytes:
                raise BadResponse(
                    f"The provider's event stream sent an event larger than "
                    f"{self.max_event_bytes // 2**20} MB; the answer was abandoned."
                )
        elif name == "event":
            self._event_type = value
            self._has_fields = True
        elif name == "id":
            if "\0" not in value:
                self._id = value
                self.last_event_id = value
            self._has_fields = True
        elif name == "retry":
            if value.isdigit():
                self._retry = int(value)
                self.retry_ms = self._retry
            self._has_fields = True
        # any other field name is ignored, as the spec requires
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            # the spec drops events without data; we do too (an `event:` line alone carries nothing)
            self._reset_event()
            return None
        ev = SSEEvent(
            event=self._event_type or "message",
            data="\n".join(self._data),
            id=self._id if self._id is not None else self.last_event_id,
            retry=self._retry,
        )
        self._reset_event()
        return ev


def iter_events(
    chunks: Iterable[bytes], max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> Iterator[SSEEvent]:
    """Events from an iterable of byte chunks (for example `response.iter_content(None)`)."""
    parser = SSEParser(max_event_bytes)
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


def parse_text(text: str) -> list[SSEEvent]:
    """All events in a complete stream held in memory (tests, recorded streams)."""
    return list(iter_events([text.encode("utf-8")]))


class StreamResponse:
    """An open HTTP answer read as server-sent events, or as one JSON body when the server ignored the
    request to stream. Made by `Transport.open_stream`, which supplies how bytes arrive and how a
    broken read becomes a typed error; use it as a context manager so the connection is released."""

    def __init__(
        self,
        *,
        status: int,
        headers: Mapping[str, str],
        request_id: str | None,
        chunks: Iterator[bytes],
        read_all: Callable[[], bytes],
        label: str,
        map_error: Callable[[Exception], GptEditError],
        close: Callable[[], None],
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ):
        self.status, self.headers, self.request_id = status, headers, request_id
        self.is_sse = headers.get("content-type", "").lower().startswith("text/event-stream")
        self._chunks, self._read_all, self._label = chunks, read_all, label
        self._map_error, self._close, self._max = map_error, close, max_event_bytes

    def events(self, until: float | None = None) -> Iterator[SSEEvent]:
        """Events as they arrive. `until` (a `time.monotonic()` value) ends the stream early even when
        only keep-alive comments arrive, which yield no events."""
        parser = SSEParser(max_event_bytes=self._max)
        try:
            for chunk in self._chunks:
                yield from parser.feed(chunk)
                if until is not None and time.monotonic() >= until:
                    return
            yield from parser.close()
        except Exception as exc:  # the transport's, urllib3's (maybe vendored) and socket errors alike
            raise self._map_error(exc) from None
        finally:
            self.close()

    def json(self) -> Any:
        try:
            raw = self._read_all()
            try:
                return json.loads(raw) if raw.strip() else None
            except ValueError:
                raise BadResponse(f"{self._label} sent an answer that is not JSON.") from None
        except Exception as exc:
            raise self._map_error(exc) from None

    def close(self) -> None:
        self._close()

    def __enter__(self) -> StreamResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
