"""Qt for the scenarios, in the binding the running Krita uses: PyQt5 in Krita 5, PyQt6 in Krita 6.

Krita imports its binding before it loads any Python plugin (and Krita 6 refuses an import of PyQt5), so
the binding already in sys.modules is the one to use. Enums are spelled scoped (QImage.Format.Format_ARGB32),
which both bindings accept.
"""

# ruff: noqa: F401  (re-exports)
import sys

if "PyQt6.QtCore" in sys.modules:
    from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, QTimer
    from PyQt6.QtGui import QImage
else:
    from PyQt5.QtCore import QBuffer, QByteArray, QIODevice, QTimer
    from PyQt5.QtGui import QImage

ARGB32 = QImage.Format.Format_ARGB32
WRITE_ONLY = QIODevice.OpenModeFlag.WriteOnly


def image_bytes(img):
    """The bytes of a QImage (byteCount() is gone in Qt 6, sizeInBytes() is missing before Qt 5.10)."""
    size = img.sizeInBytes() if hasattr(img, "sizeInBytes") else img.byteCount()
    ptr = img.constBits()
    ptr.setsize(size)
    return bytes(ptr)
