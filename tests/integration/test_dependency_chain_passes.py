"""A package with a dependency chain warms, cuts, installs and imports: the check passes."""

from __future__ import annotations

from tests.support.dists import Dist


def test_chain_warms_cuts_installs_and_imports(upstream, make_scenario, unique) -> None:
    app, lib, base = unique("app"), unique("lib"), unique("base")
    upstream.publish(Dist(app, "1.0", requires=[f"{lib}>=1"]),
                     Dist(lib, "1.0", requires=[base]), Dist(base, "2.0"),
                     Dist(base, "1.0"))
    scenario = make_scenario(upstream, app)

    warmed = scenario.warm()
    assert sorted(f.name for f in warmed.files) == sorted(
        [Dist(app, "1.0").filename, Dist(lib, "1.0").filename, Dist(base, "2.0").filename])

    scenario.cut()
    scenario.install()
    results = scenario.check_imports()

    # default imports: the requested distribution's top-level module, from the venv
    assert [(r.module, r.ok) for r in results] == [(app.replace("-", "_"), True)]
    steps = scenario.report.steps
    assert [s.status for s in steps.values()] == ["passed"] * 4
