#!/usr/bin/env python3
"""GIMP 3 plug-in: edit the current layer or selection with GPT Image, result as a new masked layer.

GIMP runs this file as its own process (plug-ins/gptedit-gimp/gptedit-gimp.py; the folder name must equal
the file's stem). Everything lives in the helper package beside it; this file only makes the bundled core
(`lib/gptedit`, with its vendored `requests`) and the helper package importable, then hands over to GIMP.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
# Our folders first: a `gptedit` installed system-wide (the command line) must not shadow the copy that was
# built and tested together with this plug-in.
for _path in (os.path.join(_HERE, "lib"), _HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from gptedit_gimp.procedures import main  # noqa: E402  (needs the paths above)

main(sys.argv)
