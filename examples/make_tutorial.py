"""Write ``examples/tutorial.ipynb`` from the cells below (run it after editing a cell).

    python examples/make_tutorial.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

CELLS = [
    ("md", """# steerherd in 10 minutes

Solve both planners, read regimes, thresholds and certified bounds, plot, simulate welfare,
fit a Behavioral agent to stored answers and solve against it. Grids are small so that the
notebook runs in seconds (the test suite executes it)."""),
    ("code", """import numpy as np

import steerherd as sh

params = dict(p=0.7, delta=0.9, cost=sh.LinearCost(0.5))
alt = sh.solve(sh.Params(planner="altruistic", **params), beliefs=401, precisions=81)
bia = sh.solve(sh.Params(planner="biased", **params), beliefs=401, precisions=81)
bia   # the Solution explains itself: planner, regimes, thresholds, certificate"""),
    ("md", """## Regimes, thresholds and bounds

`regimes` are the belief intervals of one mode with q* as a formula of b; `thresholds` carry
the names `steerherd solve` prints; the certificate holds MacQueen–Porteus bounds on V* at
every grid node (their gap is the certified error of the grid problem)."""),
    ("code", """for r in bia.regimes:
    print(f"{r.mode:12s} [{r.lo:.3f}, {r.hi:.3f}]  q* = {r.formula}")
print({k: (None if t is None else round(t.value, 4)) for k, t in alt.thresholds.items()})
cert = bia.certificate
print("bound gap", cert.gap, "all bounds bracket V*:",
      bool(np.all((cert.lower <= bia.V + 1e-12) & (bia.V <= cert.upper + 1e-12))))"""),
    ("md", "## Plot\n\n`sol.plot()` returns a matplotlib Figure (no pyplot needed)."),
    ("code", """%matplotlib inline
fig = bia.plot()
fig"""),
    ("md", """## Simulate welfare

Welfare is C × correct actions, expenditure the planner's spend, both as % of the no-control
baseline's welfare (one definition for simulations and LLM runs)."""),
    ("code", """from steerherd.agents import Behavioral
from steerherd.sim.welfare import WelfareConfig, welfare_table

table = welfare_table(WelfareConfig(runs=2000, agents=30, beliefs=201, precisions=41,
                                    behavioral=Behavioral(1.0, 0.7, 2.5)))
for r in table["rows"]:
    if r["state"] == "B" and r["horizon"] == "forward":
        print(f"{r['planner']:10s} {r['setting']:10s} welfare {r['welfare_pct']:6.1f} % "
              f"± {r['welfare_pct_se']:.1f}   expenditure {r['expenditure_pct']:5.2f} %")"""),
    ("md", """## Fit a Behavioral agent to stored answers, then solve against it

A run of `steerherd llm run` stores every agent answer (public belief b, precision q, signal,
reported belief) in `RUN/run.sqlite`; `RunStore(path).records("beliefs")` reads them back.
No language-model endpoint is available where this notebook is tested, so the answers below
come from a scripted stand-in (a Behavioral(1, 0.6, 1.8) agent with noise), written to and
read back from a JSON file in the same fields. Swap in your run's records to fit a real
model."""),
    ("code", """import json
from pathlib import Path

from steerherd.agents import fit_behavioral_beliefs

rng = np.random.default_rng(0)
stand_in = Behavioral(1.0, 0.6, 1.8)
b = rng.choice([0.2, 0.35, 0.5, 0.65, 0.8], 400)
q = rng.choice([0.6, 0.7, 0.8, 0.9], 400)
good = rng.random(400) < 0.5
logit = np.log(stand_in.reported_belief(b, q, good) / (1 - stand_in.reported_belief(b, q, good)))
reported = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.3, 400))))
records = [{"public_belief": float(x), "precision": float(y), "signal_good": bool(s),
            "reported": float(r)} for x, y, s, r in zip(b, q, good, reported,
                                                                  strict=True)]
Path("answers.json").write_text(json.dumps(records))

stored = json.loads(Path("answers.json").read_text())
fit = fit_behavioral_beliefs([r["public_belief"] for r in stored],
                             [r["precision"] for r in stored],
                             [r["signal_good"] for r in stored],
                             [r["reported"] for r in stored])
print({k: round(v, 3) for k, v in fit.estimates.items()})
print({k: [round(x, 3) for x in v] for k, v in fit.ci(0.95).items()})
fit.model"""),
    ("code", """against = sh.solve(sh.Params(planner="biased", **params), beliefs=401,
                   precisions=81, agent=fit.model)
print(against)
print("q*(0.6) for Bayesian agents:", float(bia.policy(0.6)),
      " for the fitted agents:", float(against.policy(0.6)))"""),
]


def build() -> nbformat.NotebookNode:
    """The notebook object."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md"
                else nbformat.v4.new_code_cell(src) for kind, src in CELLS]
    return nb


if __name__ == "__main__":
    path = Path(__file__).with_name("tutorial.ipynb")
    nbformat.write(build(), path)
    print(path)
