"""Data for the LLM figures (beliefs, planner policy, welfare): ``results/llm_figures.json``.

    python sims/llm_figures_data.py [--run DIR | --config TOML] [--quick] [--out PATH]

With ``--run DIR`` an existing run store is analysed (no calls are sent). Otherwise the
experiment in ``--config`` is run (or resumed) into ``results/llm/NAME`` first: by default
``sims/llm_quick.toml`` with ``--quick`` and ``sims/llm_smoke.toml`` without, both on the
built-in local model. The analysis (what ``steerherd llm report`` writes as analysis.json) and
the run's identity (model, endpoint, temperature, seed, prompt version) are stored.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, help="an existing run directory to analyse")
    ap.add_argument("--config", type=Path, help="experiment TOML to run first")
    ap.add_argument("--quick", action="store_true", help="the tiny CI configuration")
    ap.add_argument("--out", type=Path, default=Path("results/llm_figures.json"))
    args = ap.parse_args(argv)

    from steerherd.llm.config import load_config
    from steerherd.llm.report import analyse, open_run
    from steerherd.llm.runner import execute, open_client, open_store

    run_dir = args.run
    if run_dir is None:
        config = args.config or HERE / ("llm_quick.toml" if args.quick else "llm_smoke.toml")
        cfg = load_config(config)
        run_dir = Path("results/llm") / cfg.name
        store = open_store(cfg, run_dir)
        with open_client(cfg) as client:
            execute(cfg, store, client)  # resumes: answered requests are not sent again
    store, cfg = open_run(run_dir)
    calls = store.calls()
    identity = {
        "run": str(run_dir), "name": cfg.name, "seed": cfg.seed,
        "prompt_version": cfg.prompt_version, "temperature": cfg.calls.temperature,
        "model": sorted({c["model"] for c in calls}),
        "endpoint": sorted({c["endpoint"] for c in calls}),
    }
    data = {"identity": identity, "params": cfg.model.model_dump(),
            "analysis": analyse(store, cfg, cfg.model)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, default=str))
    return args.out


if __name__ == "__main__":
    main()
