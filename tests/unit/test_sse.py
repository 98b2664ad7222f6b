"""Server-sent events are parsed the same however the bytes are split, with every line-ending style."""

from __future__ import annotations

import pytest
from gptedit.errors import BadResponse
from gptedit.sse import SSEParser, iter_events, parse_text
from hypothesis import given, settings
from hypothesis import strategies as st

OPENAI_STREAM = (
    "event: image_edit.partial_image\n"
    'data: {"type":"image_edit.partial_image","b64_json":"AAA","partial_image_index":0}\n'
    "\n"
    ": keep-alive comment\n"
    "event: image_edit.completed\n"
    'data: {"type":"image_edit.completed","b64_json":"BBB"}\n'
    "\n"
)


def test_openai_style_events_with_types_and_comment():
    events = parse_text(OPENAI_STREAM)
    assert [e.event for e in events] == ["image_edit.partial_image", "image_edit.completed"]
    assert '"partial_image_index":0' in events[0].data
    assert events[1].data.endswith('"BBB"}')


def test_default_event_type_is_message_and_multiline_data_joins_with_newline():
    events = parse_text("data: first\ndata: second\n\ndata:no-space\n\n")
    assert events[0].event == "message"
    assert events[0].data == "first\nsecond"
    assert events[1].data == "no-space"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_style(newline):
    text = OPENAI_STREAM.replace("\n", newline)
    assert [e.data for e in parse_text(text)] == [e.data for e in parse_text(OPENAI_STREAM)]


def test_crlf_split_across_chunks_is_one_line_end():
    chunks = [b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]
    events = list(iter_events(chunks))
    assert [e.data for e in events] == ["a\nb"]


def test_bom_is_skipped_even_when_split():
    chunks = [b"\xef", b"\xbb\xbfdata: x\n\n"]
    assert [e.data for e in iter_events(chunks)] == ["x"]


def test_id_and_retry_are_kept_and_id_persists():
    parser = SSEParser()
    events = parser.feed(b"id: 7\nretry: 1500\ndata: a\n\ndata: b\n\n")
    assert events[0].id == "7" and events[0].retry == 1500
    assert events[1].id == "7" and events[1].retry is None  # last id carries over, retry does not
    assert parser.last_event_id == "7" and parser.retry_ms == 1500


def test_invalid_retry_and_unknown_fields_are_ignored():
    events = parse_text("retry: soon\nfoo: bar\ndata: x\n\n")
    assert events[0].retry is None and events[0].data == "x"


def test_event_without_data_is_dropped():
    assert parse_text("event: ping\n\ndata: real\n\n")[0].data == "real"
    assert len(parse_text("event: ping\n\n")) == 0


def test_done_sentinel():
    events = parse_text("data: {}\n\ndata: [DONE]\n\n")
    assert [e.is_done for e in events] == [False, True]


def test_last_event_without_blank_line_is_still_delivered():
    events = parse_text('data: {"status":"COMPLETED"}')
    assert events and events[0].data == '{"status":"COMPLETED"}'


def test_oversized_event_is_refused():
    parser = SSEParser(max_event_bytes=1000)
    with pytest.raises(BadResponse):
        parser.feed(b"data: " + b"x" * 2000 + b"\n")
    parser = SSEParser(max_event_bytes=1000)
    with pytest.raises(BadResponse):  # also when no line end ever arrives
        parser.feed(b"data: " + b"x" * 2000)


def test_utf8_split_inside_a_character():
    raw = "data: café ✓\n\n".encode()
    cut = raw.index("✓".encode()) + 1
    assert [e.data for e in iter_events([raw[:cut], raw[cut:]])] == ["café ✓"]


@settings(max_examples=200, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_chunking_gives_the_same_events(cuts, newline):
    raw = ("id: 1\n" + OPENAI_STREAM + "data: tail\ndata: more\n\n").replace("\n", newline).encode()
    whole = list(iter_events([raw]))
    points = sorted({c % (len(raw) + 1) for c in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    split = list(iter_events(pieces))
    assert [(e.event, e.data, e.id) for e in split] == [(e.event, e.data, e.id) for e in whole]
    assert len(whole) == 3
