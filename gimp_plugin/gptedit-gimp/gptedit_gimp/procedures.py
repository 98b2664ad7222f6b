"""Registration: the plug-in's three procedures, their menu entries and arguments.

- python-fu-gptedit          Filters ▸ AI ▸ Edit with GPT Image…       (dialog, or every option as argument)
- python-fu-gptedit-recent   Filters ▸ AI ▸ Recent GPT Image results…  (insert or resume a ledger job)
- python-fu-gptedit-settings Filters ▸ AI ▸ GPT Image settings…        (the config file shared with Krita/CLI)

Names and signatures follow GIMP 3.0's libgimp (they are unchanged in 3.2); GimpUi is imported only for
interactive runs, as GIMP 3.2's own plug-ins do, so batch runs never need a display.
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp  # noqa: E402

from . import options as O  # noqa: E402
from .arguments import RW, add_choice  # noqa: E402

EDIT = "python-fu-gptedit"
RECENT = "python-fu-gptedit-recent"
SETTINGS = "python-fu-gptedit-settings"
MENU = "<Image>/Filters/AI"


def _common(proc, label: str, blurb: str) -> None:
    proc.set_menu_label(label)
    proc.set_documentation(blurb, blurb, proc.get_name())
    proc.set_attribution("gptedit contributors", "gptedit contributors", "2026")
    proc.add_menu_path(MENU)


def _edit_procedure(plugin, name):
    from . import run_edit

    proc = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run_edit.run, None)
    # Indexed images cannot hold an RGBA result layer; a script that passes one anyway gets a clear message.
    proc.set_image_types("RGB*, GRAY*")
    proc.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
    _common(
        proc,
        "_Edit with GPT Image…",
        "Send the current layer or selection with a prompt to GPT Image and add the answer as a new layer "
        "masked by the selection",
    )
    proc.add_string_argument("prompt", "Prompt", "What to change, in plain words", "", RW)
    add_choice(
        proc, "provider", "P_rovider", "Service to use ('default' = shared settings)", O.PROVIDER_CHOICES
    )
    proc.add_string_argument("model", "_Model", O.model_blurb(), "", RW)
    add_choice(proc, "quality", "_Quality", "Output quality (affects price)", O.QUALITY_CHOICES)
    proc.add_string_argument("size", "Si_ze", "Output size WIDTHxHEIGHT or 'auto'; empty = settings", "", RW)
    proc.add_int_argument(
        "variations",
        "_Variations",
        "Images to make; more than one gives a layer group with one visible",
        1,
        10,
        1,
        RW,
    )
    add_choice(proc, "output-format", "Output _format", "Format the provider returns", O.FORMAT_CHOICES)
    add_choice(
        proc, "background", "_Background", "Ask for a transparent or opaque background", O.BACKGROUND_CHOICES
    )
    add_choice(
        proc,
        "source",
        "S_ource",
        "Pixels to send: the current layer or the visible composite",
        O.SOURCE_CHOICES,
    )
    proc.add_double_argument(
        "padding",
        "Conte_xt",
        "Context around the selection as a fraction of its longer "
        "side (-1 = settings, 0 = just the selection, grown only to the answer's shape)",
        -1.0,
        2.0,
        -1.0,
        RW,
    )
    proc.add_boolean_argument(
        "add-mask", "Add layer mas_k", "Mask the new layer with the selection", True, RW
    )
    proc.add_layer_argument(
        "reference-1", "Reference layer _1", "Extra image the model may look at", True, RW
    )
    proc.add_layer_argument(
        "reference-2", "Reference layer _2", "Extra image the model may look at", True, RW
    )
    proc.add_int_argument(
        "deadline",
        "Give _up after (s)",
        "Stop waiting after this many seconds; the job stays resumable (0 = settings)",
        0,
        86400,
        0,
        RW,
    )
    # added last, so scripts that pass the earlier arguments by position keep working
    add_choice(
        proc,
        "complexity",
        "Co_mplexity",
        "How much the model plans before drawing (GPT Image 2.6 only; "
        "'default' = settings, else the model's own)",
        O.COMPLEXITY_CHOICES,
    )
    proc.add_layer_argument(
        "markup-layer",
        "Mar_kup layer",
        "A layer with arrows, circles or notes drawn on "
        "transparency, showing where and what to change (GPT Image 2.6); left as drawn",
        True,
        RW,
    )
    _returns(proc)
    return proc


def _returns(proc) -> None:
    proc.add_layer_return_value("layer", "Layer", "The new layer or layer group", True, RW)
    proc.add_string_return_value("job-id", "Job id", "The job in the shared ledger", "", RW)
    proc.add_string_return_value("message", "Message", "What happened, for people", "", RW)


def _recent_procedure(plugin, name):
    from . import recover

    proc = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, recover.run, None)
    proc.set_image_types("RGB*, GRAY*")
    # NO_IMAGE too: without an image the result goes back into the image it came from, if still open.
    proc.set_sensitivity_mask(
        Gimp.ProcedureSensitivityMask.DRAWABLE
        | Gimp.ProcedureSensitivityMask.NO_DRAWABLES
        | Gimp.ProcedureSensitivityMask.NO_IMAGE
    )
    _common(
        proc,
        "_Recent GPT Image results…",
        "List recent GPT Image jobs and insert or resume one, including jobs of a closed image or a "
        "plug-in that was stopped",
    )
    proc.add_string_argument(
        "job-id",
        "_Job",
        "Job id or its first characters; empty = the newest job with a result not yet inserted",
        "",
        RW,
    )
    add_choice(proc, "action", "_Action", "What to do with the job", O.RECENT_ACTIONS)
    _returns(proc)
    return proc


def _settings_procedure(plugin, name):
    from . import settings_proc

    # An ImageProcedure (run-mode, image, drawables, config) that also works with no image open.
    proc = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, settings_proc.run, None)
    proc.set_sensitivity_mask(
        Gimp.ProcedureSensitivityMask.NO_IMAGE
        | Gimp.ProcedureSensitivityMask.DRAWABLE
        | Gimp.ProcedureSensitivityMask.DRAWABLES
        | Gimp.ProcedureSensitivityMask.NO_DRAWABLES
    )
    _common(
        proc,
        "GPT Image _settings…",
        "Provider, API key and defaults shared with the Krita plug-in and the command line",
    )
    settings_proc.add_arguments(proc)
    return proc


class GptEditPlugIn(Gimp.PlugIn):
    def do_set_i18n(self, name):
        return False

    def do_query_procedures(self):
        return [EDIT, RECENT, SETTINGS]

    def do_create_procedure(self, name):
        if name == EDIT:
            return _edit_procedure(self, name)
        if name == RECENT:
            return _recent_procedure(self, name)
        if name == SETTINGS:
            return _settings_procedure(self, name)
        return None


def main(argv=None) -> None:
    Gimp.main(GptEditPlugIn.__gtype__, argv or sys.argv)
