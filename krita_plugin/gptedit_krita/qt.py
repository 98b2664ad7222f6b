"""The ONE place that imports Qt: PyQt5 inside Krita 5, PyQt6 inside Krita 6 (and in the offscreen tests).

Krita 6's own `krita` package installs an import hook that raises ModuleNotFoundError for the wrong binding
(docs/hosts.md "Krita: PyQt5 and PyQt6"), so we never guess: whichever binding Krita (or the test's stub
`krita`) has already imported wins; only when none is loaded yet do we try PyQt5 first (Krita 5 is still the
common case) and then PyQt6. Enum members are re-exported here under flat names, because PyQt6 only knows the
scoped spelling (`QImage.Format.Format_ARGB32`) and older PyQt5 builds only the flat one.
"""

# ruff: noqa: F401  (this module re-exports the Qt names every other module imports from it)
from __future__ import annotations

import sys


def _pick() -> int:
    if "PyQt6.QtCore" in sys.modules:
        return 6
    if "PyQt5.QtCore" in sys.modules:
        return 5
    try:
        import PyQt5.QtCore  # noqa: F401

        return 5
    except ImportError:
        return 6


QT_MAJOR = _pick()

if QT_MAJOR == 6:
    from PyQt6.QtCore import (
        QBuffer,
        QByteArray,
        QEvent,
        QEventLoop,
        QIODevice,
        QObject,
        QRect,
        QRectF,
        QSize,
        Qt,
        QThread,
        QTimer,
        pyqtSignal,
        pyqtSlot,
    )
    from PyQt6.QtGui import (
        QAction,
        QColor,
        QIcon,
        QImage,
        QKeySequence,
        QPainter,
        QPixmap,
        QShortcut,
    )
    from PyQt6.QtWidgets import (
        QAbstractItemView,
        QApplication,
        QCheckBox,
        QComboBox,
        QDialog,
        QDialogButtonBox,
        QFormLayout,
        QGroupBox,
        QHBoxLayout,
        QLabel,
        QLineEdit,
        QListWidget,
        QListWidgetItem,
        QMessageBox,
        QPlainTextEdit,
        QProgressBar,
        QPushButton,
        QScrollArea,
        QSpinBox,
        QTabWidget,
        QToolButton,
        QTreeWidget,
        QTreeWidgetItem,
        QVBoxLayout,
        QWidget,
    )
else:
    from PyQt5.QtCore import (
        QBuffer,
        QByteArray,
        QEvent,
        QEventLoop,
        QIODevice,
        QObject,
        QRect,
        QRectF,
        QSize,
        Qt,
        QThread,
        QTimer,
        pyqtSignal,
        pyqtSlot,
    )
    from PyQt5.QtGui import (
        QColor,
        QIcon,
        QImage,
        QKeySequence,
        QPainter,
        QPixmap,
    )
    from PyQt5.QtWidgets import (
        QAbstractItemView,
        QAction,
        QApplication,
        QCheckBox,
        QComboBox,
        QDialog,
        QDialogButtonBox,
        QFormLayout,
        QGroupBox,
        QHBoxLayout,
        QLabel,
        QLineEdit,
        QListWidget,
        QListWidgetItem,
        QMessageBox,
        QPlainTextEdit,
        QProgressBar,
        QPushButton,
        QScrollArea,
        QShortcut,
        QSpinBox,
        QTabWidget,
        QToolButton,
        QTreeWidget,
        QTreeWidgetItem,
        QVBoxLayout,
        QWidget,
    )


def scoped_enum(owner, scope: str, name: str):
    """`owner.scope.name` (PyQt6 and PyQt5 ≥ 5.11) or `owner.name` (older PyQt5).

    Krita's own classes follow the same rule: Krita 6 has only the scoped spelling.
    """
    scoped = getattr(owner, scope, None)
    if scoped is not None and hasattr(scoped, name):
        return getattr(scoped, name)
    return getattr(owner, name)


FORMAT_ARGB32 = scoped_enum(QImage, "Format", "Format_ARGB32")
FORMAT_ARGB32_PREMULTIPLIED = scoped_enum(QImage, "Format", "Format_ARGB32_Premultiplied")
SMOOTH_PIXMAP_TRANSFORM = scoped_enum(QPainter, "RenderHint", "SmoothPixmapTransform")
FORMAT_RGBA8888 = scoped_enum(QImage, "Format", "Format_RGBA8888")
FORMAT_GRAYSCALE8 = scoped_enum(QImage, "Format", "Format_Grayscale8")
FORMAT_ALPHA8 = scoped_enum(QImage, "Format", "Format_Alpha8")
SMOOTH = scoped_enum(Qt, "TransformationMode", "SmoothTransformation")
FAST = scoped_enum(Qt, "TransformationMode", "FastTransformation")
IGNORE_ASPECT = scoped_enum(Qt, "AspectRatioMode", "IgnoreAspectRatio")
KEEP_ASPECT = scoped_enum(Qt, "AspectRatioMode", "KeepAspectRatio")
USER_ROLE = scoped_enum(Qt, "ItemDataRole", "UserRole")
QUEUED = scoped_enum(Qt, "ConnectionType", "QueuedConnection")
WRITE_ONLY = scoped_enum(QIODevice, "OpenModeFlag", "WriteOnly")
ALIGN_TOP = scoped_enum(Qt, "AlignmentFlag", "AlignTop")
RICH_TEXT = scoped_enum(Qt, "TextFormat", "RichText")
NO_EDIT = scoped_enum(QAbstractItemView, "EditTrigger", "NoEditTriggers")


def exec_loop(obj) -> int:
    """`exec()` (PyQt6) or `exec_()` (PyQt5) on an event loop or dialog."""
    run = getattr(obj, "exec", None) or obj.exec_
    return run()


def qbytes(data) -> bytes:
    """A QByteArray (or sip.voidptr sized by the caller) as Python bytes, both bindings."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    return bytes(data.data()) if hasattr(data, "data") else bytes(data)


def image_bytes(img) -> bytes:
    """The pixel bytes of a QImage, rows packed (Qt pads each row to 4 bytes; 8-bit images lose that)."""
    size = img.sizeInBytes() if hasattr(img, "sizeInBytes") else img.byteCount()
    raw = img.constBits().asstring(size)
    packed = img.width() * img.depth() // 8
    stride = img.bytesPerLine()
    if stride == packed:
        return raw
    return b"".join(raw[y * stride : y * stride + packed] for y in range(img.height()))
