"""Krita and GIMP share one ledger: a job made in real Krita is inserted by real GIMP from Recent results,
and a job made in real GIMP is inserted by real Krita from History ▸ Insert again — each at the place it
was made for, masked by the selection it was made with. Run on both host pairs of one Debian suite (Krita
5.2 with GIMP 3.0, Krita 5.3 with GIMP 3.2), sharing one GPTEDIT_HOME like two programs on one desktop."""

from __future__ import annotations

import pytest
from gimp_harness import GIMP_PROVIDERS, ROOT, count_host_test, hostenv, hostenv_fixtures, run_all_cases
from gptedit.geometry import Box
from gptedit.ledger import Ledger
from pixel_checks import SEL, SUCCESS, case, check_mask, expected_context, inside

pytestmark = [pytest.mark.hosts, pytest.mark.slow]

SCENARIO = ROOT / "tests" / "krita" / "scenarios" / "cross_host.py"
KRITA_CANVAS = (160, 120)
KRITA_SEL = (90, 30, 70, 50)  # touches the right edge
GIMP_CANVAS = (120, 80)  # gimp_side's default case: SEL on a 120x80 image
PAIRS = [(k, g) for k in hostenv.KRITA_HOSTS for g in hostenv.GIMP_HOSTS if k.suite == g.suite]
#: the providers Krita's side points at the sandbox
KRITA_PROVIDERS = ("eachlabs", "openai", "replicate", "fal")


@pytest.fixture(scope="module", params=PAIRS, ids=lambda pair: f"{pair[0].id}+{pair[1].id}")
def pair(request, krita_zip, gimp_zip, sandbox_server, sandbox_env, tmp_path_factory):
    sandbox = sandbox_server
    kspec, gspec = request.param
    krita = hostenv_fixtures.provision(kspec)
    base = tmp_path_factory.mktemp(f"{kspec.id}-{gspec.id}")
    home, artifacts, profile = base / "gptedit-home", base / "krita-artifacts", base / "krita-profile"
    for folder in (home, artifacts):
        folder.mkdir(parents=True, exist_ok=True)
    assert krita.install(krita_zip, profile) == ["gptedit_krita"]
    env = {"GPTEDIT_HOME": str(home), **sandbox_env("eachlabs", providers=KRITA_PROVIDERS)}
    sandbox.configure(latency=0.0)

    def in_krita(params: dict) -> dict:
        params = dict(params, artifacts=str(artifacts), home=str(home), sandbox_api=sandbox.api_url)
        return krita.run(profile, SCENARIO, timeout=150, env=env, binds=[home, artifacts], params=params)[
            "data"
        ]

    # 1. Krita makes a job; 2. GIMP makes its own and inserts Krita's; 3. Krita inserts GIMP's.
    made = in_krita({"mode": "make", "canvas": list(KRITA_CANVAS), "selection": list(KRITA_SEL)})
    assert made.get("job_id"), made
    gimp = run_all_cases(
        gspec,
        gimp_zip,
        sandbox,
        sandbox_env(providers=GIMP_PROVIDERS),
        base,
        ["rgb-invert", "krita-job"],
        config=request.config,
        params={"krita_job": made["job_id"], "krita_canvas": list(KRITA_CANVAS)},
    )
    gimp_job = case(gimp, "rgb-invert").get("job")
    assert gimp_job, case(gimp, "rgb-invert")
    ctx = expected_context(GIMP_CANVAS, SEL)
    inserted = in_krita(
        {
            "mode": "insert",
            "canvas": list(GIMP_CANVAS),
            "job_id": gimp_job,
            "context_box": [ctx.x, ctx.y, ctx.width, ctx.height],
        }
    )
    return {
        "made": made,
        "gimp": gimp,
        "gimp_job": gimp_job,
        "inserted": inserted,
        "home": home,
        "artifacts": artifacts,
        "specs": (kspec, gspec),
    }


@pytest.fixture(autouse=True)
def _count(request):
    yield
    callspec = getattr(request.node, "callspec", None)
    specs = callspec.params.get("pair") if callspec else None
    for spec in specs or ():
        count_host_test(spec)


def test_krita_job_is_inserted_by_gimp_at_its_context_box_with_its_mask(pair):
    made = pair["made"]
    assert made["state"] == "inserted", made["message"]
    rep = case(pair["gimp"], "krita-job")
    assert rep["status"] == SUCCESS, rep["message"]
    new = rep["new"]
    assert [new["x"], new["y"], new["w"], new["h"]] == made["context_box"]
    assert new["has_mask"] is True and new["name"].startswith("GPT: ")
    check_mask(pair["gimp"], "krita-job", KRITA_CANVAS, KRITA_SEL)
    job = Ledger(pair["home"] / "jobs.sqlite3").get(made["job_id"])
    assert job.origin == "krita" and job.context.host == "krita"


def test_gimp_job_is_inserted_by_krita_at_its_context_box_with_its_mask(pair):
    got = pair["inserted"]
    assert got["error"] == "", got["error"]
    assert got["layers"][-1] == got["name"] and got["name"].startswith("GPT: "), got
    ctx = expected_context(GIMP_CANVAS, SEL)
    bx, by, bw, bh = got["bounds"]
    assert (bx, by) >= (ctx.x, ctx.y) and bx + bw <= ctx.right and by + bh <= ctx.bottom, (got["bounds"], ctx)
    assert got["masks"] == ["Selection"], got
    mask = (pair["artifacts"] / "mask.y").read_bytes()
    sel = Box(*SEL).clamp_to(*GIMP_CANVAS)
    wrong = [
        (x, y)
        for y in range(ctx.height)
        for x in range(ctx.width)
        if mask[y * ctx.width + x] != (255 if inside(sel, x + ctx.x, y + ctx.y) else 0)
    ]
    assert not wrong, f"{len(wrong)} mask pixels wrong, first {wrong[:5]}"
    job = Ledger(pair["home"] / "jobs.sqlite3").get(pair["gimp_job"])
    assert job.origin == "gimp" and job.context.host == "gimp" and job.context.context_box == ctx
