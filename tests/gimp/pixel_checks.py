"""Checks shared by the real-GIMP tests: what the report of a case must show, computed from the recorded
"before" pixels and the plan the core makes (never from what the plug-in claims)."""

from __future__ import annotations

from pathlib import Path

from gptedit.catalog import model_info
from gptedit.geometry import Box, plan_edit

SUCCESS, EXECUTION_ERROR, CANCEL = 3, 0, 4  # Gimp.PDBStatusType values
SEL = (0, 10, 50, 30)  # the default selection: non-square, touching the left canvas edge


def case(gimp, name) -> dict:
    rep = gimp["cases"].get(name)
    assert rep is not None, f"case {name} did not run; GIMP stderr:\n{gimp['stderr']}"
    assert "crash" not in rep, rep["crash"]
    return rep


def raw(gimp, name, file) -> bytes:
    return (Path(gimp["out"]) / name / file).read_bytes()


def expected_context(
    canvas, sel, size="auto", padding=0.15, min_padding=16, provider="eachlabs", model=""
) -> Box:
    info = model_info(provider, model)
    plan = plan_edit(
        *canvas,
        Box(*sel) if sel else None,
        info.sizes,
        size=size,
        padding=padding,
        min_padding=min_padding,
        max_send_side=2048,
    )
    return plan.context


def inside(box, x, y) -> bool:
    return box is not None and box.x <= x < box.right and box.y <= y < box.bottom


def check_composite(gimp, name, sel, changed_box=None, invert=True, rep=None):
    """Inside the selection (and the source layer's area) RGB is inverted within 1/255, elsewhere every
    channel is unchanged within 1/255. `rep`: a nested report (a follow-up call inside a case)."""
    rep = rep or case(gimp, name)
    w, h = rep["size"]
    before, after = raw(gimp, name, "before.rgba"), raw(gimp, name, "after.rgba")
    sel_box = Box(*sel).clamp_to(w, h) if sel else Box(0, 0, w, h)
    src = Box(*changed_box) if changed_box else Box(0, 0, w, h)
    wrong = []
    for y in range(h):
        for x in range(w):
            i = 4 * (y * w + x)
            b, a = before[i : i + 4], after[i : i + 4]
            edited = invert and inside(sel_box, x, y) and inside(src, x, y)
            want = [255 - b[0], 255 - b[1], 255 - b[2], b[3]] if edited else list(b)
            if any(abs(p - q) > 1 for p, q in zip(a, want, strict=True)):
                wrong.append((x, y, list(a), want))
    assert not wrong, f"{len(wrong)} wrong pixels, first: {wrong[:5]}"


def check_new_layer(rep, canvas, sel, position=0, parent=None, provider="eachlabs", model="", size="auto"):
    new = rep["new"]
    ctx = expected_context(canvas, sel, size=size, provider=provider, model=model)
    assert (new["x"], new["y"], new["w"], new["h"]) == (ctx.x, ctx.y, ctx.width, ctx.height)
    assert new["position"] == position and new["parent"] == parent
    assert new["has_mask"] is (sel is not None)
    assert new["name"].startswith("GPT: ")
    assert len(rep["tree"]) == rep["layers_before"] + 1


def check_mask(gimp, name, canvas, sel):
    rep = case(gimp, name)
    new = rep["new"]
    mask = raw(gimp, name, "mask.y")
    sel_box = Box(*sel).clamp_to(*canvas)
    for y in range(new["h"]):
        for x in range(new["w"]):
            want = 255 if inside(sel_box, x + new["x"], y + new["y"]) else 0
            assert mask[y * new["w"] + x] == want, (x, y)
