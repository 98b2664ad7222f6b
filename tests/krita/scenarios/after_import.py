"""After Krita's own importer installed the zip: the plugin loaded, its menu entry reads its text from the
imported .action file, and its docker exists."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402


def run(ctx):
    act = ctx.krita.action("gptedit_edit")
    docker = kutil.find_docker(ctx) if "gptedit_krita" in ctx.user_plugins() else None
    ctx.done(
        plugins=ctx.user_plugins(),
        action_text=act.text() if act else None,
        action_tooltip=act.toolTip() if act else None,
        menu=ctx.menu_path("gptedit_edit"),
        docker_title=docker.windowTitle() if docker else None,
    )
