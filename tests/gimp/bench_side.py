"""Runs INSIDE a real GIMP after tests/gimp/gimp_side.py (its helpers and the prelude), never imported by
pytest. For each size: GIMP's own PNG export of the layer and its own load-as-layer of that file (the
native baselines), then one edit through the installed plug-in, with wall-clock marks the bench outside
sets beside the ledger's events."""
# ruff: noqa: F821  (Gimp, Gegl, Gio, new_image, call, EDIT, OUT come from the prelude and gimp_side)


def textured_layer(img, side):
    """A photo-like RGBA layer filled quickly: a 256² tile of varied pixels repeated with a shift per row."""
    layer = Gimp.Layer.new(img, "source", side, side, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    img.insert_layer(layer, None, 0)
    tile = bytearray(pattern(256, 256, 4, 3))
    tile[3::4] = b"\xff" * (256 * 256)
    reps = side // 256 + 2
    rows = []
    for y in range(side):
        row = bytes(tile[(y % 256) * 1024 : (y % 256 + 1) * 1024]) * reps
        shift = (y * 12) % 1024
        rows.append(row[shift : shift + side * 4])
    buf = layer.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, side, side), "R'G'B'A u8", b"".join(rows))
    buf.flush()
    return layer


def native_export(img, path):
    f = Gio.File.new_for_path(path)
    t = time.time()
    try:
        Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, img, f, None)
    except TypeError:  # an older signature without export options
        Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, img, f)
    return time.time() - t


def native_load_as_layer(img, path):
    t = time.time()
    layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, img, Gio.File.new_for_path(path))
    img.insert_layer(layer, None, 0)
    Gimp.displays_flush()
    took = time.time() - t
    img.remove_layer(layer)
    return took


def native_load_and_scale(img, path, w, h):
    """GIMP opening the answer file as a layer and scaling it (its default interpolation) over the box the
    plug-in placed it on: the floor for our insert, which does this plus the mask and the seam check."""
    t = time.time()
    layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, img, Gio.File.new_for_path(path))
    img.insert_layer(layer, None, 0)
    if (layer.get_width(), layer.get_height()) != (w, h):
        layer.scale(w, h, True)
    Gimp.displays_flush()
    took = time.time() - t
    img.remove_layer(layer)
    return took


def window_stall(side):
    """One edit through the dialog and the progress window (GUI GIMP, the test hooks press OK), on a
    displayed image: the window's own record of its longest gap between timer ticks over the whole job
    (the wait and the insert), and of the insert's steps with the ticks made during each."""
    img = new_image(side, side)
    layer = textured_layer(img, side)
    m = side // 16
    img.select_rectangle(Gimp.ChannelOps.REPLACE, m, m, side - 2 * m, side - 2 * m)
    Gimp.Display.new(img)
    report = os.path.join(OUT, f"window-{side}.jsonl")
    with hooks(dialog="ok", report=report):
        status, _ = call(EDIT, Gimp.RunMode.INTERACTIVE, image=img, drawables=[layer], prompt="[identity] ui")
    seen = {}
    if os.path.exists(report):
        for line in open(report):
            seen.update(json.loads(line))
    return (
        status == Gimp.PDBStatusType.SUCCESS,
        seen.get("window_max_gap"),
        seen.get("window_ticks"),
        list(zip(seen.get("window_steps") or [], seen.get("window_step_ticks") or [], strict=True)),
        [[text, seconds] for text, _turns, seconds in seen.get("insert_turns") or []],
    )


def run_bench(sizes):
    report = {"gimp": Gimp.version(), "rows": []}
    for side in sizes:
        row = {"size": side}
        try:
            img = new_image(side, side)
            layer = textured_layer(img, side)
            path = os.path.join(OUT, f"native-{side}.png")
            row["export_s"] = native_export(img, path)
            row["export_bytes"] = os.path.getsize(path)
            row["load_layer_s"] = native_load_as_layer(img, path)
            m = side // 16
            img.select_rectangle(Gimp.ChannelOps.REPLACE, m, m, side - 2 * m, side - 2 * m)
            row["t_run"] = time.time()
            status, values = call(
                EDIT, Gimp.RunMode.NONINTERACTIVE, image=img, drawables=[layer], prompt="[identity] bench"
            )
            row["t_done"] = time.time()
            row["status"] = int(status)
            row["job"] = values[1] if len(values) > 1 and isinstance(values[1], str) else ""
            row["message"] = values[0] if values and isinstance(values[0], str) else ""
            new = values[0] if values and not isinstance(values[0], str) else None
            row["has_mask"] = bool(new is not None and new.get_mask() is not None)
            answer = os.path.join(os.environ["GPTEDIT_HOME"], "results", row["job"], "result-1.png")
            if new is not None and os.path.exists(answer):
                row["load_scale_s"] = native_load_and_scale(img, answer, new.get_width(), new.get_height())
            img.delete()
        except Exception:
            row["crash"] = traceback.format_exc()
        if os.environ.get("DISPLAY"):
            try:
                (
                    row["ui_ok"],
                    row["window_max_gap"],
                    row["window_ticks"],
                    row["window_steps"],
                    row["step_seconds"],
                ) = window_stall(side)
            except Exception:
                row["ui_crash"] = traceback.format_exc()
        report["rows"].append(row)
        with open(os.path.join(OUT, "report.json"), "w") as fh:
            json.dump(report, fh, indent=1)
