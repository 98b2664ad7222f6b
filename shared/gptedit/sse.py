"""Server-sent events, parsed incrementally from raw bytes.

Two providers stream: OpenAI's `stream=true` image edits (`event:` + `data:` lines, api-protocols.md §2.4)
and fal's `GET {status_url}/stream` (the same status objects as `data:` lines, §4.1). The parser follows
the WHATWG "event stream interpretation" rules so that anything a proxy or a server framework does to the
wire format (CRLF or lone CR line ends, a UTF-8 BOM, comments as keep-alives, data split over several
`data:` lines, fields without a space after the colon) still yields the same events.

The parser works on bytes and splits lines itself instead of using `requests.iter_lines`, because
`iter_lines` mishandles a CR+LF pair split across two chunks and would turn it into an empty line (an
event boundary) in the middle of an event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .errors import BadResponse

#: OpenAI's chat streams end with this sentinel; for images it is handled by the SDK but undocumented
#: (api-protocols.md §2.4), so we accept it and stop.
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


def iter_events(chunks: Iterable[bytes], max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> Iterator[SSEEvent]:
    """Events from an iterable of byte chunks (for example `response.iter_content(None)`)."""
    parser = SSEParser(max_event_bytes)
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


def parse_text(text: str) -> list[SSEEvent]:
    """All events in a complete stream held in memory (tests, recorded streams)."""
    return list(iter_events([text.encode("utf-8")]))
