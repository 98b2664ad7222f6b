"""Variations: n > 1 results live in ONE group layer with one child per variation (each masked to the
selection), only one visible. The panel shows their thumbnails; a click makes that one visible, *Keep*
removes the others. Because the state is the layer stack itself, it survives save and reopen: selecting
such a group in the Layers docker brings the panel back."""

from __future__ import annotations

from .canvas_insert import LAYER_PREFIX
from .qt import QHBoxLayout, QIcon, QLabel, QPixmap, QPushButton, QSize, QToolButton, QVBoxLayout, QWidget

THUMB = 64


def variation_nodes(group) -> list:
    """The variation layers of a result group, bottom to top (masks excluded)."""
    if group is None or group.type() != "grouplayer":
        return []
    return [c for c in group.childNodes() if not c.type().endswith("mask")]


def is_variation_group(node) -> bool:
    return (
        node is not None
        and node.type() == "grouplayer"
        and node.name().startswith(LAYER_PREFIX)
        and len(variation_nodes(node)) >= 2
    )


class VariationsPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.group = None
        self.title = QLabel("Variations")
        self.strip = QHBoxLayout()
        self.keep_button = QPushButton("Keep")
        self.keep_button.setToolTip("Keep the visible variation and delete the others")
        self.keep_button.clicked.connect(self.keep)
        row = QHBoxLayout()
        row.addLayout(self.strip, 1)
        row.addWidget(self.keep_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(row)
        self.buttons: list[QToolButton] = []
        self.hide()

    def follow_active(self, doc) -> None:
        node = doc.activeNode() if doc is not None else None
        if is_variation_group(node):
            self.show_group(doc, node)
        elif node is not None and is_variation_group(node.parentNode()):
            self.show_group(doc, node.parentNode())

    def show_group(self, doc, group) -> None:
        self.doc, self.group = doc, group
        for b in self.buttons:
            self.strip.removeWidget(b)
            b.deleteLater()
        self.buttons = []
        nodes = variation_nodes(group)
        for i, node in enumerate(nodes):
            button = QToolButton()
            button.setCheckable(True)
            button.setChecked(node.visible())
            button.setIconSize(QSize(THUMB, THUMB))
            thumb = node.thumbnail(THUMB, THUMB)
            if not thumb.isNull():
                button.setIcon(QIcon(QPixmap.fromImage(thumb)))
            button.setText(str(i + 1))
            button.setToolTip(node.name())
            button.clicked.connect(lambda _checked=False, i=i: self.select(i))
            self.strip.addWidget(button)
            self.buttons.append(button)
        self.title.setText(f"Variations of “{group.name()}”")
        self.setVisible(len(nodes) >= 2)

    def select(self, index: int) -> None:
        """Show variation `index` only."""
        try:
            self._select(index)
        except Exception as exc:  # noqa: BLE001 - e.g. the group was deleted meanwhile: say so, no dialog
            self.title.setText(f"Cannot switch variations: {exc}")

    def _select(self, index: int) -> None:
        nodes = variation_nodes(self.group)
        for i, node in enumerate(nodes):
            node.setVisible(i == index)
        for i, b in enumerate(self.buttons):
            b.setChecked(i == index)
        if self.doc is not None:
            self.doc.refreshProjection()

    def keep(self) -> None:
        """Delete every variation but the visible one (each removal can be undone)."""
        try:
            self._keep()
        except Exception as exc:  # noqa: BLE001
            self.title.setText(f"Cannot keep the variation: {exc}")

    def _keep(self) -> None:
        nodes = variation_nodes(self.group)
        visible = [n for n in nodes if n.visible()] or nodes[:1]
        keep_id = visible[0].uniqueId().toString()
        for node in nodes:
            if node.uniqueId().toString() != keep_id:
                node.remove()
        self.hide()
