"""Data for the LLM figures (beliefs, planner policy, welfare): ``results/llm_figures.json``.

    python sims/llm_figures_data.py [--run DIR | --config TOML] [--quick] [--out PATH]

With ``--run DIR`` an existing run store is analysed (no calls are sent). Otherwise the
experiment in ``--experiment`` is run (or resumed) into ``results/llm/NAME`` first: by default
the [llm] section of the figure config names it (``sims/llm_quick.toml`` with ``--quick``,
``sims/llm_smoke.toml`` without, both on the built-in local model). ``--progress`` prints one
line per answered unit of work. The analysis (what ``steerherd llm report`` writes as
analysis.json) and the run's identity (model, endpoint, temperature, seed, prompt version)
are stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import figure_config  # noqa: E402

SECTIONS = ("llm",)


def main(argv: list[str] | None = None,
         progress: Callable[[int, int, int], None] | None = None) -> Path:
    """Run or open the LLM run and store its analysis; ``progress(done, total, sent)``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, help="an existing run directory to analyse")
    ap.add_argument("--experiment", type=Path, help="experiment TOML to run first")
    ap.add_argument("--config", type=Path, default=None, help="figure config TOML")
    ap.add_argument("--progress", action="store_true", help="a line per unit of work")
    ap.add_argument("--quick", action="store_true", help="the tiny CI configuration")
    ap.add_argument("--out", type=Path, default=Path("results/llm_figures.json"))
    args = ap.parse_args(argv)

    from steerherd.llm.config import load_config
    from steerherd.llm.report import analyse, open_run
    from steerherd.llm.runner import execute, open_client, open_store

    fig_config = figure_config.load(args.config)
    sec = fig_config["llm"]
    run_dir = args.run
    if run_dir is None:
        experiment = args.experiment or figure_config.ROOT / sec["quick" if args.quick else "full"]
        cfg = load_config(experiment)
        run_dir = Path("results/llm") / cfg.name
        store = open_store(cfg, run_dir)

        def tick(done: int, total: int, sent: int) -> None:
            print(f"  llm {cfg.name}: {done}/{total} units, {sent} calls sent", file=sys.stderr,
                  flush=True)

        with open_client(cfg) as client:  # resumes: answered requests are not sent again
            execute(cfg, store, client, progress=progress or (tick if args.progress else None))
    store, cfg = open_run(run_dir)
    calls = store.calls()
    identity = {
        "run": str(run_dir), "name": cfg.name, "seed": cfg.seed,
        "prompt_version": cfg.prompt_version, "temperature": cfg.calls.temperature,
        "model": sorted({c["model"] for c in calls}),
        "endpoint": sorted({c["endpoint"] for c in calls}),
    }
    data = {"stamp": figure_config.stamp(fig_config, args.quick and args.run is None,
                                         *SECTIONS) | {"run": str(args.run) if args.run else None},
            "min_runs": int(fig_config["fig5"]["min_runs"]),
            "min_answers": int(sec["min_answers"]),
            "identity": identity, "params": cfg.model.model_dump(),
            "analysis": analyse(store, cfg, cfg.model)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, default=str))
    return args.out


if __name__ == "__main__":
    main()
