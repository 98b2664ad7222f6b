"""The docker driven through its public methods (what its buttons call): no document, empty prompt, cost
estimate, an edit with the job list, cancel, a provider error, the settings page, and a screenshot."""

import os
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from krita import Krita, Selection  # noqa: E402


def run(ctx):
    kutil.drive(ctx, scenario)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    from gptedit_krita import settings_page

    docker = kutil.find_docker(ctx)
    ctx.report(docker_found=docker is not None, docker_title=docker.windowTitle() if docker else None)
    # No document yet: the menu entry must still be enabled (Qt 6 ignores trigger() on a disabled action,
    # and a user cannot click a greyed-out entry in any Krita).
    ctx.report(action_enabled_without_doc=k.action("gptedit_edit").isEnabled())
    k.action("gptedit_edit").trigger()
    yield (lambda: docker.isVisible(), 5)
    ctx.report(docker_visible_after_action=docker.isVisible())

    # no document: a message, nothing else
    docker.set_prompt("[invert] anything")
    ctx.report(no_doc_job=docker.start_edit() is not None, no_doc_message=docker.message())

    doc = yield from kutil.new_doc(ctx, 200, 120, "docker")
    art = kutil.add_layer(doc, "art", kutil.pattern(200, 120), 0, 0, 200, 120)
    sel = Selection()
    sel.select(40, 30, 80, 50, 255)
    doc.setSelection(sel)
    yield from kutil.activate(ctx, doc, art)
    before = kutil.composite(doc)

    # empty prompt: refused with a message, the document untouched
    docker.set_prompt("   ")
    ctx.report(
        empty_job=docker.start_edit() is not None,
        empty_message=docker.message(),
        empty_untouched=kutil.names(doc.rootNode()) == ["Background", "art"],
    )

    # the estimate is shown before the click
    docker.set_prompt("Turn the sky into a warm sunset")  # no token: the sandbox tints
    docker.update_estimate()
    ctx.report(estimate_before=docker.cost_label.text())

    job = docker.start_edit()
    if job is None:
        an = doc.activeNode()
        ctx.fail(
            f"docker refused: {docker.message()} (active node {an.name() if an else None}, "
            f"active doc {k.activeDocument().name() if k.activeDocument() else None})"
        )
        return
    ctx.report(job_rows_started=docker.jobs.tree.topLevelItemCount())
    yield (lambda: job.done, 60)
    docker.jobs.refresh()
    row = docker.jobs.tree.topLevelItem(0)
    ctx.report(
        edit_state=job.state,
        edit_message=docker.message(),
        edit_cost=job.cost,
        row=[row.text(i) for i in range(4)],
        layers_after_edit=kutil.names(doc.rootNode()),
        recent=docker.recent_prompts()[:1],
    )

    # the screenshot for the README and the test artifacts
    docker.setFloating(True)
    docker.resize(420, 760)
    yield 0.5
    shot = os.path.join(ctx.params["artifacts"], f"krita-docker-{ctx.params.get('version', 'x')}.png")
    ctx.report(screenshot=shot if docker.grab().save(shot, "PNG") else None)

    # cancel a slow job
    kutil.sandbox(ctx, "config", {"latency": 30})
    art_only = kutil.names(doc.rootNode())
    docker.set_prompt("[invert] slow one")
    job = docker.start_edit()
    yield (lambda: job.state in ("submitted", "running"), 20)
    ctx.report(cancel_seen_state=job.state)
    docker.jobs.tree.setCurrentItem(docker.jobs.tree.topLevelItem(0))
    docker.jobs.cancel_selected()
    yield (lambda: job.done, 30)
    ctx.report(
        cancel_state=job.state,
        cancel_message=job.message,
        cancel_untouched=kutil.names(doc.rootNode()) == art_only,
    )

    # a provider error: a readable message, the document untouched
    kutil.sandbox(ctx, "config", {"latency": 0.3, "outcome": "error"})
    docker.set_prompt("[invert] fails")
    job = docker.start_edit()
    yield (lambda: job.done, 30)
    ctx.report(
        error_state=job.state,
        error_message=docker.message(),
        error_untouched=kutil.names(doc.rootNode()) == art_only,
    )
    kutil.sandbox(ctx, "config", {"outcome": "success"})

    # settings page: keys go to the shared 0600 config file, masked; the environment wins
    os.environ.pop("FAL_KEY", None)
    dialog = settings_page.SettingsDialog(docker)
    dialog.key_fields["fal"].setText("fal-secret-key-98765")
    dialog.url_fields["replicate"].setText("http://127.0.0.1:9/replicate")
    dialog.save()
    from gptedit import settings as s

    path = s.config_path()
    config = s.load_config()
    again = settings_page.SettingsDialog(docker)
    ctx.report(
        config_mode=oct(stat.S_IMODE(os.stat(path).st_mode)),
        config_fal_key=config["providers"]["fal"]["api_key"],
        config_replicate_url=config["providers"]["replicate"]["base_url"],
        fal_status=settings_page.key_status("fal", config),
        eachlabs_status=settings_page.key_status("eachlabs", config),
        fal_field_text=again.key_fields["fal"].text(),
        fal_placeholder=again.key_fields["fal"].placeholderText(),
        eachlabs_resolved_from=s.resolve({"provider": "eachlabs"}).sources.get("api_key"),
    )
    # Test connection for OpenAI's Responses route with a key typed into the OpenAI field (not saved): the
    # check runs on a worker thread while Krita keeps painting, and says in words what works
    again.provider.setCurrentText("openai-responses")
    again.key_fields["openai"].setText("typed-openai-4321")
    again.test_button.click()
    busy = not again.test_button.isEnabled()
    yield (lambda: again.test_button.isEnabled(), 30)
    ctx.report(test_busy=busy, test_result=again.test_result.text())
    after = kutil.composite(doc)
    ctx.report(first_result_changed=after != before)
    ctx.done()
