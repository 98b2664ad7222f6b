"""The edit recipe every front end follows: settings + the pictures it read → a plan, a request, its checks
and its price. The command line, the Krita plugin and the GIMP plug-in only read pixels, call these functions
and show what they say, so a rule (an empty prompt, a size the model cannot make, what is sent as a mask,
what an edit costs) has exactly one home and one wording.

    plan_for        settings + canvas + selection → the region to send and where the answer goes
    what_to_send    which extra pictures (references, a mask) the chosen model takes
    build_request   settings + prompt + encoded pictures → EditRequest
    check_request   every refusal that needs no network (providers call it with their model's entry;
                    `check` does the same from settings, before a key is needed)
    quote / quote_request   what it will cost, before pixels are read or once the request is built
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import PROVIDERS, ModelInfo, model_info
from .errors import BadInput, Unsupported
from .geometry import Box, Plan, plan_edit
from .imagesniff import ImageInfo, check_image
from .model_options import check_choices, effective_complexity, models_with
from .models import Background, CostEstimate, EditRequest, ImageInput, OutputFormat, Size
from .pricing import estimate
from .settings import Settings

#: the sentence every front end shows for a prompt with no words in it
EMPTY_PROMPT = "The prompt is empty: describe the edit you want."
#: bigger inputs are refused before anything is sent (OpenAI's edit endpoint: each image under 50 MB,
#: https://platform.openai.com/docs/api-reference/images/createEdit)
MAX_INPUT_BYTES = 50 * 1024 * 1024
#: margin kept around a selection when padding is not 0, in canvas pixels (a sliver of context is always
#: worth sending); padding 0 means "just the selection", grown only to the answer's shape
MIN_PADDING = 16
_INPUT_FORMATS = ("png", "jpeg", "webp")


def clean_prompt(prompt: str | None) -> str:
    """The prompt as sent (surrounding white space dropped); BadInput when nothing is left."""
    text = (prompt or "").strip()
    if not text:
        raise BadInput(EMPTY_PROMPT)
    return text


def model_for(settings: Settings) -> ModelInfo:
    return model_info(settings.protocol, settings.model)


def plan_for(settings: Settings, canvas_w: int, canvas_h: int, selection: Box | None) -> Plan:
    """The core's plan for a canvas and its selection under these settings (hosts quote and read from it)."""
    padding = settings.padding
    return plan_edit(
        canvas_w,
        canvas_h,
        selection,
        model_for(settings).sizes,
        size=settings.size,
        padding=padding,
        min_padding=0 if padding == 0 else MIN_PADDING,
        max_send_side=settings.max_send_side,
    )


@dataclass(frozen=True)
class Sending:
    """What a host should encode besides the picture itself for the chosen model."""

    #: how many reference pictures the model takes beside the one edited
    references: int
    #: whether the model takes the selection as a mask (without one, the selection still shapes the result
    #: through the mask the host puts on the inserted layer)
    mask: bool
    #: whether the model takes a markup overlay (a host reads the chosen markup layer only then)
    markup: bool = False


def what_to_send(settings: Settings) -> Sending:
    info = model_for(settings)
    return Sending(
        references=max(0, info.max_inputs - 1), mask=info.supports_mask, markup=info.supports_markup
    )


def build_request(
    settings: Settings,
    prompt: str,
    images: list[ImageInput],
    *,
    mask: ImageInput | None = None,
    markup: ImageInput | None = None,
    size: Size | None | str = None,
) -> EditRequest:
    """An edit request with every option taken from resolved settings. `size`: the plan's request size
    (hosts); None takes the settings' own size ("auto" or WIDTHxHEIGHT, the command line). `markup`: the
    overlay of strokes for the first image, the same size as it."""
    if isinstance(size, str) or size is None:
        size = Size.parse(size if isinstance(size, str) else settings.size)
    return EditRequest(
        prompt=clean_prompt(prompt),
        images=list(images),
        model=settings.model,
        mask=mask,
        quality=settings.quality,
        size=size,
        n=settings.n,
        output_format=settings.output_format,
        background=settings.background,
        complexity=effective_complexity(settings, model_for(settings)),
        markup=markup,
    )


def image_info(image: ImageInput, what: str) -> ImageInfo:
    """The real format and size of an input picture, whatever its `mime` claims."""
    from .errors import BadResponse

    if not image.data:
        raise BadInput(f"The {what} is empty; there is nothing to send.")
    if len(image.data) > MAX_INPUT_BYTES:
        raise BadInput(
            f"The {what} is {len(image.data) // (1024 * 1024)} MB; the limit is 50 MB. "
            "Use a smaller selection or a lower max send size."
        )
    try:
        info = check_image(image.data)
    except BadResponse:
        raise BadInput(f"The {what} is not a complete PNG, JPEG or WebP file.") from None
    if info.format not in _INPUT_FORMATS:
        raise Unsupported(f"The {what} is {info.format.upper()}; send PNG, JPEG or WebP.")
    return info


def _check_overlay(request: EditRequest, overlay: ImageInput, what: str) -> None:
    """An overlay of the first image (the mask, the markup layer): a PNG the size of that image."""
    info = image_info(overlay, what)
    if info.format != "png":
        raise BadInput(f"The {what} must be a PNG with transparency.")
    first = image_info(request.images[0], "image to edit")
    if (info.width, info.height) != (first.width, first.height):
        raise BadInput(
            f"The {what} is {info.width}x{info.height} but the image is "
            f"{first.width}x{first.height}; they must be the same size."
        )


def check_options(request: EditRequest, model: ModelInfo, where: str) -> None:
    """The options that follow the model: quality tier, complexity, markup (part of `check_request`; a front
    end checks a choice before it has pixels with `model_options.check_settings_choices`, the same words)."""
    check_choices(
        model,
        where,
        quality=request.quality,
        complexity=request.complexity,
        markup=request.markup is not None,
    )


def check_request(request: EditRequest, model: ModelInfo, provider_label: str) -> None:
    """Everything that can be refused without sending anything, against the catalog's entry for the model.
    Every provider calls this from `check`, so `engine.preflight` refuses the same way for every front end."""
    where = f"{provider_label} {model.id}"
    prompt = clean_prompt(request.prompt)
    if len(prompt) > model.max_prompt:
        raise BadInput(
            f"The prompt has {len(prompt):,} characters; {where} takes at most {model.max_prompt:,}."
        )
    if not request.images:
        raise BadInput("There is no image to edit.")
    if len(request.images) > model.max_inputs:
        raise Unsupported(
            f"{where} takes at most {model.max_inputs} images per edit and "
            f"{len(request.images)} were given; use fewer reference images."
        )
    for i, image in enumerate(request.images):
        image_info(image, "image to edit" if i == 0 else f"reference image {i}")
    if request.n < 1 or request.n > model.max_n:
        kind = Unsupported if request.n > model.max_n else BadInput
        results = "result" if model.max_n == 1 else "results"
        raise kind(
            f"{where} makes 1 to {model.max_n} {results} per edit, not {request.n}: ask for at least "
            f"one and at most {model.max_n} {results}, or run the edit again for more variations."
        )
    model.sizes.check(request.size, where)
    check_options(request, model, where)
    if request.output_format not in model.formats:
        choices = ", ".join(f.value for f in model.formats)
        raise Unsupported(f"{where} cannot write {request.output_format.value}; choose {choices}.")
    if request.background is Background.TRANSPARENT and request.output_format is OutputFormat.JPEG:
        raise BadInput("JPEG cannot be transparent; choose PNG or WebP, or an opaque background.")
    if request.background not in model.backgrounds:
        choices = " or ".join(b.value for b in model.backgrounds)
        raise Unsupported(f"{where} cannot make a {request.background.value} background; choose {choices}.")
    if request.mask is not None:
        if not model.supports_mask:
            raise Unsupported(
                f"{where} cannot take a mask, so it would repaint the whole picture. Edit without the "
                f"selection mask, or use a model that takes one ({models_with('supports_mask')})."
            )
        # OpenAI's rule (docs/providers.md "OpenAI: request fields"): a PNG with alpha, the size of the first
        # image; fal forwards to the same model
        _check_overlay(request, request.mask, "mask")
        if len(request.images) > 1 and not model.mask_with_references:
            raise Unsupported(
                f"{where} cannot combine a mask with reference images; remove the references "
                "or edit without the selection mask."
            )
    if request.markup is not None:
        # the overlay applies to the first image and must match it pixel for pixel (OpenAI's guide)
        _check_overlay(request, request.markup, "markup layer")


def check(settings: Settings, request: EditRequest) -> None:
    """`check_request` for the provider the settings name, before any provider (or key) is needed."""
    check_request(request, model_info(settings.protocol, request.model), PROVIDERS[settings.protocol].label)


def _price(
    settings: Settings,
    size: Size | None,
    inputs: list[Size],
    prompt_chars: int,
    *,
    model: str = "",
    quality=None,
    n: int | None = None,
    markup: bool = False,
) -> CostEstimate:
    """The one plan → price step (pricing.estimate with the settings' provider, model, quality and count;
    a markup overlay is one more picture sent)."""
    return estimate(
        settings.protocol,
        model or settings.model,
        size,
        settings.quality if quality is None else quality,
        settings.n if n is None else n,
        input_images=inputs,
        prompt_chars=prompt_chars,
        markup=markup,
        text_model=settings.text_model,
    )


def quote(
    settings: Settings, plan: Plan | None = None, prompt_chars: int = 0, *, markup: bool = False
) -> CostEstimate:
    """What an edit will cost before its pixels are read: for the plan's expected output size and its one
    sent picture (plus the markup overlay when one is chosen), or (no plan: no document yet) for the
    settings' size alone."""
    if plan is None:
        return _price(settings, Size.parse(settings.size), [], prompt_chars, markup=markup)
    return _price(
        settings, plan.request_size or plan.suggested_size, [plan.send_size], prompt_chars, markup=markup
    )


def quote_request(settings: Settings, request: EditRequest) -> CostEstimate:
    """What a built request will cost (what the ledger records as the job's estimate)."""
    inputs = [Size(i.width, i.height) for i in request.images if i.width and i.height]
    return _price(
        settings,
        request.size,
        inputs,
        len(request.prompt),
        model=request.model,
        quality=request.quality,
        n=request.n,
        markup=request.markup is not None,
    )
