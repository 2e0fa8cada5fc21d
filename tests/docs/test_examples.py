"""The runnable examples in the docstrings of the records a newcomer meets first run, and
hold: `Detections`, `PixelZone`, `judge_day` and the interval algebra (docs/architecture.md).

Only these modules are doctested: the whole tree is not (`--doctest-modules` would import
every module, backends included)."""

from __future__ import annotations

import doctest

import pytest

import detectors.detections
import detectors.zones
import rules.intervals
import rules.temporal

EXAMPLES = [
    (detectors.detections, "Detections"),
    (detectors.zones, "PixelZone"),
    (rules.temporal, "judge_day"),
    (rules.intervals, None),  # the module's own docstring
]


@pytest.mark.parametrize(
    ("module", "name"), EXAMPLES, ids=[f"{m.__name__}.{n or ''}" for m, n in EXAMPLES]
)
def test_docstring_examples_run(module, name):
    obj = getattr(module, name) if name else module
    finder = doctest.DocTestFinder(recurse=False)
    tests = [t for t in finder.find(obj, module=module, globs=vars(module).copy()) if t.examples]
    assert tests, f"{module.__name__}.{name or ''} has no >>> examples in its docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed (above)"
