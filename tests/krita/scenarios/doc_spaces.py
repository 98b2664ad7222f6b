"""CMYK, Lab and 8-bit RGB with a non-sRGB profile, run from doc_kinds.py (one Krita start for all document
kinds). For each space: content painted in sRGB, the document converted by Krita, then an `[identity]` and
an `[invert]` edit over a selection. Reported per edit, inside the selection, on what the user SEES (the
document's projection rendered to 8-bit sRGB by Krita):
- `vs_target`: the per-pixel worst channel difference to the picture the edit should show (the original's
  sRGB, or its sRGB inverse) as [median, 95th percentile, max];
- `vs_krita`: the worst difference to Krita's own rendering of that target picture in this colour space (an
  sRGB document holding the target, converted with Document.setColorSpace and rendered): what a perfect
  insert can show, since a CMYK or Lab document cannot show every sRGB colour exactly;
- `outside`: the worst difference outside the selection (must stay untouched)."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from kqt import QByteArray  # noqa: E402
from krita import Krita  # noqa: E402

W, H = 120, 80
SEL = (20, 10, 70, 40)
#: "" = Krita's default profile for the model ("Chemical proof" for CMYK, the worst round trip measured of the
#: three CMYK profiles in Krita 5.2/5.3, so a conservative case; "Lab identity built-in" for Lab)
SPACES = [
    ("CMYKA", "U8", ""),
    ("CMYKA", "U16", ""),
    ("LABA", "U8", ""),
    ("LABA", "U16", ""),
    ("RGBA", "U8", "WideRGB-elle-V2-g22.icc"),
    ("RGBA", "U8", "sRGB-elle-V2-g10.icc"),
]
EDITS = (("identity", lambda px: px), ("invert", kutil.invert))


def krita_rendering(bgra, model, depth, profile):
    """`bgra` (8-bit sRGB) converted by Krita into the colour space and rendered back to sRGB."""
    doc = Krita.instance().createDocument(W, H, "reference", "RGBA", "U8", "", 72.0)
    doc.setBatchmode(True)
    try:
        doc.rootNode().childNodes()[0].setPixelData(QByteArray(bgra), 0, 0, W, H)
        doc.setColorSpace(model, depth, profile)
        doc.waitForDone()
        assert (doc.colorModel(), doc.colorDepth()) == (model, depth), (doc.colorModel(), doc.colorDepth())
        return kutil.srgb(doc)
    finally:
        doc.close()


def inside_stats(got, want, mask):
    """[median, 95th percentile, max] of the per-pixel worst channel difference inside the selection."""
    per = sorted(
        kutil.max_diff(got[4 * i : 4 * i + 4], want[4 * i : 4 * i + 4])
        for i in range(len(mask))
        if mask[i] >= 128
    )
    return [per[len(per) // 2], per[len(per) * 95 // 100], per[-1]]


def spaces(ctx, api, select):
    """A generator step for doc_kinds.scenario: `yield from doc_spaces.spaces(ctx, api, select)`."""
    for model, depth, profile in SPACES:
        key = f"{model}-{depth}" + (f"-{profile}" if profile else "")
        doc = yield from kutil.new_doc(ctx, W, H, key)
        art = kutil.add_layer(doc, "art", kutil.pattern(W, H, seed=17), 0, 0, W, H)
        doc.setColorSpace(model, depth, profile)
        doc.waitForDone()
        yield from kutil.activate(ctx, doc, art)
        mask = select(doc, *SEL)
        before = kutil.srgb(doc)
        case = {"space": [doc.colorModel(), doc.colorDepth(), doc.colorProfile()]}
        for name, expect in EDITS:
            job = api.edit(f"[{name}]", document=doc, layer=art)
            yield (lambda job=job: job.done, 60)
            after = kutil.srgb(doc)
            target = b"".join(expect(before[i : i + 4]) for i in range(0, len(before), 4))
            rendered = krita_rendering(target, model, depth, doc.colorProfile())
            case[name] = {
                "state": job.state,
                "message": job.message,
                "layer_space": [job.layer.colorModel(), job.layer.colorDepth(), job.layer.colorProfile()]
                if job.layer
                else None,
                "vs_target": inside_stats(after, target, mask),
                "vs_krita": inside_stats(after, rendered, mask),
                "krita_vs_target": inside_stats(rendered, target, mask),
                "outside": kutil.diff_inside_outside(before, after, mask, expect)[1],
            }
            if job.layer is not None:
                job.layer.remove()  # the next edit starts from the same picture
        ctx.report(**{f"space {key}": case})
