"""The job ledger: every job and every state change, in stdlib sqlite3 under the user data folder.

A row is written before the provider is asked and at every transition after, and results are saved as
files before anything else uses them, so a crash, a closed document or a killed host loses nothing already
paid for. Krita, GIMP and the command line share the file; sqlite's locking and WAL keep them apart.

Each job carries its `JobContext` (where it came from, where its answer goes) and, beside its results, the
selection it was made with (`save_selection` / `load_selection`) and the region it sent (`save_sent` /
`load_sent`), so any front end can insert it again, corrected for drift like a fresh answer."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import GptEditError
from .geometry import Box
from .job_context import JobContext
from .models import JobState, RemoteHandle
from .paths import ledger_path, results_dir
from .pngio import PngError, decode_png, encode_png
from .seam.reduce import CHANNELS, RGB_ORDER

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    origin TEXT NOT NULL,
    provider TEXT NOT NULL,
    protocol TEXT NOT NULL,
    model TEXT NOT NULL,
    base_url TEXT NOT NULL,
    state TEXT NOT NULL,
    prompt TEXT NOT NULL,
    request TEXT NOT NULL,
    handle TEXT,
    remote_status TEXT,
    error_kind TEXT,
    error TEXT,
    estimate_low REAL,
    estimate_high REAL,
    cost REAL,
    usage TEXT,
    context TEXT,
    results TEXT,
    batch TEXT,
    owner TEXT,
    heartbeat REAL,
    seam TEXT,
    took REAL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL,
    at REAL NOT NULL,
    state TEXT NOT NULL,
    message TEXT
);
CREATE INDEX IF NOT EXISTS events_job ON events(job_id);
"""

#: An owner that has not written a heartbeat for this long is considered gone (crashed or killed).
STALE_AFTER = 45.0
#: the saved selection beside a job's results: zlib-compressed, 1 byte of selectedness (0–255) per pixel of
#: the context box, rows top to bottom
SELECTION_FILE = "selection.zlib"
#: what Krita wrote before: the same bytes, uncompressed
_OLD_KRITA_SELECTION = "selection.gray"
#: the region a job with a selection sent, as its answer is measured against it (seam correction): an 8-bit
#: RGB PNG at the size the front end measures at (Krita: the region's own size; GIMP: the size it was sent
#: at; the command line: the input picture). One per job, written before the create request.
SENT_FILE = "sent.png"
#: zlib level of SENT_FILE: the fastest; the file is read back once or twice and then only sits on disk
_SENT_LEVEL = 1


@dataclass(frozen=True)
class SentRegion:
    """A picture of the region a job sent: `pixels` row-major, `layout` "RGB", "RGBA" or "BGRA"."""

    width: int
    height: int
    pixels: bytes
    layout: str = "RGB"

    def as_layout(self, layout: str) -> SentRegion:
        """The same picture in another layout (alpha, when asked for, is opaque: only colours are kept)."""
        if layout == self.layout:
            return self
        if layout not in RGB_ORDER or self.layout not in RGB_ORDER:
            raise ValueError(f"Unknown pixel layout {layout!r}; use one of {', '.join(RGB_ORDER)}.")
        # the seam code's own tables of where red, green and blue sit in each layout, and its pixel size
        src, src_step = RGB_ORDER[self.layout], CHANNELS[self.layout]
        dst, dst_step = RGB_ORDER[layout], CHANNELS[layout]
        n = self.width * self.height
        out = bytearray(b"\xff" * (n * dst_step)) if dst_step == 4 else bytearray(n * dst_step)
        for s_at, d_at in zip(src, dst, strict=True):
            out[d_at::dst_step] = self.pixels[s_at::src_step]
        return SentRegion(self.width, self.height, bytes(out), layout)


@dataclass
class JobRecord:
    id: str
    origin: str
    provider: str
    protocol: str
    model: str
    base_url: str
    prompt: str
    state: JobState = JobState.QUEUED
    request: dict = field(default_factory=dict)
    handle: RemoteHandle | None = None
    remote_status: str = ""
    error_kind: str = ""
    error: str = ""
    estimate_low: float | None = None
    estimate_high: float | None = None
    cost: float | None = None
    usage: dict | None = None
    context: JobContext = field(default_factory=JobContext)
    results: list[str] = field(default_factory=list)
    batch: str = ""
    owner: str = ""
    heartbeat: float = 0.0
    #: what the seam correction did to the inserted answer (gptedit.seam.correct.SeamReport.to_json())
    seam: dict | None = None
    #: seconds the provider took from accepting the job to finishing it (successful polled jobs only): the
    #: poll schedule of later jobs like this one is learned from it
    took: float | None = None
    created: float = 0.0
    updated: float = 0.0

    @property
    def result_paths(self) -> list[Path]:
        return [Path(p) for p in self.results]

    @property
    def can_resume(self) -> bool:
        """Known to the provider and not finished: polling it again is safe and free."""
        if self.handle is None or self.protocol == "openai":
            return False
        if self.state.resumable:
            return True
        # Gave up waiting or lost the network: the remote job may well have finished since.
        return self.state is JobState.FAILED and self.error_kind in (
            "deadline",
            "network",
            "timeout",
            "server",
        )


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str, heartbeat: float, now: float | None = None) -> bool:
    if not owner:
        return False
    now = time.time() if now is None else now
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and os.name == "posix":
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        # The pid lives, but pids are reused: trust it only with a fresh heartbeat.
    return now - heartbeat < STALE_AFTER


class Ledger:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else ledger_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as c:
            c.executescript(_SCHEMA)
            _add_missing_columns(c)

    # One connection per thread: sqlite3 connections must not cross threads.
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            conn.row_factory = sqlite3.Row
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                pass  # e.g. a network filesystem; the default journal still keeps writes atomic
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- writing -------------------------------------------------------------------------------------
    def create(self, rec: JobRecord) -> JobRecord:
        now = time.time()
        rec.id = rec.id or uuid.uuid4().hex
        rec.created = rec.updated = now
        rec.owner = rec.owner or owner_id()
        rec.heartbeat = now
        row = _to_row(rec)
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._conn() as c:
            c.execute(f"INSERT INTO jobs ({cols}) VALUES ({marks})", list(row.values()))
            c.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (rec.id, now, rec.state.value, "created"))
        return rec

    def update(self, job_id: str, *, state: JobState | None = None, message: str = "", **fields) -> JobRecord:
        """Change fields, and when `state` is given record the transition in the events table."""
        now = time.time()
        values = {"updated": now, "heartbeat": now}
        if state is not None:
            values["state"] = state.value
        for k, v in fields.items():
            values[k] = _encode(k, v)
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._conn() as c:
            cur = c.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [*values.values(), job_id])
            if cur.rowcount != 1:
                raise GptEditError(f"Job {job_id} is not in the ledger.")
            if state is not None:
                c.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (job_id, now, state.value, message))
        return self.get(job_id)

    def heartbeat(self, job_id: str) -> None:
        with self._conn() as c:
            c.execute("UPDATE jobs SET heartbeat = ? WHERE id = ?", (time.time(), job_id))

    def claim(self, job_id: str, *, force: bool = False) -> bool:
        """Become the process that drives this job, unless a live one already does."""
        me = owner_id()
        with self._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                row = c.execute("SELECT owner, heartbeat FROM jobs WHERE id = ?", (job_id,)).fetchone()
                if row is None:
                    raise GptEditError(f"Job {job_id} is not in the ledger.")
                if not force and row["owner"] != me and owner_alive(row["owner"], row["heartbeat"] or 0):
                    c.execute("ROLLBACK")
                    return False
                c.execute("UPDATE jobs SET owner = ?, heartbeat = ? WHERE id = ?", (me, time.time(), job_id))
                c.execute("COMMIT")
                return True
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise

    def release(self, job_id: str) -> None:
        with self._conn() as c:
            c.execute("UPDATE jobs SET owner = '' WHERE id = ? AND owner = ?", (job_id, owner_id()))

    def save_result(self, job_id: str, index: int, data: bytes, ext: str) -> Path:
        """Write one result durably (temp file, fsync, rename) before anyone uses it."""
        return _write_durably(job_id, f"result-{index + 1}.{ext}", data)

    def save_selection(self, job_id: str, mask: bytes) -> Path:
        """Keep the selection a job was made with beside its results (1 byte per pixel of its context box),
        durably, so the answer can be masked again by any front end, even after a crash."""
        return _write_durably(job_id, SELECTION_FILE, zlib.compress(bytes(mask), 6))

    def save_sent(self, job_id: str, region: SentRegion) -> Path:
        """Keep the region a job sent (SENT_FILE), durably, before the create request: an answer fetched
        later (resumed after a crash, inserted from History or Recent results) is then measured and
        corrected against it like a fresh one."""
        rgb = region.as_layout("RGB")
        png = encode_png(rgb.width, rgb.height, rgb.pixels, 3, level=_SENT_LEVEL, filter_type=2)
        return _write_durably(job_id, SENT_FILE, png)

    def load_sent(self, job: JobRecord, layout: str = "RGB") -> SentRegion | None:
        """The region the job sent, in `layout`, or None: a job from before it was kept, one without a
        selection (nothing to correct), or a file that is gone or damaged."""
        try:
            image = decode_png((results_dir() / job.id / SENT_FILE).read_bytes())
        except (OSError, PngError):
            return None
        if image.channels != 3:
            return None  # not a file this module wrote
        return SentRegion(image.width, image.height, image.pixels).as_layout(layout)

    def load_selection(self, job: JobRecord, box: Box | None = None) -> bytes | None:
        """The saved selection over `box` (default: the job's context box), or None: no selection, the file
        is gone, or it does not fit the box (better no mask than a misplaced one). Also reads what Krita and
        GIMP saved before the format was shared."""
        box = box or job.context.context_box
        if box is None:
            return None
        folder = results_dir() / job.id
        candidates = [(folder / SELECTION_FILE, True), (folder / _OLD_KRITA_SELECTION, False)]
        if job.context.legacy_mask_file:
            candidates.append((Path(job.context.legacy_mask_file), True))
        for path, packed in candidates:
            try:
                data = path.read_bytes()
                data = zlib.decompress(data) if packed else data
            except (OSError, zlib.error):
                continue
            return data if len(data) == box.area else None
        return None

    def delete(self, job_id: str) -> None:
        with self._conn() as c:
            c.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            c.execute("DELETE FROM events WHERE job_id = ?", (job_id,))

    def adopt(self, job_id: str, handle: RemoteHandle, message: str) -> JobRecord | None:
        """An unknown job found at its provider becomes an ordinary submitted job with that handle. Only
        from `unknown`: another program that got there first wins, and None says so."""
        now = time.time()
        with self._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                cur = c.execute(
                    "UPDATE jobs SET state = ?, handle = ?, error_kind = '', error = '', owner = '', "
                    "updated = ?, heartbeat = ? WHERE id = ? AND state = ?",
                    (
                        JobState.SUBMITTED.value,
                        json.dumps(handle.to_json()),
                        now,
                        now,
                        job_id,
                        JobState.UNKNOWN.value,
                    ),
                )
                if cur.rowcount == 1:
                    c.execute(
                        "INSERT INTO events VALUES (?, ?, ?, ?)",
                        (job_id, now, JobState.SUBMITTED.value, message),
                    )
                c.execute("COMMIT")
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise
        return self.get(job_id) if cur.rowcount == 1 else None

    # --- reading -------------------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRecord:
        row = self._conn().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            # Allow the short prefixes `jobs list` prints.
            rows = self._conn().execute("SELECT * FROM jobs WHERE id LIKE ?", (job_id + "%",)).fetchall()
            if len(rows) != 1:
                raise GptEditError(
                    f"No job {job_id!r} in the ledger." if not rows else f"{job_id!r} matches several jobs."
                )
            row = rows[0]
        return _from_row(row)

    def list(
        self, *, limit: int = 50, states: tuple[JobState, ...] = (), origin: str = "", batch: str = ""
    ) -> list[JobRecord]:
        where, args = [], []
        if states:
            where.append("state IN ({})".format(", ".join("?" for _ in states)))
            args += [s.value for s in states]
        if origin:
            where.append("origin = ?")
            args.append(origin)
        if batch:
            where.append("batch = ?")
            args.append(batch)
        sql = "SELECT * FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC LIMIT ?"
        args.append(limit)
        return [_from_row(r) for r in self._conn().execute(sql, args).fetchall()]

    def events(self, job_id: str) -> list[tuple[float, str, str]]:
        rows = (
            self._conn()
            .execute("SELECT at, state, message FROM events WHERE job_id = ? ORDER BY at, rowid", (job_id,))
            .fetchall()
        )
        return [(r["at"], r["state"], r["message"] or "") for r in rows]

    def sending_window(self, job_id: str) -> tuple[float, float] | None:
        """(when the create started to leave, when the job next changed state) from the events: the create
        of a job that became unknown reached the provider, if at all, between the two."""
        events = self.events(job_id)
        starts = [i for i, (_, state, _) in enumerate(events) if state == JobState.SUBMITTING.value]
        if not starts:
            return None
        first = starts[-1]
        after = [at for at, state, _ in events[first + 1 :] if state != JobState.SUBMITTING.value]
        return events[first][0], (after[0] if after else time.time())

    def known_remote_ids(self, protocol: str, since: float = 0.0) -> set[str]:
        """Remote ids the ledger already follows on this API: never another job's candidate."""
        rows = (
            self._conn()
            .execute(
                "SELECT handle FROM jobs WHERE protocol = ? AND handle IS NOT NULL AND created >= ?",
                (protocol, since),
            )
            .fetchall()
        )
        ids = set()
        for row in rows:
            try:
                ids.add(json.loads(row["handle"])["remote_id"])
            except (ValueError, KeyError, TypeError):
                continue
        return ids

    def durations(
        self, protocol: str, base_url: str, model: str, quality: str, size: str, limit: int = 20
    ) -> list[float]:
        """How long the latest successful jobs of this model, quality and size took at this API (seconds
        from acceptance to finish), newest first."""
        rows = (
            self._conn()
            .execute(
                "SELECT took, request FROM jobs WHERE protocol = ? AND base_url = ? AND model = ? "
                "AND took IS NOT NULL ORDER BY created DESC LIMIT 500",
                (protocol, base_url, model),
            )
            .fetchall()
        )
        out = []
        for row in rows:
            try:
                req = json.loads(row["request"] or "{}")
            except ValueError:
                continue
            if req.get("quality") == quality and req.get("size") == size:
                out.append(float(row["took"]))
                if len(out) >= limit:
                    break
        return out

    def accepted_at(self, job_id: str) -> float | None:
        """Wall time the provider accepted the job (its latest `submitted` event), if it did."""
        row = (
            self._conn()
            .execute(
                "SELECT MAX(at) AS at FROM events WHERE job_id = ? AND state = ?",
                (job_id, JobState.SUBMITTED.value),
            )
            .fetchone()
        )
        return row["at"] if row and row["at"] is not None else None

    def orphans(self) -> list[JobRecord]:
        """Unfinished jobs whose driving process is gone: to resume, or to flag as unknown."""
        active = (JobState.QUEUED, JobState.SUBMITTING, JobState.SUBMITTED, JobState.RUNNING)
        return [j for j in self.list(limit=1000, states=active) if not owner_alive(j.owner, j.heartbeat)]


def _write_durably(job_id: str, name: str, data: bytes) -> Path:
    """`data` as `name` in the job's folder: a temp file, fsync, then rename, so a crash leaves the old file
    or the new one, never half of one."""
    folder = results_dir() / job_id
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    tmp = folder / f".{name}.part"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


#: columns added after the first release, with their types: a ledger written by an older version gets them
#: on first open (sqlite's ADD COLUMN keeps every row; old rows read as NULL)
_ADDED_COLUMNS = {"seam": "TEXT", "took": "REAL"}


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    have = {r["name"] for r in conn.execute("PRAGMA table_info(jobs)").fetchall()}
    for name, kind in _ADDED_COLUMNS.items():
        if name not in have:
            try:
                conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError:
                pass  # another process added it a moment ago


_JSON_FIELDS = ("request", "handle", "usage", "context", "results", "seam")


def _encode(key: str, value):
    if key == "state" and isinstance(value, JobState):
        return value.value
    if key == "handle" and isinstance(value, RemoteHandle):
        return json.dumps(value.to_json())
    if key == "context" and isinstance(value, JobContext):
        return json.dumps(value.to_json())
    if key in _JSON_FIELDS:
        return None if value is None else json.dumps(value)
    return value


def _to_row(rec: JobRecord) -> dict:
    d = {}
    for name in JobRecord.__dataclass_fields__:
        d[name] = _encode(name, getattr(rec, name))
    return d


def _from_row(row: sqlite3.Row) -> JobRecord:
    d = dict(row)
    handle = json.loads(d["handle"]) if d.get("handle") else None
    return JobRecord(
        id=d["id"],
        origin=d["origin"],
        provider=d["provider"],
        protocol=d["protocol"],
        model=d["model"],
        base_url=d["base_url"],
        prompt=d["prompt"],
        state=JobState(d["state"]),
        request=json.loads(d["request"] or "{}"),
        handle=RemoteHandle.from_json(handle) if handle else None,
        remote_status=d.get("remote_status") or "",
        error_kind=d.get("error_kind") or "",
        error=d.get("error") or "",
        estimate_low=d.get("estimate_low"),
        estimate_high=d.get("estimate_high"),
        cost=d.get("cost"),
        usage=json.loads(d["usage"]) if d.get("usage") else None,
        context=JobContext.from_json(json.loads(d["context"]) if d.get("context") else {}),
        results=json.loads(d["results"]) if d.get("results") else [],
        batch=d.get("batch") or "",
        owner=d.get("owner") or "",
        heartbeat=d.get("heartbeat") or 0.0,
        seam=json.loads(d["seam"]) if d.get("seam") else None,
        took=d.get("took"),
        created=d["created"],
        updated=d["updated"],
    )
