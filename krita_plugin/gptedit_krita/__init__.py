"""GPT Image Edit for Krita: registers the extension (menu action) and the docker.

The core (`gptedit`, with its vendored `requests` stack) ships inside this folder under `lib/`; it is put on
sys.path here because Krita's Python has no third-party packages (docs/hosts.md).
"""

from __future__ import annotations

import os
import sys

_LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib")
if os.path.isdir(_LIB) and _LIB not in sys.path:
    sys.path.insert(0, _LIB)

try:
    from krita import DockWidgetFactory, DockWidgetFactoryBase, Krita
except ImportError:  # imported outside Krita (unit tests import submodules directly)
    Krita = None

if Krita is not None and Krita.instance() is not None:
    from .docker import DOCKER_ID, GptEditDocker
    from .extension import GptEditExtension
    from .qt import scoped_enum

    _app = Krita.instance()
    _app.addExtension(GptEditExtension(_app))
    # Krita 6's bindings know only the scoped DockWidgetFactoryBase.DockPosition.DockRight.
    _right = scoped_enum(DockWidgetFactoryBase, "DockPosition", "DockRight")
    _app.addDockWidgetFactory(DockWidgetFactory(DOCKER_ID, _right, GptEditDocker))
