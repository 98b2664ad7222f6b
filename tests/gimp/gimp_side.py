"""Runs INSIDE a real GIMP (python-fu-eval batch code), never imported by pytest.

The test prepends hostenv's GIMP_PRELUDE (imports, call_procedure) and appends `run_cases(...)`. Each case
builds an image, calls the installed plug-in's procedures NON-INTERACTIVELY exactly as a script would, and
writes what it saw — statuses, messages, the layer tree, raw composites before and after — into OUT/, so the
test outside computes the expected pixels itself (nothing here decides whether a case passed).
"""
# ruff: noqa: F821  (Gimp, Gegl, GLib come from the prelude)

import json
import os
import random
import re
import time
import traceback
import urllib.request

P = json.load(open(os.environ["GPTEDIT_TEST_PARAMS"]))
OUT = P["out"]
EDIT, RECENT, SETTINGS = "python-fu-gptedit", "python-fu-gptedit-recent", "python-fu-gptedit-settings"
Gegl.init(None)


def sandbox(what, body=None):
    """The sandbox's control endpoint (it runs outside the chroot on the shared loopback)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        P["api"] + "/_sandbox/" + what,
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST" if data else "GET",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


class hooks:
    """Ask the person at the plug-in's dialogs (tests/gimp/plugin_seams.py) for something during the next
    calls."""

    def __init__(self, **wanted):
        self.path = os.environ["GPTEDIT_GIMP_TEST_HOOK_FILE"]  # GIMP passes its environment to plug-ins
        # the progress window's closing seam report lingers only briefly in tests
        self.wanted = {"result_linger": 0.3, **wanted}

    def __enter__(self):
        with open(self.path, "w") as fh:
            json.dump(self.wanted, fh)
        return self

    def __exit__(self, *exc):
        os.remove(self.path)


def pattern(w, h, channels, seed):
    """Deterministic pixels with variety in every channel (a mistake in placement shows up)."""
    out = bytearray(w * h * channels)
    i = 0
    for y in range(h):
        for x in range(w):
            for c in range(channels):
                out[i] = (x * (3 + c + seed) + y * (5 + 2 * c) + seed * 37 + c * 50) % 251
                i += 1
    return bytes(out)


def new_image(w, h, base="rgb", precision=None):
    kind = {"rgb": Gimp.ImageBaseType.RGB, "gray": Gimp.ImageBaseType.GRAY}[base]
    if precision:
        return Gimp.Image.new_with_precision(w, h, kind, getattr(Gimp.Precision, precision))
    return Gimp.Image.new(w, h, kind)


def add_layer(img, name, w, h, off=(0, 0), alpha=False, seed=1, alpha_pattern=False, position=0):
    gray = img.get_base_type() == Gimp.ImageBaseType.GRAY
    types = {
        (False, False): Gimp.ImageType.RGB_IMAGE,
        (False, True): Gimp.ImageType.RGBA_IMAGE,
        (True, False): Gimp.ImageType.GRAY_IMAGE,
        (True, True): Gimp.ImageType.GRAYA_IMAGE,
    }
    layer = Gimp.Layer.new(img, name, w, h, types[(gray, alpha)], 100.0, Gimp.LayerMode.NORMAL)
    img.insert_layer(layer, None, position)
    layer.set_offsets(*off)
    rgba = bytearray(pattern(w, h, 4, seed))
    if not alpha_pattern:
        rgba[3::4] = b"\xff" * (w * h)
    else:  # stripes of transparent, half and opaque pixels
        rgba[3::4] = bytes((0, 128, 255)[(i % w) // 7 % 3] for i in range(w * h))
    buf = layer.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, w, h), "R'G'B'A u8", bytes(rgba))
    buf.flush()
    layer.update(0, 0, w, h)
    return layer


def composite(img):
    """The visible image as RGBA u8, read through a layer made from the projection (never inserted)."""
    v = Gimp.Layer.new_from_visible(img, img, "probe")
    data = bytes(
        v.get_buffer().get(
            Gegl.Rectangle.new(0, 0, img.get_width(), img.get_height()),
            1.0,
            "R'G'B'A u8",
            Gegl.AbyssPolicy.NONE,
        )
    )
    v.delete()
    return data


def dump(case, name, data):
    os.makedirs(os.path.join(OUT, case), exist_ok=True)
    with open(os.path.join(OUT, case, name), "wb") as fh:
        fh.write(data)


def info(layer):
    if layer is None:
        return None
    _, x, y = layer.get_offsets()
    img = layer.get_image()
    if not layer.is_layer():  # a layer mask or channel handed in as the drawable
        return {
            "name": layer.get_name(),
            "x": x,
            "y": y,
            "w": layer.get_width(),
            "h": layer.get_height(),
            "kind": type(layer).__name__,
        }
    parent = layer.get_parent()
    out = {
        "name": layer.get_name(),
        "x": x,
        "y": y,
        "w": layer.get_width(),
        "h": layer.get_height(),
        "visible": layer.get_visible(),
        "group": layer.is_group(),
        "has_mask": layer.get_mask() is not None,
        "alpha": layer.has_alpha(),
        "bpp": layer.get_bpp(),
        "position": img.get_item_position(layer),
        "parent": parent.get_name() if parent else None,
    }
    if layer.is_group():
        out["children"] = [info(c) for c in layer.get_children()]
    return out


def tree(img):
    return [info(layer) for layer in img.get_layers()]


def pixels_of(layer):
    return bytes(
        layer.get_buffer().get(
            Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()),
            1.0,
            "R'G'B'A u8",
            Gegl.AbyssPolicy.NONE,
        )
    )


def mask_of(layer):
    m = layer.get_mask()
    return bytes(
        m.get_buffer().get(
            Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()),
            1.0,
            "Y u8",
            Gegl.AbyssPolicy.NONE,
        )
    )


def call(name, run_mode, image=None, drawables=None, **props):
    """Like the prelude's call_procedure, in any run mode (INTERACTIVE shows our dialogs in GUI GIMP)."""
    proc = Gimp.get_pdb().lookup_procedure(name)
    if proc is None:
        raise RuntimeError(f"procedure {name!r} is not registered")
    cfg = proc.create_config()
    cfg.set_property("run-mode", run_mode)
    if image is not None:
        cfg.set_property("image", image)
    if drawables is not None:
        cfg.set_core_object_array("drawables", list(drawables))
    for key, value in props.items():
        cfg.set_property(key.replace("_", "-"), value)
    res = proc.run(cfg)
    return res.index(0), [res.index(i) for i in range(1, res.length())]


def edit(case, img, drawable, prompt, procedure=EDIT, run_mode=None, **props):
    """Call a procedure the way a script does; record everything a test needs."""
    before = composite(img)
    layers_before = len(img.get_layers())
    source = info(drawable) if drawable is not None else None
    if drawable is not None:
        dump(case, "source.rgba", pixels_of(drawable))
    if procedure == EDIT:
        props["prompt"] = prompt
    status, values = call(
        procedure,
        Gimp.RunMode.NONINTERACTIVE if run_mode is None else run_mode,
        image=img,
        drawables=[drawable] if drawable else [],
        **props,
    )
    rep = {
        "source": source,
        "status": int(status),
        "values": [v if isinstance(v, (str, int, float)) or v is None else repr(v) for v in values],
    }
    rep["message"] = (
        values[0] if values and isinstance(values[0], str) else (values[2] if len(values) > 2 else "")
    )
    new = values[0] if values and not isinstance(values[0], str) else None
    if img.is_valid():
        rep["tree"] = tree(img)
        rep["layers_before"] = layers_before
        rep["precision"] = int(img.get_precision())
        dump(case, "before.rgba", before)
        dump(case, "after.rgba", composite(img))
        rep["size"] = [img.get_width(), img.get_height()]
    if new is not None and new.is_valid():
        rep["new"] = info(new)
        rep["job"] = values[1]
        if not new.is_group():
            dump(case, "new.rgba", pixels_of(new))
        if new.get_mask() is not None:
            dump(case, "mask.y", mask_of(new))
    return rep


# --- cases --------------------------------------------------------------------------------------------


def case_layer(
    case,
    base="rgb",
    precision=None,
    alpha=False,
    alpha_pattern=False,
    prompt="[invert] negative",
    sel=(0, 10, 50, 30),
    canvas=(120, 80),
    **props,
):
    img = new_image(*canvas, base=base, precision=precision)
    layer = add_layer(img, "source", *canvas, alpha=alpha, alpha_pattern=alpha_pattern)
    if sel:
        img.select_rectangle(Gimp.ChannelOps.REPLACE, *sel)
    return img, edit(case, img, layer, prompt, **props)


def case_offset(case, prompt, top=(70, 50, 30, 20), sel=(40, 50, 60, 30)):
    """A background plus a smaller RGBA layer at an offset (the one edited)."""
    img = new_image(120, 80)
    add_layer(img, "background", 120, 80, seed=2)
    w, h, x, y = top
    layer = add_layer(img, "top", w, h, off=(x, y), alpha=True, seed=5)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, *sel)
    rep = edit(case, img, layer, prompt)
    rep["source_box"] = [x, y, w, h]
    return img, rep


def run_cases(names):
    report = {"gimp": Gimp.version(), "cases": {}}
    for name in names:
        started = time.monotonic()
        try:
            img, rep = CASES[name](name)
            if img is not None and img.is_valid():
                img.delete()
        except Exception:
            rep = {"crash": traceback.format_exc()}
        rep["seconds"] = round(time.monotonic() - started, 2)
        report["cases"][name] = rep
        with open(os.path.join(OUT, "report.json"), "w") as fh:
            json.dump(report, fh, indent=1)


def _indexed(case):
    img = new_image(40, 30)
    layer = add_layer(img, "source", 40, 30)
    img.convert_indexed(Gimp.ConvertDitherType.NONE, Gimp.ConvertPaletteType.GENERATE, 16, False, False, "")
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 5, 5, 20, 10)
    return img, edit(case, img, layer, "[invert] x")


def _faulty(case, outcome=None, fault=None):
    if outcome:
        sandbox("config", {"outcome": outcome})
    if fault:
        sandbox("faults", {"provider": "eachlabs", "op": fault[0], "fault": fault[1]})
    try:
        return case_layer(case, prompt="[invert] should fail")
    finally:
        sandbox("config", {"outcome": "success"})


def _deleted_layer(case):
    """The user deletes the edited layer while the job runs (plugin_seams.py does it for them):
    nothing is inserted, the result stays in the ledger and is inserted later with the recent procedure."""
    with hooks(delete_layer=True):
        img, rep = case_layer(case, prompt="[invert] layer deleted meanwhile")
    found = re.search(r"job ([0-9a-f]{8})", rep.get("message") or "")  # what a person would copy
    rep["recent"] = _insert_later(case, found.group(1) if found else "")
    return img, rep


def _insert_later(case, job):
    img = new_image(120, 80)
    layer = add_layer(img, "source", 120, 80)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 10, 50, 30)
    rep = edit(case + "-recent", img, layer, "", procedure=RECENT, job_id=job, action="insert")
    img.delete()
    return rep


def _image_gone(case):
    """A finished job whose image has been closed since: asked to insert "where it came from", the recent
    procedure says the image is gone and how to insert the result; given an image, it inserts there."""
    img, rep = case_layer(case, prompt="[invert] for an image closed later")
    job = rep.get("job", "")
    img.delete()
    status, values = call(
        RECENT, Gimp.RunMode.NONINTERACTIVE, image=None, drawables=[], job_id=job, action="insert"
    )
    rep["orphan"] = {
        "status": int(status),
        "message": values[0] if values and isinstance(values[0], str) else "",
    }
    rep["recent"] = _insert_later(case, job)
    return None, rep


def _killed(case):
    """The plug-in process is killed (by the test, outside) while it waits; the recent-results procedure
    then resumes the job from the ledger and inserts it into the same image."""
    sandbox("config", {"hold": "processing"})  # the job cannot end before the test has killed the plug-in
    try:
        img, rep = case_layer(case, prompt="[invert] kill me")
    finally:
        sandbox("config", {"hold": None})
    killed = os.path.join(OUT, "killed-job")
    job = open(killed).read().strip() if os.path.exists(killed) else ""
    rep["killed_job"] = job
    layer = [x for x in img.get_layers() if x.get_name() == "source"][0]
    rep["recent"] = edit(case + "-recent", img, layer, "", procedure=RECENT, job_id=job, action="resume")
    return img, rep


def _deadline(case):
    """Giving up after `deadline` seconds leaves the job resumable; the recent procedure picks it up."""
    sandbox("config", {"latency": 4.0})
    try:
        img, rep = case_layer(case, prompt="[invert] slow one", deadline=1)
    finally:
        sandbox("config", {"latency": P["latency"]})
    found = re.search(r"job ([0-9a-f]{8}), Resume", rep.get("message") or "")
    layer = [x for x in img.get_layers() if x.get_name() == "source"][0]
    rep["recent"] = edit(
        case + "-recent",
        img,
        layer,
        "",
        procedure=RECENT,
        job_id=found.group(1) if found else "",
        action="resume",
    )
    return img, rep


def _cli_job(case):
    """A job the command line made (no GIMP placement): inserted at the top-left at its own size."""
    img = new_image(600, 560)
    layer = add_layer(img, "source", 600, 560)
    return img, edit(case, img, layer, "", procedure=RECENT, job_id=P["cli_job"], action="insert")


def _lost_cli_job(case):
    """A command-line job killed mid-create at Replicate: the recent procedure's sweep finds the prediction,
    then the job resumes and inserts like any other."""
    img = new_image(600, 560)
    layer = add_layer(img, "source", 600, 560)
    return img, edit(case, img, layer, "", procedure=RECENT, job_id=P["lost_cli_job"], action="insert")


def _krita_job(case):
    """A job the Krita plugin made: inserted from Recent results at its context box, with its selection."""
    img = new_image(*P["krita_canvas"])
    layer = add_layer(img, "source", *P["krita_canvas"])
    return img, edit(case, img, layer, "", procedure=RECENT, job_id=P["krita_job"], action="insert")


def _listing(case):
    img = new_image(20, 20)
    layer = add_layer(img, "source", 20, 20)
    return img, edit(case, img, layer, "", procedure=RECENT, job_id="", action="list")


def _settings(case):
    """Non-interactive settings: a key for Replicate and a default quality land in the shared config file;
    the report says the provider comes from the environment (it wins over the file)."""
    status, values = call(
        SETTINGS,
        Gimp.RunMode.NONINTERACTIVE,
        image=None,
        drawables=[],
        key_provider="replicate",
        api_key="r8_test_key_123456",
        quality="high",
        base_url="http://127.0.0.1:9/replicate",
    )
    return None, {"status": int(status), "message": values[0] if values else ""}


# --- interactive cases: GUI GIMP under Xvfb, plugin_seams.py answers the dialogs -------------------------

UI = Gimp.RunMode.INTERACTIVE


def ui_image():
    img = new_image(120, 80)
    layer = add_layer(img, "source", 120, 80)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 10, 50, 30)
    Gimp.Display.new(img)  # what a person would be looking at
    return img, layer


def _ui_edit(case):
    img, layer = ui_image()
    # the sandbox holds the job running until the progress window's timer has ticked 8 times (plugin_seams.py
    # then releases it): counted, whatever the machine's speed
    sandbox("config", {"hold": "processing"})
    try:
        with hooks(
            dialog="ok",
            report=os.path.join(OUT, case + ".jsonl"),
            screenshots=OUT,
            release_after_ticks=8,
            release_url=P["api"] + "/_sandbox/config",
        ):
            rep = edit(case, img, layer, "[invert] from the dialog", run_mode=UI)
    finally:
        sandbox("config", {"hold": None})
    return None, rep  # the image has a display: GIMP deletes it on quit


def _ui_large_insert(case):
    """A 2600² picture with a selection: the answer comes back at 2048² and is scaled back, compared with
    the picture and masked. The comparison is slowed down by a second (the hooks), as on a slow machine."""
    side = 2600
    img = new_image(side, side)
    layer = Gimp.Layer.new(img, "source", side, side, Gimp.ImageType.RGB_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    img.insert_layer(layer, None, 0)
    tile = bytearray(pattern(64, 64, 4, 5))
    rows = []
    for y in range(side):  # the tile repeated, shifted a little on every row: no two rows alike
        row = bytes(tile[(y % 64) * 256 : (y % 64 + 1) * 256]) * (side // 64 + 2)
        rows.append(row[(y * 4) % 256 : (y * 4) % 256 + side * 4])
    buf = layer.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, side, side), "R'G'B'A u8", b"".join(rows))
    buf.flush()
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 200, 150, 2200, 2300)
    Gimp.Display.new(img)
    with hooks(dialog="ok", slow_compare=1.0, report=os.path.join(OUT, case + ".jsonl")):
        rep = edit(case, img, layer, "[identity] large", run_mode=UI)
    return None, rep


def _ui_last_values(case):
    img, layer = ui_image()
    # No prompt given: WITH_LAST_VALS must bring back what the dialog was last used with.
    return None, edit(case, img, layer, "", run_mode=Gimp.RunMode.WITH_LAST_VALS)


def _ui_cancel(case):
    img, layer = ui_image()
    sandbox("config", {"hold": "processing"})  # the job cannot end before Cancel is pressed
    try:
        with hooks(dialog="ok", cancel_after=1.5, report=os.path.join(OUT, case + ".jsonl")):
            rep = edit(case, img, layer, "[invert] to be cancelled", run_mode=UI)
    finally:
        sandbox("config", {"hold": None})
    return None, rep


def _ui_dialog_cancel(case):
    img, layer = ui_image()
    with hooks(dialog="cancel"):
        return None, edit(case, img, layer, "[invert] never sent", run_mode=UI)


def _ui_recent(case):
    img, layer = ui_image()
    with hooks(dialog="ok"):
        return None, edit(case, img, layer, "", procedure=RECENT, run_mode=UI)


def _ui_window_closed(case):
    """The image window is closed while the job runs (plugin_seams.py): nothing inserted, result kept."""
    img, layer = ui_image()
    with hooks(dialog="ok", close_display=True, report=os.path.join(OUT, case + ".jsonl")):
        rep = edit(case, img, layer, "[invert] window closed", run_mode=UI)
    return None, rep


def _ui_settings(case):
    """The settings dialog: a key typed for fal is saved in the shared config, not in GIMP's profile; Test
    connection checks it (not saved yet) against the sandbox without blocking GIMP."""
    with hooks(
        dialog="ok",
        set={"key-provider": "fal", "quality": "low"},
        type_key="fal-secret-123456",
        screenshots=OUT,
        test_connection=True,
        report=os.path.join(OUT, case + ".jsonl"),
    ):
        status, values = call(SETTINGS, UI, image=None, drawables=[])
    return None, {"status": int(status), "message": values[0] if values else ""}


def _layer_mask_selected(case):
    """The layer mask is what is selected in the Layers dialog: its layer is edited."""
    img = new_image(120, 80)
    layer = add_layer(img, "source", 120, 80)
    mask = layer.create_mask(Gimp.AddMaskType.WHITE)
    layer.add_mask(mask)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 10, 50, 30)
    rep = edit(case, img, mask, "[invert] via the mask")
    return img, rep


def _channel_selected(case):
    img = new_image(40, 30)
    add_layer(img, "source", 40, 30)
    channel = Gimp.Channel.new(img, "a channel", 40, 30, 50.0, Gegl.Color.new("red"))
    img.insert_channel(channel, None, 0)
    return img, edit(case, img, channel, "[invert] a channel")


def _ui_stream(case):
    """OpenAI streams partial images: the progress window shows them while the edit runs."""
    img, layer = ui_image()
    sandbox("config", {"latency": 2.0})
    try:
        with hooks(
            dialog="ok",
            set={"provider": "openai", "model": "gpt-image-2.6-flare", "size": "1536x1024"},
            report=os.path.join(OUT, case + ".jsonl"),
        ):
            rep = edit(case, img, layer, "[invert] streamed", run_mode=UI)
    finally:
        sandbox("config", {"latency": P["latency"]})
    return None, rep


def _downscaled(case):
    """A region wider than the largest side sent, with no selection: the answer comes back smaller and is
    scaled back over the region. Beside it, GIMP's own scale of the same answer file (its `Gimp.Layer.scale`
    with the same interpolation setting), to compare pixel for pixel."""
    img, rep = case_layer(case, sel=None, canvas=(2600, 120), prompt="[identity] wide")
    if rep.get("job"):
        answer = os.path.join(os.environ["GPTEDIT_HOME"], "results", rep["job"], "result-1.png")
        own = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, img, Gio.File.new_for_path(answer))
        img.insert_layer(own, None, 0)
        own.scale(rep["new"]["w"], rep["new"]["h"], True)
        dump(case, "gimp-scaled.rgba", pixels_of(own))
        img.remove_layer(own)
    return img, rep


def _reference(case):
    img = new_image(120, 80)
    ref = add_layer(img, "reference", 40, 30, off=(5, 5), seed=9)
    ref.set_visible(False)
    layer = add_layer(img, "source", 120, 80)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 10, 50, 30)
    return img, edit(case, img, layer, "[identity] with a reference", reference_1=ref)


def textured(w, h):
    """Smooth colour fields with texture at several scales (what measuring a shift needs), R'G'B'A u8."""
    import math

    cols = [(60 * math.sin(x / 9.0) + 30 * math.sin(x / 31.0), 50 * math.cos(x / 13.0)) for x in range(w)]
    rows = [(50 * math.sin(y / 11.0), 40 * math.cos(y / 7.0) + 30 * math.sin(y / 43.0)) for y in range(h)]
    diag = [35 * math.sin(d / 5.0) for d in range(w + h)]
    out = bytearray()
    for y in range(h):
        ry, gy = rows[y]
        for x in range(w):
            rx, gx = cols[x]
            d = diag[x + y]
            out += bytes(
                (
                    max(0, min(255, int(128 + rx + ry + d))),
                    max(0, min(255, int(128 + rx + gy))),
                    max(0, min(255, int(120 + gx + gy + d))),
                    255,
                )
            )
    return bytes(out)


def textured_image(w=900, h=600):
    """The textured picture, big enough for the soft edge (2 % of the region's side, at least 6 px), with
    the seam tests' rectangle selected."""
    img = new_image(w, h)
    layer = Gimp.Layer.new(img, "source", w, h, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    img.insert_layer(layer, None, 0)
    buf = layer.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, w, h), "R'G'B'A u8", textured(w, h))
    buf.flush()
    layer.update(0, 0, w, h)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 300, 200, 300, 200)
    return img, layer


def _seam_drift(case):
    """A drifted answer (the sandbox's [drift] tag) from a provider that takes the mask. The plug-in's
    moved answer (before its colours are matched) is kept (plugin_seams.py), and beside it GIMP's own
    transform of the same answer file onto the same rectangle, cropped to the same box, to compare pixel
    for pixel."""
    img, layer = textured_image()
    folder = os.path.join(OUT, case)
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):  # a kept run folder (GPTEDIT_GIMP_RUNS_DIR) may hold an earlier run's
        if old.startswith("moved-"):
            os.remove(os.path.join(folder, old))
    with hooks(moved_dump=folder):
        rep = edit(case, img, layer, "[identity] [drift:1:6] keep everything", provider="openai")
    rep["sel"] = [300, 200, 300, 200]
    moved = os.path.join(folder, "moved-1.json")
    if rep.get("job") and os.path.exists(moved):
        with open(moved) as fh:
            how = json.load(fh)
        bx, by, bw, bh = how["box"]
        left, top, right, bottom = how["rect"]
        answer = os.path.join(os.environ["GPTEDIT_HOME"], "results", rep["job"], "result-1.png")
        own = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, img, Gio.File.new_for_path(answer))
        img.insert_layer(own, None, 0)
        Gimp.Selection.none(img)  # else GIMP transforms only the selected part, as a floating selection
        Gimp.context_push()
        Gimp.context_set_interpolation(getattr(Gimp.InterpolationType, how["sampler"].upper()))
        started = time.monotonic()
        own = own.transform_scale(bx + left, by + top, bx + right, by + bottom) or own
        rep["gimp_move_seconds"] = round(time.monotonic() - started, 3)
        Gimp.context_pop()
        _, ox, oy = own.get_offsets()
        own.resize(bw, bh, ox - bx, oy - by)
        dump(case, "gimp-moved.rgba", pixels_of(own))
        img.remove_layer(own)
    return img, rep


def line_art(w, h, seed=4):
    """Dark strokes two pixels wide on paper at random places and angles (thin line art, what a soft answer
    shows most at a seam), R'G'B'A."""
    rnd = random.Random(seed)
    out = bytearray(bytes((246, 242, 232, 255)) * (w * h))
    ink = bytes((25, 22, 30, 255))
    for _ in range(90):
        x0, y0, x1, y1 = rnd.uniform(0, w), rnd.uniform(0, h), rnd.uniform(0, w), rnd.uniform(0, h)
        steps = int(2 * max(abs(x1 - x0), abs(y1 - y0))) + 1
        for i in range(steps + 1):
            x, y = int(x0 + (x1 - x0) * i / steps), int(y0 + (y1 - y0) * i / steps)
            for px, py in ((x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)):
                if px < w and py < h:
                    out[4 * (py * w + px) : 4 * (py * w + px) + 4] = ink
    return bytes(out)


def _seam_lineart(case):
    """A drifted answer on line art: it comes back softer, and the plug-in sharpens it back."""
    img, layer = textured_image()
    buf = layer.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, 900, 600), "R'G'B'A u8", line_art(900, 600))
    buf.flush()
    layer.update(0, 0, 900, 600)
    rep = edit(case, img, layer, "[identity] [drift:1:6] keep everything", provider="openai")
    rep["sel"] = [300, 200, 300, 200]
    return img, rep


def _seam_drift_later(case):
    """The same drifted answer, not inserted by its edit (the edited layer is deleted meanwhile), then
    inserted from the recent-results procedure into another image holding the same picture: corrected
    against the region the job kept, like a fresh answer."""
    img, layer = textured_image()
    with hooks(delete_layer=True):
        rep = edit(case, img, layer, "[identity] [drift:1:6] inserted later", provider="openai")
    img.delete()
    found = re.search(r"job ([0-9a-f]{8})", rep.get("message") or "")
    later, layer = textured_image()
    rep["recent"] = edit(
        case + "-recent",
        later,
        layer,
        "",
        procedure=RECENT,
        job_id=found.group(1) if found else "",
        action="insert",
    )
    rep["sel"] = [300, 200, 300, 200]
    return later, rep


def _markup_image():
    """A picture layer and, above it, a transparent layer with one red stroke (rows 30-37, columns 20-99)."""
    img = new_image(120, 80)
    layer = add_layer(img, "source", 120, 80, seed=3)
    mk = Gimp.Layer.new(img, "Markup", 120, 80, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    img.insert_layer(mk, None, 0)
    stroke = bytearray(120 * 80 * 4)
    for y in range(30, 38):
        for x in range(20, 100):
            stroke[4 * (y * 120 + x) : 4 * (y * 120 + x) + 4] = b"\xff\x00\x00\xff"
    buf = mk.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, 120, 80), "R'G'B'A u8", bytes(stroke))
    buf.flush()
    mk.update(0, 0, 120, 80)
    return img, layer, mk


def _markup(case):
    img, layer, mk = _markup_image()
    dump(case, "markup-before.rgba", pixels_of(mk))
    visible = mk.get_visible()
    # the same edit without markup first: the answer the strokes must change, and only where drawn
    plain = edit(
        case + "-plain",
        img,
        layer,
        "[identity] a hedge along the red line",
        provider="openai",
        model="gpt-image-2.6-flare",
        complexity="low",
    )
    rep = edit(
        case,
        img,
        layer,
        "[identity] a hedge along the red line",
        provider="openai",
        model="gpt-image-2.6-flare",
        complexity="low",
        markup_layer=mk,
    )
    rep["plain_status"] = plain["status"]
    dump(case, "markup-after.rgba", pixels_of(mk))
    rep["markup_visible_unchanged"] = mk.get_visible() == visible
    rep["sent"] = sandbox("stats")["jobs"][-1]["request"]
    return img, rep


def _markup_unsupported(case):
    img, layer, mk = _markup_image()
    creates = sandbox("stats")["openai"]["creates"]
    rep = edit(case, img, layer, "[identity] x", provider="openai", model="gpt-image-2", markup_layer=mk)
    rep["creates"] = sandbox("stats")["openai"]["creates"] - creates
    return img, rep


def _retired(case, saved=False):
    img = new_image(120, 80)
    layer = add_layer(img, "source", 120, 80)
    creates = sandbox("stats")["openai"]["creates"]
    if saved:  # a model saved in the shared settings before it was shut down
        path = os.path.join(os.environ["GPTEDIT_HOME"], "config.json")
        with open(path, "w") as fh:
            json.dump({"providers": {"openai": {"model": "gpt-image-1.5"}}}, fh)
        rep = edit(case, img, layer, "[identity] x", provider="openai")
        os.remove(path)
    else:
        rep = edit(case, img, layer, "[identity] x", provider="openai", model="gpt-image-1.5")
    rep["creates"] = sandbox("stats")["openai"]["creates"] - creates
    return img, rep


CASES = {
    "seam-drift": _seam_drift,
    "seam-lineart": _seam_lineart,
    "markup": _markup,
    "markup-unsupported": _markup_unsupported,
    "retired-argument": _retired,
    "retired-saved": lambda c: _retired(c, saved=True),
    "rgb-invert": lambda c: case_layer(c),
    "rgb-identity": lambda c: case_layer(c, prompt="[identity] keep"),
    # OpenAI's Responses route: a background job polled by id, the selection sent as input_image_mask
    "responses-route": lambda c: case_layer(c, provider="openai-responses"),
    "rgba-identity": lambda c: case_layer(c, alpha=True, alpha_pattern=True, prompt="[identity] keep"),
    "rgba-invert": lambda c: case_layer(c, alpha=True, prompt="[invert] negative", sel=(70, 0, 50, 25)),
    "offset-layer": lambda c: case_offset(c, "[invert] offset"),
    "small-layer": lambda c: case_offset(c, "[invert] small", top=(20, 15, 10, 10), sel=(0, 0, 60, 40)),
    "partly-off-canvas": lambda c: case_offset(
        c, "[invert] off canvas", top=(60, 40, 90, 50), sel=(70, 30, 50, 50)
    ),
    "gray": lambda c: case_layer(c, base="gray"),
    "gray-alpha": lambda c: case_layer(c, base="gray", alpha=True, prompt="[identity] keep"),
    "u16": lambda c: case_layer(c, precision="U16_NON_LINEAR"),
    "float-linear": lambda c: case_layer(c, precision="FLOAT_LINEAR"),
    "variations": lambda c: case_layer(c, prompt="[identity] three", variations=3),
    "no-selection": lambda c: case_layer(c, sel=None, canvas=(64, 48)),
    "visible-source": lambda c: case_layer(c, source="visible"),
    "indexed": _indexed,
    "empty-prompt": lambda c: case_layer(c, prompt="   "),
    "provider-error": lambda c: _faulty(c, outcome="error"),
    "server-garbage": lambda c: _faulty(c, fault=("create", "malformed_json")),
    "bad-size": lambda c: case_layer(c, size="999x999"),
    "deleted-layer": _deleted_layer,
    "image-gone": _image_gone,
    "killed": _killed,
    "deadline": _deadline,
    "cli-job": _cli_job,
    "lost-cli-job": _lost_cli_job,
    "krita-job": _krita_job,
    "reference": _reference,
    "tight": lambda c: case_layer(c, prompt="[invert] tight", padding=0.0),
    "fixed-size": lambda c: case_layer(c, prompt="[identity] square", size="1024x1024"),
    "downscaled": _downscaled,
    "settings": _settings,
    "ui-edit": _ui_edit,
    "ui-last-values": _ui_last_values,
    "ui-large-insert": _ui_large_insert,
    "ui-cancel": _ui_cancel,
    "ui-dialog-cancel": _ui_dialog_cancel,
    "ui-recent": _ui_recent,
    "ui-stream": _ui_stream,
    "ui-settings": _ui_settings,
    "ui-window-closed": _ui_window_closed,
    "layer-mask-selected": _layer_mask_selected,
    "channel-selected": _channel_selected,
    "list": _listing,
    "seam-drift-later": _seam_drift_later,
}
