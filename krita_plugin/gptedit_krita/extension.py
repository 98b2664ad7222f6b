"""The menu action (Tools ▸ Scripts ▸ Edit with GPT Image…) and start-up recovery of unfinished jobs."""

from __future__ import annotations

from krita import Extension

from .qt import QTimer

ACTION_ID = "gptedit_edit"
ACTION_TEXT = "Edit with GPT Image…"


class GptEditExtension(Extension):
    def __init__(self, parent):
        super().__init__(parent)
        self.actions = []

    def setup(self) -> None:
        # After the windows exist: look for jobs a crash or a closed Krita left behind (history.py).
        QTimer.singleShot(1500, self._recover)

    def createActions(self, window) -> None:
        # The text comes from the .action file when it is installed; the literal is the fallback.
        action = window.createAction(ACTION_ID, ACTION_TEXT, "tools/scripts")
        action.triggered.connect(self.show_docker)
        self.actions.append(action)

    def show_docker(self) -> None:
        from krita import Krita

        from .docker import DOCKER_ID, DOCKERS

        window = Krita.instance().activeWindow()
        if window is not None:
            for dock in window.dockers():
                if dock.objectName() == DOCKER_ID:
                    dock.show()
                    dock.raise_()
        for docker in DOCKERS:
            if docker.isVisible():
                docker.focus_prompt()
                break

    def _recover(self) -> None:
        from . import history

        history.recover_on_startup()
