"""Return values and messages: every failure becomes an error status with a sentence for people.

GIMP shows the GError message of a failed procedure to the user (interactive) or hands it to the calling
script (batch); a traceback is never shown, but it is written to stderr for bug reports."""

from __future__ import annotations

import sys
import traceback

from gi.repository import Gimp, GLib, GObject
from gptedit.errors import Cancelled, GptEditError


def people_message(exc: BaseException) -> str:
    if isinstance(exc, GptEditError):
        return exc.message
    if isinstance(exc, GLib.Error):
        return f"GIMP refused an operation: {exc.message}"
    # A bug of ours: say so plainly, keep the details for the log.
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return (
        f"The GPT Image plug-in hit an unexpected problem ({type(exc).__name__}: {exc}). "
        "The details are in GIMP's error console."
    )


def failure(procedure, exc_or_text) -> Gimp.ValueArray:
    if isinstance(exc_or_text, Cancelled):
        return cancelled(procedure)
    text = exc_or_text if isinstance(exc_or_text, str) else people_message(exc_or_text)
    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, GLib.Error(text))


def cancelled(procedure) -> Gimp.ValueArray:
    return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())


def success(layer, job_id: str, note: str = "") -> Gimp.ValueArray:
    """SUCCESS plus the procedure's return values, in their registered order: layer, job-id, message."""
    return Gimp.ValueArray.new_from_values(
        [
            GObject.Value(Gimp.PDBStatusType, Gimp.PDBStatusType.SUCCESS),
            GObject.Value(Gimp.Layer, layer),
            GObject.Value(GObject.TYPE_STRING, job_id),
            GObject.Value(GObject.TYPE_STRING, note),
        ]
    )
