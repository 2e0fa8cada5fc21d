"""Each camera sampled as its zones' items need: dense at a teller post while someone is
there (phone use needs it), coarse while it stands empty (absence tolerates it), and never
so sparse that time between samples becomes unknown."""

from pipeline.batch.units import CadenceSpec, DetectorSpec, UnitSettings, plan_branch_day
from pipeline.batch.worker import run_unit
from pipeline.footage.sampler import SamplingSpec
from pipeline.store.compact import unpack
from rules.checklist import load_checklist
from tests.support.run_site import CHECKLIST, DAY, TZ, build_site


def _frames(site, cadence):
    settings = UnitSettings(SamplingSpec(rate=1), DetectorSpec(phone=None), cadence)
    unit = plan_branch_day(site, DAY, settings).units[0]
    result = run_unit(unit)
    assert result.status == "done", result.reason
    return unpack(result.observations, "post", TZ)


def test_dense_while_occupied_coarse_while_empty(tmp_path, footage):
    site = build_site(tmp_path, footage)
    checklist = load_checklist()  # phone use at the post; absence after 300 s
    cadence = CadenceSpec.of(checklist)
    frames = _frames(site, cadence)
    full = _frames(site, None)
    assert len(frames) < len(full)
    after_occupied, after_empty = [], []
    for a, b in zip(frames, frames[1:], strict=False):
        gap = (b.t - a.t).total_seconds()
        assert gap < checklist.sampling.max_gap_s  # coarse samples leave no unknown time
        (after_occupied if a.zones["post-1"].persons else after_empty).append(gap)
    # the answer is asked per GOP (1 s in this clip): one GOP of lag either way
    assert max(after_occupied) <= 2
    assert max(after_empty) >= cadence.coarse_s - 1
    # where both sampled, they saw the same: one decode pass, the same frames
    seen = {f.t: f.zones["post-1"].persons for f in full}
    assert all(f.zones["post-1"].persons == seen[f.t] for f in frames if f.t in seen)


def test_a_short_item_keeps_the_post_dense(tmp_path, footage):
    """The tests' checklist finds absences of 4.5 s: the post is sampled densely throughout."""
    site = build_site(tmp_path, footage)
    cadence = CadenceSpec.of(load_checklist(CHECKLIST))
    assert len(_frames(site, cadence)) == len(_frames(site, None))
