"""Procedure arguments from the plain choice tables in options.py: what procedures.py (the edit and
recent procedures) and settings_proc.py (the settings procedure) both register."""

from __future__ import annotations

import gi

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp, GObject  # noqa: E402

RW = GObject.ParamFlags.READWRITE


def choice(pairs) -> Gimp.Choice:
    """A Gimp.Choice from (nick, label) pairs, in their order."""
    out = Gimp.Choice.new()
    for i, (nick, label) in enumerate(pairs):
        out.add(nick, i, label, "")
    return out


def add_choice(proc, name, nick, blurb, pairs, default=None) -> None:
    """A choice argument whose default is `default`, or the first pair's nick."""
    proc.add_choice_argument(name, nick, blurb, choice(pairs), default or pairs[0][0], RW)
