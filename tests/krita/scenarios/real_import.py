"""Krita's own Tools ▸ Scripts ▸ Import Python Plugin from File…, run on the built zip: the bundled
plugin_importer extension's do_import() (the method its menu action calls once a file is chosen), with its
two Yes/No questions ("overwrite?", "enable now?") answered Yes. Krita is then quit; the test starts it
again to see the plugin load."""

from krita import Krita


def run(ctx):
    importer = next((e for e in Krita.instance().extensions() if hasattr(e, "do_import")), None)
    if importer is None:
        ctx.fail(
            f"no plugin_importer extension among {[type(e).__name__ for e in Krita.instance().extensions()]}"
        )
        return
    errors = []
    # The modal questions are the only part not run: a test cannot click them.
    importer.confirm_overwrite = lambda plugin: True
    importer.confirm_activate = lambda plugins: True
    importer.display_errors = lambda error: errors.append(f"{type(error).__name__}: {error}")
    importer.do_import(ctx.params["zip"])
    ctx.done(
        errors=errors,
        resources=Krita.instance().getAppDataLocation(),
        enabled=Krita.instance().readSetting("python", "enable_gptedit_krita", "false"),
        importer=type(importer).__module__,
    )
