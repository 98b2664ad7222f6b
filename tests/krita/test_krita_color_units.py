"""Colour-space decisions of the Krita plugin that need no Krita: which 8-bit RGB profiles count as sRGB
(their bytes are sent as they are; everything else is converted by Krita, see test_krita_documents.py), and an
unknown colour model refused with a message before any pixel is read or anything is sent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("PyQt6.QtGui", reason="pip install PyQt6 (the `test` extra)")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "krita_plugin"))

from gptedit.errors import BadInput  # noqa: E402
from gptedit.settings import Settings  # noqa: E402
from gptedit_krita import canvas_read, colors  # noqa: E402

# Profile names as Krita 5.2/5.3 list them for RGBA/U8 (Krita.profiles), plus common embedded ones.
SRGB = [
    "",
    "sRGB built-in",
    "sRGB-elle-V2-srgbtrc.icc",
    "sRGB-elle-V4-srgbtrc.icc",
    "Artifex Software sRGB ICC Profile",
    "sRGB IEC61966-2.1",
]
NOT_SRGB = [
    "sRGB-elle-V2-g10.icc",
    "krita-2.5, lcms sRGB built-in with linear gamma TRC",
    "scRGB (linear)",
    "Artifex Software scRGB ICCProfile",
    "Artifex Software esRGB ICCProfile",
    "WideRGB-elle-V2-g22.icc",
    "Rec2020-elle-V4-g10.icc",
    "ACEScg-elle-V4-g10.icc",
    "ClayRGB-elle-V2-g22.icc",
    "Artifex Software A98 ICC Profile ",
]


@pytest.mark.parametrize("name", SRGB)
def test_srgb_profiles_are_sent_as_they_are(name):
    assert colors.ColorInfo("RGBA", "U8", name).native_srgb8


@pytest.mark.parametrize("name", NOT_SRGB)
def test_other_8bit_rgb_profiles_are_converted(name):
    assert not colors.ColorInfo("RGBA", "U8", name).native_srgb8


def test_only_8bit_rgb_is_native():
    assert not colors.ColorInfo("RGBA", "U16", "sRGB-elle-V2-srgbtrc.icc").native_srgb8
    assert not colors.ColorInfo("CMYKA", "U8", "").native_srgb8
    assert colors.ColorInfo("CMYKA", "U16", "").pixel_bytes == 10
    assert colors.ColorInfo("LABA", "U8", "").pixel_bytes == 4


class _Unreadable:
    """A layer whose pixels must not be touched: the refusal has to come first."""

    def name(self):
        return "art"

    def __getattr__(self, attr):
        raise AssertionError(f"read {attr} before refusing the colour space")


class _Doc:
    def __init__(self, model):
        self.model = model

    def width(self):
        return 64

    def height(self):
        return 48

    def selection(self):
        return None

    def colorModel(self):  # noqa: N802 - Krita's API
        return self.model

    def colorDepth(self):  # noqa: N802
        return "U8"

    def colorProfile(self):  # noqa: N802
        return ""


def test_unknown_colour_model_refused_before_reading_or_sending():
    with pytest.raises(BadInput) as err:
        canvas_read.read_snapshot(_Doc("MULTISPECTRAL"), Settings(), node=_Unreadable())
    assert "Convert Image Color Space" in err.value.message and "MULTISPECTRAL" in err.value.message
