"""Each camera sampled as its zones' items need: at the run's rate at a teller post while
someone is there (phone use needs it) and while any zone's state has changed within the
debouncing window, else coarse; never so sparse that time between samples is unknown."""

from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from pipeline.batch.units import CadenceSpec, DetectorSpec, UnitSettings, plan_branch_day
from pipeline.batch.worker import run_unit
from pipeline.footage.sampler import SamplingSpec
from rules.checklist import load_checklist
from tests.support.recordings import write_clip
from tests.support.run_site import CHECKLIST, DAY, PATTERN, SITE, TZ, at, build_site


def _frames(site, cadence, rate=1.0):
    settings = UnitSettings(SamplingSpec(rate=rate), DetectorSpec(phone=None), cadence)
    unit = plan_branch_day(site, DAY, settings).units[0]
    result = run_unit(unit)
    assert result.status == "done", result.reason
    return result.observations.frames("post", TZ)


def test_an_empty_post_settles_into_the_coarse_cadence(tmp_path):
    """Nobody at the post (a recording of a test pattern): the run's rate until the zones
    have kept their state for the debouncing window, then every coarse_s on the grid."""
    write_clip(tmp_path / "recordings" / "post" / at(0).strftime(PATTERN), 90)
    (tmp_path / "site.yaml").write_text(SITE, encoding="utf-8")
    checklist = load_checklist()
    cadence = CadenceSpec.of(checklist)
    frames = _frames(tmp_path / "site.yaml", cadence, rate=0.5)
    seconds = [round((f.t - at(0)).total_seconds()) for f in frames]
    assert all(not f.zones["post-1"].persons for f in frames)
    settled = int(cadence.settle_s)  # a GOP is one sample here: decided sample by sample
    assert [s for s in seconds if s <= settled] == list(range(0, settled + 1, 2))
    later = [s for s in seconds if s > settled]
    assert later and all(round(at(s).timestamp()) % cadence.coarse_s == 0 for s in later)
    gaps = [b - a for a, b in zip(seconds, seconds[1:], strict=False)]
    assert max(gaps) < checklist.sampling.max_gap_s  # coarse samples leave no unknown time


def test_a_post_whose_occupancy_keeps_changing_stays_dense(tmp_path, footage):
    """The real clip's person comes and goes every few seconds: never settled, so sampled
    at the full rate throughout, and seen exactly as the full-rate run sees it."""
    site = build_site(tmp_path, footage)
    frames = _frames(site, CadenceSpec.of(load_checklist()))
    full = _frames(site, None)
    assert [(f.t, f.zones["post-1"].persons) for f in frames] == [
        (f.t, f.zones["post-1"].persons) for f in full
    ]


def test_a_short_item_keeps_the_post_dense():
    """The tests' checklist finds absences of 4.5 s: dense whenever anybody may be there."""
    short = dict(CadenceSpec.of(load_checklist(CHECKLIST)).needs)
    assert str(short["teller_post"]) == "dense"


def test_phone_use_keeps_a_staff_zone_dense_only_while_its_person_is_there():
    """OCCUPIED follows `present` (the uniform's wearer where one is configured, the only
    person searched for a phone): passers-by in a lobby manager's zone leave it coarse."""
    need = dict(CadenceSpec.of(load_checklist()).needs)

    def obs(**fields):
        zone = ZoneObservation("lm", ZonePurpose.LOBBY_MANAGER, **fields)
        return FrameObservation(at(0), "lobby", {"lm": zone})

    assert not obs(persons=3, present=False).wants_dense(need)
    assert obs(persons=1, present=True).wants_dense(need)
