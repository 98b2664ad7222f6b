"""The HTTP policy: key only to the API origin, retries only where safe, typed errors, size caps, TLS."""

from __future__ import annotations

import email.utils
import shutil
import ssl
import subprocess
import time

import pytest
from gptedit.errors import (
    AuthError,
    BadInput,
    BadResponse,
    ConfigError,
    ModerationBlocked,
    NetworkError,
    OutputExpired,
    PaymentRequired,
    ProviderError,
    RateLimited,
    RequestTimeout,
    ServerError,
    SubmissionUnknown,
)
from gptedit.providers.openai import error_detail as openai_error_detail
from gptedit.transport import RetryPolicy, Transport, ca_bundle, parse_retry_after, validate_base_url
from http_fixture import LoopbackServer, Reply, free_port

KEY = "sk-test-SECRET-1234567890"


@pytest.fixture
def server():
    s = LoopbackServer().start()
    yield s
    s.stop()


@pytest.fixture
def other():
    s = LoopbackServer().start()
    yield s
    s.stop()


class Sleeps(list):
    """A fake `sleep` that records the waits; `clock` is a matching fake monotonic clock."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    def clock(self) -> float:
        return 1000.0 + sum(self)


def make(
    base: str, *, sleeps: Sleeps | None = None, read_timeout: float = 10.0, key: str = KEY, **kw
) -> Transport:
    return Transport(
        base,
        key,
        lambda k: {"Authorization": f"Bearer {k}"},
        connect_timeout=5.0,
        read_timeout=read_timeout,
        label="TestAPI",
        key_env="TEST_API_KEY",
        sleep=sleeps if sleeps is not None else Sleeps(),
        **kw,
    )


# --- base URLs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com",
        "https://api.example.com/v1/",
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://localhost:1/x",
        "http://[::1]:5000",
    ],
)
def test_accepted_base_urls(url):
    assert validate_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url,words",
    [
        ("http://api.example.com", "plain http"),
        ("http://192.168.1.5:8000", "plain http"),
        ("http://localhost.evil.com", "plain http"),
        ("ftp://api.example.com", "not a web address"),
        ("api.example.com", "not a web address"),
        ("https://user:pw@api.example.com", "user name"),
        ("https://api.example.com/?key=1", "'?'"),
    ],
)
def test_refused_base_urls(url, words):
    with pytest.raises(ConfigError, match=words):
        validate_base_url(url)


# --- the key goes only to the API origin -------------------------------------------------------------
def test_key_on_api_requests_including_absolute_urls_on_the_same_origin(server):
    server.add("GET", "/v1/thing", Reply(json={"ok": 1}))
    t = make(server.base + "/v1")
    assert t.request_json("GET", "/thing", idempotent=True).body == {"ok": 1}
    assert t.request_json("GET", server.base + "/v1/thing", idempotent=True).status == 200
    assert [s.headers.get("authorization") for s in server.seen] == [f"Bearer {KEY}"] * 2
    assert server.seen[0].headers["user-agent"].startswith("gptedit/")


def test_no_key_to_another_origin_even_through_request_json(server, other):
    other.add("GET", "/x", Reply(json={}))
    make(server.base).request_json("GET", other.base + "/x", idempotent=True)
    assert "authorization" not in other.seen[0].headers


def test_downloads_and_uploads_never_carry_the_key_even_on_the_api_origin(server):
    server.add("GET", "/out.png", Reply(body=b"PNGDATA"))
    server.add("PUT", "/up", Reply(200))
    t = make(server.base)
    assert t.download(server.base + "/out.png") == b"PNGDATA"
    t.upload(server.base + "/up", b"hello", {"Content-Type": "image/png", "x-amz-meta-file-id": "f1"})
    assert all("authorization" not in s.headers for s in server.seen)
    put = server.requests("PUT")[0]
    assert put.body == b"hello" and put.headers["x-amz-meta-file-id"] == "f1"
    assert put.headers["content-length"] == "5"  # storage services refuse chunked uploads


def test_redirect_to_another_origin_drops_the_key(server, other):
    other.add("GET", "/final", Reply(json={"where": "other"}))
    server.add("GET", "/start", Reply(302, headers={"Location": other.base + "/final"}))
    resp = make(server.base).request_json("GET", "/start", idempotent=True)
    assert resp.body == {"where": "other"}
    assert server.seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in other.seen[0].headers


def test_same_origin_redirect_keeps_the_key(server):
    server.add("GET", "/a", Reply(307, headers={"Location": "/b"}))
    server.add("GET", "/b", Reply(json={"b": True}))
    assert make(server.base).request_json("GET", "/a", idempotent=True).body == {"b": True}
    assert server.requests(path="/b")[0].headers["authorization"] == f"Bearer {KEY}"


def test_post_redirect_is_not_followed(server, other):
    server.add("POST", "/create", Reply(307, headers={"Location": other.base + "/create"}))
    with pytest.raises(ConfigError, match="redirected"):
        make(server.base).request_json("POST", "/create", json={}, idempotent=False)
    assert other.seen == []


def test_redirect_to_plain_http_elsewhere_is_refused(server):
    server.add("GET", "/a", Reply(302, headers={"Location": "http://example.com/x"}))
    with pytest.raises(BadResponse, match="plain http"):
        make(server.base).download(server.base + "/a")


def test_missing_key_is_a_config_error_and_nothing_is_sent(server):
    with pytest.raises(ConfigError, match="TEST_API_KEY"):
        make(server.base, key="").request_json("GET", "/x", idempotent=True)
    assert server.seen == []


# --- retries -----------------------------------------------------------------------------------------
def test_read_requests_retry_5xx_with_growing_backoff(server):
    server.add("GET", "/s", Reply(503), Reply(502), Reply(json={"done": True}))
    sleeps = Sleeps()
    assert make(server.base, sleeps=sleeps).request_json("GET", "/s", idempotent=True).body == {"done": True}
    assert len(server.seen) == 3 and len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # exponential with jitter


def test_read_requests_give_up_after_the_attempt_limit(server):
    server.add("GET", "/s", Reply(500, json={"error": "boom"}))
    sleeps = Sleeps()
    with pytest.raises(ServerError, match="boom"):
        make(server.base, sleeps=sleeps, retry=RetryPolicy(attempts=3)).request_json(
            "GET", "/s", idempotent=True
        )
    assert len(server.seen) == 3 and len(sleeps) == 2


def test_total_time_cap_stops_retrying(server):
    server.add("GET", "/s", Reply(503))
    sleeps = Sleeps()
    policy = RetryPolicy(attempts=10, base_delay=4.0, max_delay=60, total_cap=10.0)
    with pytest.raises(ServerError):
        make(server.base, sleeps=sleeps, retry=policy, clock=sleeps.clock).request_json(
            "GET", "/s", idempotent=True
        )
    assert sum(sleeps) <= 10.0 and len(server.seen) == len(sleeps) + 1 < 10


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({"ratelimit-reset": "3"}, 3.0),
    ],
)
def test_429_honours_the_server_wait(server, headers, expected):
    server.add("GET", "/r", Reply(429, headers=headers, json={"error": "slow down"}), Reply(json={}))
    sleeps = Sleeps()
    make(server.base, sleeps=sleeps).request_json("GET", "/r", idempotent=True)
    assert sleeps == [pytest.approx(expected)]


def test_retry_after_http_date():
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after({"retry-after": when}) <= 31
    assert parse_retry_after({"retry-after": "garbage"}) is None
    assert parse_retry_after({}) is None


def test_long_retry_after_goes_up_to_the_job_layer(server):
    server.add("GET", "/r", Reply(429, headers={"Retry-After": "600"}, json={"error": "wait"}))
    sleeps = Sleeps()
    with pytest.raises(RateLimited) as e:
        make(server.base, sleeps=sleeps).request_json("GET", "/r", idempotent=True)
    assert e.value.retry_after == 600 and sleeps == [] and len(server.seen) == 1


def test_create_is_retried_after_429_because_a_rejection_is_not_billed(server):
    server.add(
        "POST", "/c", Reply(429, headers={"Retry-After": "1"}, json={"error": "busy"}), Reply(json={"id": 1})
    )
    sleeps = Sleeps()
    assert make(server.base, sleeps=sleeps).request_json("POST", "/c", json={}, idempotent=False).body == {
        "id": 1
    }
    assert len(server.requests("POST")) == 2 and sleeps == [1.0]


@pytest.mark.parametrize("status,error", [(500, ServerError), (503, ServerError)])
def test_create_is_not_retried_after_a_server_error(server, status, error):
    server.add("POST", "/c", Reply(status, json={"error": "down"}))
    with pytest.raises(error):
        make(server.base).request_json("POST", "/c", json={}, idempotent=False)
    assert len(server.seen) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_create_through_a_failing_gateway_is_unknown(server, status):
    server.add("POST", "/c", Reply(status, body=b"<html>Bad Gateway</html>"))
    with pytest.raises(SubmissionUnknown, match=f"HTTP {status}"):
        make(server.base).request_json("POST", "/c", json={}, idempotent=False)
    assert len(server.seen) == 1


def test_create_dropped_after_sending_is_unknown_and_not_resent(server):
    server.add("POST", "/c", Reply(drop=True))
    with pytest.raises(SubmissionUnknown, match="dropped the connection after the edit was sent"):
        make(server.base).request_json("POST", "/c", json={"prompt": "x"}, idempotent=False)
    assert len(server.seen) == 1


def test_read_request_dropped_is_retried(server):
    server.add("GET", "/g", Reply(drop=True), Reply(json={"ok": True}))
    assert make(server.base).request_json("GET", "/g", idempotent=True).body == {"ok": True}
    assert len(server.seen) == 2


def test_create_read_timeout_is_unknown(server):
    server.add("POST", "/slow", Reply(delay=2.0, json={}))
    with pytest.raises(SubmissionUnknown, match="did not answer in time"):
        make(server.base, read_timeout=0.3).request_json("POST", "/slow", json={}, idempotent=False)
    assert len(server.seen) == 1


def test_read_timeout_on_a_read_request_is_a_timeout_error_after_retries(server):
    server.add("GET", "/slow", Reply(delay=1.0, json={}))
    with pytest.raises(RequestTimeout):
        make(server.base, read_timeout=0.2, retry=RetryPolicy(attempts=2)).request_json(
            "GET", "/slow", idempotent=True
        )
    assert len(server.seen) == 2


def test_create_to_a_closed_port_is_retried_because_nothing_was_sent():
    sleeps = Sleeps()
    t = make(f"http://127.0.0.1:{free_port()}", sleeps=sleeps, retry=RetryPolicy(attempts=3))
    with pytest.raises(NetworkError, match="Could not reach"):
        t.request_json("POST", "/c", json={}, idempotent=False)
    assert len(sleeps) == 2


def test_create_body_cut_short_is_unknown(server):
    server.add("POST", "/c", Reply(json={"id": "abc"}, short=100))
    with pytest.raises(SubmissionUnknown):
        make(server.base).request_json("POST", "/c", json={}, idempotent=False)


def test_read_body_cut_short_is_retried(server):
    server.add("GET", "/g", Reply(json={"id": "abc"}, short=100), Reply(json={"id": "abc"}))
    assert make(server.base).request_json("GET", "/g", idempotent=True).body == {"id": "abc"}


def test_creates_use_a_fresh_connection(server):
    server.add("GET", "/g", Reply(json={}))
    server.add("POST", "/c", Reply(json={}))
    t = make(server.base)
    t.request_json("GET", "/g", idempotent=True)
    t.request_json("POST", "/c", json={}, idempotent=False)
    t.request_json("GET", "/g", idempotent=True)
    # the pooled session kept one connection for the GETs; the POST used its own and closed it
    assert len(t.session.adapters["http://"].poolmanager.pools) == 1


# --- error mapping -----------------------------------------------------------------------------------
def err(server, status, body=None, headers=None, parser=None, method="POST", idempotent=False):
    server.add(
        method,
        "/e",
        Reply(
            status,
            json=body if not isinstance(body, bytes) else None,
            body=body if isinstance(body, bytes) else None,
            headers=headers or {},
        ),
    )
    with pytest.raises(Exception) as e:
        make(server.base, error_parser=parser, retry=RetryPolicy(attempts=1)).request_json(
            method, "/e", json={}, idempotent=idempotent
        )
    return e.value


def test_400_is_bad_input_with_the_provider_message_and_request_id(server):
    e = err(server, 400, {"error": "Invalid input for model"}, {"X-Request-Id": "req_42"})
    assert isinstance(e, BadInput) and "Invalid input for model" in str(e) and "req_42" in str(e)
    assert e.status == 400 and e.request_id == "req_42"


def test_422_validation_list(server):
    e = err(
        server,
        422,
        {"detail": [{"loc": ["body", "image_size"], "msg": "bad size", "type": "x"}]},
        {"x-fal-request-id": "fal-1"},
    )
    assert isinstance(e, BadInput) and "image_size: bad size" in str(e) and e.request_id == "fal-1"


def test_401_names_the_key_variable_and_never_the_key(server):
    e = err(server, 401, {"error": f"Invalid key {KEY}"})
    assert isinstance(e, AuthError) and "TEST_API_KEY" in str(e)
    assert KEY not in str(e)


def test_402_is_payment_required(server):
    e = err(server, 402, {"status": 402, "error": "payment required", "details": "balance too low"})
    assert isinstance(e, PaymentRequired) and "payment required" in str(e)


def test_openai_quota_429_is_payment_and_not_retried(server):
    body = {
        "error": {
            "message": "You exceeded your current quota",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
    server.add("POST", "/e", Reply(429, json=body))
    with pytest.raises(PaymentRequired, match="exceeded your current quota"):
        make(server.base, error_parser=openai_error_detail).request_json(
            "POST", "/e", json={}, idempotent=False
        )
    assert len(server.seen) == 1


def test_openai_moderation_is_its_own_error(server):
    body = {
        "error": {
            "message": "Your request was rejected by the safety system.",
            "type": "image_generation_user_error",
            "param": None,
            "code": "moderation_blocked",
        }
    }
    e = err(server, 400, body, parser=openai_error_detail)
    assert isinstance(e, ModerationBlocked) and "safety system" in str(e)


@pytest.mark.parametrize(
    "status,cls",
    [
        (404, ProviderError),
        (408, RequestTimeout),
        (429, RateLimited),
        (500, ServerError),
        (418, ProviderError),
    ],
)
def test_status_classes(server, status, cls):
    assert type(err(server, status, {"error": "x"})) is cls


def test_html_error_page_is_not_dumped_into_the_message(server):
    e = err(server, 500, b"<!DOCTYPE html><html><body>" + b"x" * 5000 + b"</body></html>")
    assert isinstance(e, ServerError) and "<html" not in str(e)
    assert str(e) == "TestAPI had a server error (HTTP 500). Try again later."


def test_malformed_json_from_a_read_is_bad_response(server):
    server.add("GET", "/j", Reply(body=b"{not json", headers={"Content-Type": "application/json"}))
    with pytest.raises(BadResponse, match="not JSON"):
        make(server.base, retry=RetryPolicy(attempts=1)).request_json("GET", "/j", idempotent=True)


def test_malformed_json_from_a_create_is_unknown(server):
    server.add("POST", "/j", Reply(body=b"<html>ok</html>"))
    with pytest.raises(SubmissionUnknown):
        make(server.base).request_json("POST", "/j", json={}, idempotent=False)


# --- caps --------------------------------------------------------------------------------------------
def test_json_cap_with_declared_length(server):
    server.add("GET", "/big", Reply(body=b"[" + b"1," * 600_000 + b"1]"))
    with pytest.raises(BadResponse, match="MB"):
        make(server.base, retry=RetryPolicy(attempts=1)).request_json(
            "GET", "/big", idempotent=True, max_bytes=1024 * 1024
        )


def test_download_cap_without_declared_length(server):
    server.add("GET", "/big", Reply(chunks=[b"x" * 300_000] * 8))
    with pytest.raises(BadResponse, match="more than 1 MB"):
        make(server.base, retry=RetryPolicy(attempts=1)).download(server.base + "/big", max_bytes=1024 * 1024)


@pytest.mark.parametrize("status", [403, 404, 410])
def test_expired_download_links(server, status):
    server.add("GET", "/gone.png", Reply(status, body=b"<Error>AccessDenied</Error>"))
    with pytest.raises(OutputExpired):
        make(server.base).download(server.base + "/gone.png")


def test_upload_reports_progress_and_storage_errors_are_not_key_errors(server):
    server.add("PUT", "/up", Reply(200), Reply(403, body=b"<Error>SignatureDoesNotMatch</Error>"))
    progress: list[float] = []
    t = make(server.base)
    t.upload(server.base + "/up", b"z" * 200_000, {"Content-Type": "image/png"}, progress=progress.append)
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) >= 2
    with pytest.raises(ProviderError, match="storage refused the upload"):
        t.upload(server.base + "/up", b"z", {"Content-Type": "image/png"})


# --- streams -----------------------------------------------------------------------------------------
def test_stream_delivers_events_as_they_arrive(server):
    chunks = [b"event: a\ndata: 1\n\n", b": ping\n\n", b"data: 2\r\n", b"\r\n", b"data: [DONE]\n\n"]
    server.add("POST", "/s", Reply(headers={"Content-Type": "text/event-stream"}, chunks=chunks, gap=0.05))
    with make(server.base).open_stream("POST", "/s", data={"stream": "true"}, idempotent=False) as s:
        assert s.is_sse
        events = list(s.events())
    assert [(e.event, e.data) for e in events] == [("a", "1"), ("message", "2"), ("message", "[DONE]")]
    assert server.seen[0].headers["accept"] == "text/event-stream"
    assert server.seen[0].headers["authorization"] == f"Bearer {KEY}"


def test_stream_errors_before_the_body_are_mapped(server):
    server.add("POST", "/s", Reply(400, json={"error": {"message": "bad", "code": "invalid_value"}}))
    with pytest.raises(BadInput, match="bad"):
        make(server.base, error_parser=openai_error_detail).open_stream("POST", "/s", idempotent=False)


def test_stream_stall_is_a_timeout_for_reads_and_unknown_for_creates(server):
    server.add(
        "GET",
        "/s",
        Reply(
            headers={"Content-Type": "text/event-stream"}, chunks=[b"data: 1\n\n", b"data: 2\n\n"], gap=1.5
        ),
    )
    with make(server.base, read_timeout=0.3).open_stream("GET", "/s", idempotent=True) as s:
        got = []
        with pytest.raises(RequestTimeout):
            for ev in s.events():
                got.append(ev.data)
        assert got == ["1"]
    server.add(
        "POST",
        "/s",
        Reply(
            headers={"Content-Type": "text/event-stream"}, chunks=[b"data: 1\n\n", b"data: 2\n\n"], gap=1.5
        ),
    )
    with make(server.base, read_timeout=0.3).open_stream("POST", "/s", idempotent=False) as s:
        with pytest.raises(SubmissionUnknown):
            list(s.events())


def test_non_sse_answer_to_a_stream_request_reads_as_json(server):
    server.add("POST", "/s", Reply(json={"data": []}))
    with make(server.base).open_stream("POST", "/s", idempotent=False) as s:
        assert not s.is_sse and s.json() == {"data": []}


# --- proxies and TLS ---------------------------------------------------------------------------------
def test_loopback_ignores_environment_proxies(server, monkeypatch):
    dead = f"http://127.0.0.1:{free_port()}"
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(var, dead)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.add("GET", "/p", Reply(json={"direct": True}))
    assert make(server.base).request_json("GET", "/p", idempotent=True).body == {"direct": True}


def test_ca_bundle_choice(monkeypatch, tmp_path):
    import certifi

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert ca_bundle() == certifi.where()
    corp = tmp_path / "corp.pem"
    corp.write_text("x")
    monkeypatch.setenv("SSL_CERT_FILE", str(corp))
    assert ca_bundle() == str(corp)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="REQUESTS_CA_BUNDLE"):
        ca_bundle()


@pytest.fixture
def tls_server(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = LoopbackServer(tls=ctx).start()
    server.add("GET", "/t", Reply(json={"tls": True}))
    yield server, cert
    server.stop()


def test_tls_is_verified_and_a_corporate_ca_can_be_named(tls_server, monkeypatch):
    server, cert = tls_server
    base = server.base
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(NetworkError, match="certificate"):
        make(base).request_json("GET", "/t", idempotent=True)
    assert server.seen == []  # refused during the handshake: nothing was sent
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert make(base).request_json("GET", "/t", idempotent=True).body == {"tls": True}
    assert server.seen[0].headers["authorization"] == f"Bearer {KEY}"
