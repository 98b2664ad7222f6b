"""A small in-memory stand-in for Krita's `krita` module, for the PyQt6 offscreen test only.

A quick check of the plugin's Qt6 path without any Krita: 8-bit RGBA documents held as bytes, the libkis
calls the plugin makes (pixelData, setPixelData, createNode, addChildNode, selection, settings, dockers),
and an undo counter. Everything real Krita does is tested in real Krita 5.2, 5.3 and 6.0 by the other
tests in this folder.
"""

from __future__ import annotations

import enum
import itertools
import uuid

from PyQt6.QtCore import QByteArray, QRect
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QDockWidget

_ids = itertools.count(1)


class _Uid:
    def __init__(self):
        self._value = uuid.uuid4()

    def toString(self) -> str:
        return "{" + str(self._value) + "}"


def _over(dst: bytearray, src: bytes) -> None:
    """Straight-alpha 'normal' blending of B,G,R,A src over dst, in place (small images only)."""
    for i in range(0, len(src), 4):
        a = src[i + 3]
        if a == 255:
            dst[i : i + 4] = src[i : i + 4]
        elif a:
            da = dst[i + 3]
            out_a = a + da * (255 - a) // 255
            for c in range(3):
                dst[i + c] = (src[i + c] * a + dst[i + c] * da * (255 - a) // 255) // max(out_a, 1)
            dst[i + 3] = out_a


class Node:
    def __init__(self, doc, name: str, kind: str):
        self._doc, self._name, self._type = doc, name, kind
        self._children: list[Node] = []
        self._parent: Node | None = None
        self._visible = True
        self._uid = _Uid()
        bpp = 1 if kind.endswith("mask") else 4
        self._bpp = bpp
        self._data = bytearray(doc.width() * doc.height() * bpp)

    # identity and tree
    def name(self):
        return self._name

    def type(self):
        return self._type

    def visible(self):
        return self._visible

    def setVisible(self, v):
        self._visible = bool(v)

    def opacity(self):
        return 255

    def uniqueId(self):
        return self._uid

    def childNodes(self):
        return list(self._children)

    def parentNode(self):
        return self._parent

    def colorModel(self):
        return "A" if self._bpp == 1 else "RGBA"

    def colorDepth(self):
        return "U8"

    def addChildNode(self, child, above) -> bool:
        index = self._children.index(above) + 1 if above in self._children else len(self._children)
        self._children.insert(index, child)
        child._parent = self
        if self._doc._in_tree(self):
            self._doc.undo_steps.append(("add", child))
        return True

    def remove(self) -> bool:
        if self._parent is not None:
            self._parent._children.remove(self)
            self._parent = None
        return True

    # pixels (absolute canvas coordinates, like libkis)
    def _rows(self, x, y, w, h):
        cw = self._doc.width()
        for row in range(h):
            start = ((y + row) * cw + x) * self._bpp
            yield row, start, start + w * self._bpp

    def pixelData(self, x, y, w, h) -> QByteArray:
        out = bytearray()
        for _row, a, b in self._rows(x, y, w, h):
            out += self._data[a:b]
        return QByteArray(bytes(out))

    def setPixelData(self, data, x, y, w, h) -> bool:
        raw = bytes(data)
        step = w * self._bpp
        for row, a, b in self._rows(x, y, w, h):
            self._data[a:b] = raw[row * step : (row + 1) * step]
        return True

    def projectionPixelData(self, x, y, w, h) -> QByteArray:
        if self._type == "grouplayer":
            full = bytearray(len(self._data))
            for child in self._children:
                if child.visible() and not child.type().endswith("mask"):
                    _over(full, child._masked())
            tmp = Node(self._doc, "tmp", "paintlayer")
            tmp._data = full
            return tmp.pixelData(x, y, w, h)
        tmp = Node(self._doc, "tmp", "paintlayer")
        tmp._data = bytearray(self._masked())
        return tmp.pixelData(x, y, w, h)

    def _masked(self) -> bytes:
        data = bytearray(self._data)
        for m in self._children:
            if m.type() == "transparencymask":
                data[3::4] = bytes(a * s // 255 for a, s in zip(data[3::4], m._data, strict=True))
        return bytes(data)

    def bounds(self) -> QRect:
        cw = self._doc.width()
        xs, ys = [], []
        for i, a in enumerate(self._data[3::4] if self._bpp == 4 else self._data):
            if a:
                xs.append(i % cw)
                ys.append(i // cw)
        if not xs:
            return QRect(0, 0, 0, 0)
        return QRect(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)

    def thumbnail(self, w, h) -> QImage:
        img = QImage(bytes(self._data), self._doc.width(), self._doc.height(), QImage.Format.Format_ARGB32)
        return img.scaled(w, h)


class Selection:
    def __init__(self, width: int = 0, height: int = 0):
        self._w, self._h = width, height
        self._data = bytearray(width * height)

    def _bbox(self):
        xs = [i % self._w for i, v in enumerate(self._data) if v]
        ys = [i // self._w for i, v in enumerate(self._data) if v]
        return (min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1) if xs else (0, 0, 0, 0)

    def x(self):
        return self._bbox()[0]

    def y(self):
        return self._bbox()[1]

    def width(self):
        return self._bbox()[2]

    def height(self):
        return self._bbox()[3]

    def select(self, x, y, w, h, value):
        for row in range(y, y + h):
            self._data[row * self._w + x : row * self._w + x + w] = bytes([value]) * w

    def pixelData(self, x, y, w, h) -> QByteArray:
        out = bytearray()
        for row in range(y, y + h):
            for col in range(x, x + w):
                inside = 0 <= row < self._h and 0 <= col < self._w
                out.append(self._data[row * self._w + col] if inside else 0)
        return QByteArray(bytes(out))


class Document:
    def __init__(self, width: int, height: int, name: str = "stub"):
        self._w, self._h, self._name = width, height, name
        self._root = Node(self, "root", "grouplayer")
        self._active = None
        self._selection: Selection | None = None
        self.undo_steps: list = []

    def _in_tree(self, node) -> bool:
        while node is not None:
            if node is self._root:
                return True
            node = node._parent
        return False

    def width(self):
        return self._w

    def height(self):
        return self._h

    def name(self):
        return self._name

    def fileName(self):
        return ""

    def colorModel(self):
        return "RGBA"

    def colorDepth(self):
        return "U8"

    def colorProfile(self):
        return "sRGB-elle-V2-srgbtrc.icc"

    def rootNode(self):
        return self._root

    def activeNode(self):
        return self._active

    def setActiveNode(self, node):
        self._active = node

    def selection(self):
        return self._selection

    def setSelection(self, sel):
        self._selection = sel

    def setBatchmode(self, value):
        pass

    def refreshProjection(self):
        pass

    def waitForDone(self):
        pass

    def createNode(self, name, kind):
        return Node(self, name, kind)

    def createGroupLayer(self, name):
        return Node(self, name, "grouplayer")

    def createTransparencyMask(self, name):
        return Node(self, name, "transparencymask")

    def pixelData(self, x, y, w, h) -> QByteArray:
        return self._root.projectionPixelData(x, y, w, h)


class _Action:
    def __init__(self, text=""):
        self._text = text
        self.triggered = _Signal()

    def text(self):
        return self._text

    def trigger(self):
        self.triggered.emit()


class _Signal:
    def __init__(self):
        self._slots = []

    def connect(self, slot):
        self._slots.append(slot)

    def emit(self, *a):
        for s in self._slots:
            s(*a)


class _Window:
    def __init__(self):
        self.actions, self._dockers = {}, []

    def createAction(self, id_, text="", menu="tools/scripts"):
        self.actions[id_] = _Action(text)
        return self.actions[id_]

    def dockers(self):
        return list(self._dockers)


class Krita:
    _instance = None

    def __init__(self):
        self.extensions, self.factories, self.settings, self.docs = [], [], {}, []
        self.window = _Window()
        self.active = None

    @classmethod
    def instance(cls):
        if cls._instance is None:
            cls._instance = Krita()
        return cls._instance

    def addExtension(self, ext):
        self.extensions.append(ext)

    def addDockWidgetFactory(self, f):
        self.factories.append(f)

    def activeDocument(self):
        return self.active

    def setActiveDocument(self, doc):
        self.active = doc

    def documents(self):
        return list(self.docs)

    def activeWindow(self):
        return self.window

    def readSetting(self, group, key, default):
        return self.settings.get((group, key), default)

    def writeSetting(self, group, key, value):
        self.settings[(group, key)] = value

    def action(self, name):
        return self.window.actions.get(name)


class Extension:
    def __init__(self, parent=None):
        self.parent = parent


class DockWidget(QDockWidget):
    def canvasChanged(self, canvas):
        pass


class DockWidgetFactoryBase:
    class DockPosition(enum.Enum):  # like Krita 6's bindings: only the scoped spelling exists
        DockRight = 3


class DockWidgetFactory:
    def __init__(self, id_, area, klass):
        self.id, self.area, self.klass = id_, area, klass
