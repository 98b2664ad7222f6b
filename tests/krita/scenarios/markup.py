"""Markup edits in the docker: a paint layer chosen as Markup is sent as the overlay for the context box
with a GPT Image 2.6 model (through the sandbox's OpenAI route), the answer lands as any edit, the markup
layer is left as drawn; a model without markup and a shut-down model are refused before anything is sent,
with the replacement named; and the docker's controls follow the chosen model."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from krita import Krita  # noqa: E402

W, H = 200, 120
#: the stroke on the markup layer: rows 50-57, columns 40-159, pure red (B,G,R,A)
STROKE = (40, 50, 120, 8)
RED = bytes((0, 0, 255, 255))


def gradient(w, h):
    """A smooth opaque picture (small steps between neighbours, so resampling changes it little)."""
    out = bytearray()
    for y in range(h):
        for x in range(w):
            out += bytes((60 + x // 2, 80 + y // 2, 100 + (x + y) // 4, 255))
    return bytes(out)


def stroke_layer():
    x0, y0, sw, sh = STROKE
    data = bytearray(W * H * 4)
    for y in range(y0, y0 + sh):
        for x in range(x0, x0 + sw):
            data[4 * (y * W + x) : 4 * (y * W + x) + 4] = RED
    return bytes(data)


def run(ctx):
    kutil.drive(ctx, scenario)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    docker = kutil.find_docker(ctx)
    doc = yield from kutil.new_doc(ctx, W, H, "markup")
    art = kutil.add_layer(doc, "art", gradient(W, H), 0, 0, W, H)
    markup = kutil.add_layer(doc, "Markup", stroke_layer(), 0, 0, W, H)
    yield 0.5  # a freshly added layer becomes current once the view catches up; then pick the art layer
    yield from kutil.activate(ctx, doc, art)
    markup_before = bytes(markup.pixelData(0, 0, W, H))
    visible_before = markup.visible()

    # controls follow the model: gpt-image-2 has no complexity, no markup, no xhigh/max
    docker.set_option("provider", "openai")
    docker.set_option("model", "gpt-image-2")
    q2 = [docker.quality.itemText(i) for i in range(docker.quality.count())]
    ctx.report(
        gpt2_qualities=q2,
        gpt2_markup_shown=not docker.markup.isHidden(),
        gpt2_complexity_shown=not docker.complexity.isHidden(),
    )
    docker.set_option("model", "gpt-image-2.6-sunburst")
    q26 = [docker.quality.itemText(i) for i in range(docker.quality.count())]
    ctx.report(
        sunburst_qualities=q26,
        sunburst_markup_shown=not docker.markup.isHidden(),
        sunburst_complexity_shown=not docker.complexity.isHidden(),
        models=[docker.model.itemData(i) for i in range(docker.model.count())],
    )
    docker.set_option("markup", "Markup")
    docker.set_option("quality", "xhigh")
    docker.set_option("complexity", "low")
    docker.update_estimate()
    with_markup = docker.cost_label.text()
    ctx.report(
        markup_choice=docker.markup.currentText(),
        estimate=with_markup,
        markup_layers=[docker.markup.itemText(i) for i in range(docker.markup.count())],
    )

    # the screenshot for the README: the docker with a markup layer chosen
    docker.set_prompt("Plant a low hedge along the red line; keep everything else")
    docker.setFloating(True)
    docker.resize(420, 820)
    yield 0.5
    shot = os.path.join(ctx.params["artifacts"], f"krita-markup-{ctx.params.get('version', 'x')}.png")
    ctx.report(screenshot=shot if docker.grab().save(shot, "PNG") else None)
    docker.setFloating(False)

    # the edit: [identity] makes the sandbox return the picture with the drawn strokes painted in
    job = docker.start_edit("[identity] plant a hedge along the red line")
    if job is None:
        ctx.fail(f"markup edit refused: {docker.message()}")
        return
    yield (lambda: job.done, 90)
    ctx.report(edit_state=job.state, edit_message=job.message)
    if job.layer is None:
        ctx.done()
        return
    out = bytes(job.layer.pixelData(0, 0, W, H))
    art_px = gradient(W, H)
    x0, y0, sw, sh = STROKE
    inside = outside = 0
    for y in range(H):
        for x in range(W):
            i = 4 * (y * W + x)
            if x0 + 1 <= x < x0 + sw - 1 and y0 + 1 <= y < y0 + sh - 1:
                inside = max(inside, kutil.max_diff(out[i : i + 4], RED))
            elif not (x0 - 2 <= x < x0 + sw + 2 and y0 - 2 <= y < y0 + sh + 2):
                outside = max(outside, kutil.max_diff(out[i : i + 4], art_px[i : i + 4]))
    sent = [j["request"] for j in kutil.sandbox(ctx, "stats")["jobs"]]
    ctx.report(
        inside_max_diff=inside,
        outside_max_diff=outside,
        markup_untouched=bytes(markup.pixelData(0, 0, W, H)) == markup_before,
        markup_visible_unchanged=markup.visible() == visible_before,
        layers=kutil.names(doc.rootNode()),
        sent_model=sent[-1]["model"],
        sent_markup=sent[-1].get("markup_image"),
        sent_complexity=sent[-1].get("complexity"),
        sent_quality=sent[-1]["params"].get("quality"),
        sent_images=len(sent[-1]["images"]),
    )

    # a model without markup: refused before anything is sent, by the scripting API as well
    from gptedit.errors import GptEditError
    from gptedit_krita import api

    creates = kutil.sandbox(ctx, "stats")["openai"]["creates"]
    try:
        api.edit("[identity] x", provider="openai", model="gpt-image-2", markup="Markup")
        no_markup = "accepted"
    except GptEditError as exc:
        no_markup = exc.message

    # a shut-down model, the day after: refused naming the replacement, in the API and the docker
    os.environ["GPTEDIT_TODAY"] = "2026-12-01"
    try:
        api.edit("[identity] x", provider="openai", model="gpt-image-1.5")
        retired_api = "accepted"
    except GptEditError as exc:
        retired_api = exc.message
    from gptedit.settings import set_config_value

    set_config_value("model", "gpt-image-1.5", provider="openai")
    docker._load_choices()
    retired_docker = docker.message()
    offered = [docker.model.itemData(i) for i in range(docker.model.count())]
    ctx.report(
        no_markup_message=no_markup,
        retired_api_message=retired_api,
        retired_docker_message=retired_docker,
        offered_after_shutdown=offered,
        creates_after_refusals=kutil.sandbox(ctx, "stats")["openai"]["creates"] - creates,
    )
    del os.environ["GPTEDIT_TODAY"]
    ctx.done()
