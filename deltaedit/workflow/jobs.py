"""The workflow's jobs as plain functions (each Snakemake script calls exactly one of them).

Every path is an argument; the artifact contract between jobs is:
  templates JSON   ["{}", "<prefix>. {}", ...]                      (context templates of one model)
  stats .pt        {"mom2": {layer: C0}, "meta": ...}                (deltaedit.stats)
  reference JSON   {case_id: [[token ids] per neighbourhood prompt]} (the unedited model's o^c)
  run directory    ckpt_<n>/{deltas.safetensors, diagnostics.json, edited.json}, edits.jsonl
  score JSON       {"summary": {metric: {mean, ci_low, ci_high, n}}, "records": [...], "diagnostics": {...}}
  general JSON     {"n_edits": n, "tasks": {task: {f1, acc, n}}}        (lm-eval on base model + deltas)
  analysis .npz    hidden [n_prompts, d], generations [n_cases], n_edits (one run at the analysis checkpoint)
A method wrapped from other code only has to write the run directory's checkpoint files.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import torch

from deltaedit.api import load_hparams
from deltaedit.core.templates import context_templates, parse_template_set
from deltaedit.data import load_records
from deltaedit.eval.metrics import CF_METRICS, ZSRE_METRICS, score_records, unedited_predictions
from deltaedit.eval.summary import summarize
from deltaedit.data import write_json
from deltaedit.logs import work_timer
from deltaedit.methods import EditContext, get_method, load_method_modules
from deltaedit.models import applied, default_device, load_model
from deltaedit.runner import RunSettings, edit_order, read_checkpoint, run_sequential
from deltaedit.stats import cached_second_moments, corpus_texts, load_second_moments

log = logging.getLogger(__name__)


def load(model_path: str, spec: dict | None = None):
    """Load a job's model as the workflow's model spec says: {"dtype": "float32" | "bfloat16" | "float16",
    "fp32_layers": [...], "gpus": n, "max_memory_gib": x}; with gpus > 1 the blocks are spread over the job's
    GPUs (deltaedit.workflow.placement.placement_plan made the numbers)."""
    spec = spec or {}
    kw = dict(dtype=spec.get("dtype", "float32"), fp32_layers=spec.get("fp32_layers", ()))
    if spec.get("gpus", 1) > 1:
        kw.update(device_map="auto", max_memory={i: f"{spec['max_memory_gib']}GiB" for i in range(spec["gpus"])})
    return load_model(model_path, device=default_device(), **kw)


def templates_job(model_path: str, out_json: str, seed_words: list[str] | None, template_set: str,
                  seed: int = 0, load_spec: dict | None = None) -> None:
    """One model's context templates of one template set (a name like "10x5", see core.templates)."""
    model, tok = load(model_path, load_spec)
    words = seed_words or [tok.eos_token] * 5
    with work_timer():
        write_json(context_templates(model, tok, words, parse_template_set(template_set), seed=seed), out_json)


def stats_job(model_path: str, model_id: str, layers: list[int], out: str, corpus: str, n_texts: int,
              max_len: int | None, seed: int = 0, load_spec: dict | None = None) -> None:
    """C0 for `layers`; `corpus` is a text file (one document per line), "wikipedia" (a seeded uniform
    sample of `n_texts` articles) or "self" (`n_texts` seeded samples of the model's own text, `max_len`
    tokens each); `max_len` None truncates at the model's context."""
    model, tok = load(model_path, load_spec)
    meta = {"model": model_id, "corpus": corpus, "n_texts": n_texts, "max_len": max_len, "seed": seed}
    with work_timer():
        texts = corpus_texts(corpus, n_texts, seed, model=model, tok=tok, length=max_len)
        cached_second_moments(out, model, tok, texts, layers, meta, max_len=max_len)


def builtin_model_job(name: str, out_json: str) -> None:
    """A built-in model dequantised into the model cache (once); `out_json` records where and its GGUF's sha256."""
    from deltaedit.sources import resolve, source_of

    with work_timer():
        path = resolve(name)
        write_json({"builtin": name, "path": path, **source_of(path)}, out_json)


def local_data_job(files: list[str], label: str, out_json: str) -> None:
    """A dataset from local record files (deltaedit.data.local.merge_records); what was joined is logged."""
    from deltaedit.data.local import merge_records

    log.info("%s: %s", label, merge_records(files, out_json))


def offline_corpus_job(data_dir: str, out_txt: str, seed: int = 0) -> None:
    """C0's offline text (deltaedit.data.local.offline_corpus); its counts go beside it as <out>.json."""
    from deltaedit.data.local import offline_corpus

    write_json(offline_corpus(data_dir, out_txt, seed), out_txt + ".json")


def reference_job(model_path: str, records_path: str, dataset: str, n: int, out_json: str, load_spec: dict | None = None) -> None:
    model, tok = load(model_path, load_spec)
    records = load_records(records_path, dataset, limit=n, on_invalid="skip")
    with work_timer():
        write_json({str(k): v for k, v in unedited_predictions(model, tok, records).items()}, out_json)


def _run_records(records_path: str, dataset: str, checkpoints: list[int], pool: int | None) -> list:
    """The records a run's seeded order is drawn from: the first `pool` (at least as many as it edits)."""
    return load_records(records_path, dataset, limit=max(pool or 0, checkpoints[-1]), on_invalid="skip")


def edit_job(model_path: str, records_path: str, dataset: str, method: str, hparams: str, templates_json: str,
             stats_path: str | None, out_dir: str, checkpoints: list[int], order_seed: int | None,
             batch_size: int = 1, method_modules: list[str] = (), overrides: dict | None = None, load_spec: dict | None = None,
             pool: int | None = None) -> None:
    """One sequential run; `overrides` replaces hparams keys (checked like the file's, e.g. {"eta": 2.0}).

    The run edits the first checkpoints[-1] requests of the seeded order of the first `pool` records (default:
    as many as it edits). Runs of one config share the pool (the workflow passes its longest run), so a shorter
    run edits a prefix of a longer one's records and every method is scored on the same records."""
    load_method_modules(method_modules)
    model, tok = load(model_path, load_spec)
    m = get_method(method)
    hp = load_hparams(method, hparams, overrides)
    records = _run_records(records_path, dataset, checkpoints, pool)
    stats = load_second_moments(stats_path)[0] if m.stats_layers(hp) else {}
    ctx = EditContext(json.loads(Path(templates_json).read_text()), stats)
    with work_timer():
        run_sequential(model, tok, m, hp, ctx, [r.request for r in records], out_dir,
                       RunSettings(checkpoints, batch_size=batch_size, order_seed=order_seed))


def score_job(model_path: str, records_path: str, dataset: str, ckpt_dirs: list[str], reference_json: str | None,
              out_jsons: list[str], general: dict | None = None, n_run: int | None = None,
              general_jsons: list[str] | None = None, load_spec: dict | None = None,
              analysis: dict | None = None) -> None:
    """Score every checkpoint of a run in one process: the model, the records and the reference are loaded
    once, then for each checkpoint the records edited up to it are scored on base model + its deltas and,
    with `general_jsons`, the general capability (lm-eval, `general` = the config's section) on the same
    model. A checkpoint's files are written as soon as it is scored. With `analysis` ({n, n_prompts, n_cases,
    order_seed, out}), the checkpoint of `n` edits also writes the run's part of the analysis job's figure and
    tables (`analysis_part`), so that job needs the runs' small parts and not their deltas."""
    if len(ckpt_dirs) != len(out_jsons) or (general_jsons is not None and len(general_jsons) != len(ckpt_dirs)):
        raise ValueError(f"need one output per checkpoint: {len(ckpt_dirs)} checkpoints, {len(out_jsons)} score files"
                         f"{'' if general_jsons is None else f', {len(general_jsons)} general files'}")
    if analysis and analysis["n"] not in [int(Path(d).name.removeprefix("ckpt_")) for d in ckpt_dirs]:
        raise ValueError(f"the analysis checkpoint ({analysis['n']} edits) is not among the run's: {ckpt_dirs}")
    model, tok = load(model_path, load_spec)
    all_records = load_records(records_path, dataset, on_invalid="skip")
    by_id = {r.request.case_id: r for r in all_records}
    reference = None
    if reference_json and dataset == "counterfact":
        reference = {int(k): v for k, v in json.loads(Path(reference_json).read_text()).items()}
    specs = general_specs(all_records, general, n_run) if general_jsons else []
    cases = analysis_cases(records_path, dataset, n_run, analysis["n_cases"], analysis["order_seed"]) if analysis else None
    metrics = CF_METRICS if dataset == "counterfact" else ZSRE_METRICS
    with work_timer():
        for i, (ckpt_dir, out_json) in enumerate(zip(ckpt_dirs, out_jsons)):
            t0 = time.perf_counter()
            deltas, edited, diagnostics = read_checkpoint(ckpt_dir)
            records = [by_id[c] for c in edited]
            with applied(model, deltas):
                rows = score_records(model, tok, records, reference)
                if general_jsons:
                    _write_general(model, tok, specs, len(edited), general_jsons[i])
                if analysis and len(edited) == analysis["n"]:
                    analysis_part(model, tok, all_records, cases, analysis, len(edited))
            write_json({"n_edits": len(edited), "summary": summarize(rows, metrics), "records": rows,
                        "diagnostics": diagnostics, "seconds": round(time.perf_counter() - t0, 3)}, out_json)
            log.info("scored %s: %d records", ckpt_dir, len(records))


def general_specs(records: list, general: dict, n_run: int) -> list[dict]:
    """lm-eval task configs of the config's `general` section. `world_facts` asks facts outside the run's
    `n_run` edited records; the paper's tasks read `general.glue_dir`."""
    from deltaedit.eval.general import paper_tasks, world_tasks

    tasks, limit = general.get("tasks", []), general.get("limit")
    specs = []
    if "world_facts" in tasks:
        edited = {r.request.case_id for r in records[:n_run]}
        specs += world_tasks(records, edited, limit=limit or 200)
    paper = [t for t in tasks if t != "world_facts"]          # paper_tasks rejects unknown names
    if paper:
        if not general.get("glue_dir"):
            raise ValueError(f"general-capability tasks {paper} need general.glue_dir (AlphaEdit's JSON subsets)")
        specs += paper_tasks(general["glue_dir"], paper, limit=limit)
    return specs


def _write_general(model, tok, specs: list[dict], n_edits: int, out_json: str) -> None:
    from deltaedit.eval.general import general_capability

    write_json({"n_edits": n_edits, "tasks": general_capability(model, tok, specs) if specs else {}}, out_json)


def general_job(model_path: str, records_path: str, dataset: str, general: dict, n_run: int, out_json: str, load_spec: dict | None = None) -> None:
    """General capability of the unedited model (the reference of Figure 7)."""
    model, tok = load(model_path, load_spec)
    records = load_records(records_path, dataset, on_invalid="skip")
    with work_timer():
        _write_general(model, tok, general_specs(records, general, n_run), 0, out_json)


def noedit_job(records_path: str, dataset: str, checkpoints: list[int], order_seed: int | None, out_dir: str,
               pool: int | None = None) -> None:
    """The "pre-edited" reference row (the paper's Table 1) as an editing run that changes nothing: it writes the
    checkpoint artifacts of the contract above with no deltas, so scoring sees the unedited model on the
    same records in the same order as the methods (the same `pool` as `edit_job`)."""
    from deltaedit.runner import edit_order, write_checkpoint

    with work_timer():
        records = _run_records(records_path, dataset, checkpoints, pool)
        order = edit_order(len(records), order_seed)
        for n in checkpoints:
            write_checkpoint(out_dir, n, {}, [records[i].request.case_id for i in order[:n]], {})


def analysis_cases(records_path: str, dataset: str, pool: int | None, n_cases: int, order_seed: int | None) -> list:
    """The facts of the case studies (Tables 4-5): the first `n_cases` that a run in the config's own edit order
    edits (drawn from the first `pool` records, exactly as `edit_job` draws them), the same for every run."""
    pooled = load_records(records_path, dataset, limit=pool, on_invalid="skip")
    return [pooled[i] for i in edit_order(len(pooled), order_seed)[:n_cases]]


def analysis_part(model, tok, records: list, cases: list, spec: dict, n_edits: int) -> None:
    """One run's part of the analysis (the model carries the run's deltas): the last-token representations of
    the first `spec["n_prompts"]` factual prompts and the greedy generations of the case-study facts."""
    from deltaedit.eval.analysis import greedy, last_hidden

    prompts = [r.request.filled for r in records[:spec["n_prompts"]]]
    hidden = last_hidden(model, tok, prompts).numpy()
    generations = np.array([greedy(model, tok, c.request.filled) for c in cases], dtype=str)
    Path(spec["out"]).parent.mkdir(parents=True, exist_ok=True)
    with open(spec["out"], "wb") as f:   # a file object: np.savez would append .npz to a name without it
        np.savez(f, hidden=hidden, generations=generations, n_edits=np.array(n_edits))


def analysis_job(model_path: str, records_path: str, dataset: str, parts: dict[str, str], n_prompts: int,
                 n_cases: int, order_seed: int | None, pool: int | None, out_figure: str, out_json: str, out_md: str,
                 load_spec: dict | None = None) -> None:
    """Figure 4b/8 (t-SNE of the last-token representation of `n_prompts` factual prompts, before and after
    each run's analysis checkpoint), their median drift, and Tables 4–5 (greedy generations for `n_cases`
    edited facts, unedited and per run), from the runs' parts (`analysis_part`) and the unedited model."""
    from deltaedit.eval.analysis import drift, greedy, last_hidden, plot_tsne, tsne_pairs

    model, tok = load(model_path, load_spec)
    with work_timer():
        records = load_records(records_path, dataset, on_invalid="skip")
        prompts = [r.request.filled for r in records[:n_prompts]]
        cases = analysis_cases(records_path, dataset, pool, n_cases, order_seed)
        base = last_hidden(model, tok, prompts)
        gens = {"unedited": [greedy(model, tok, c.request.filled) for c in cases]}
        edited, stats = {}, {}
        for method, path in parts.items():
            with np.load(path) as part:
                if part["hidden"].shape != tuple(base.shape) or len(part["generations"]) != len(cases):
                    raise ValueError(f"{path}: {part['hidden'].shape[0]} prompts and {len(part['generations'])} "
                                     f"cases, not the {len(prompts)} and {len(cases)} of this analysis")
                edited[method] = torch.from_numpy(part["hidden"])
                gens[method] = [str(g) for g in part["generations"]]
                n_edits = int(part["n_edits"])
            stats[method] = {"median_relative_drift": drift(base, edited[method]), "n_edits": n_edits}
            log.info("%s: median relative drift %.4f", method, stats[method]["median_relative_drift"])
        plot_tsne(tsne_pairs(base, edited), len(prompts), f"{Path(model_path).name} / {dataset}: last-token "
                  f"representations of {len(prompts)} factual prompts", out_figure)
        write_json({"n_prompts": len(prompts), "methods": stats}, out_json)
        lines = []
        for i, c in enumerate(cases):
            r = c.request
            lines += [f"### {r.filled} … (true: {r.target_true}; edited to: {r.target_new})", "",
                      "| model | generation |", "|---|---|"]
            lines += [f"| {name} | {g[i].strip().replace('|', '/')} |" for name, g in gens.items()] + [""]
        Path(out_md).parent.mkdir(parents=True, exist_ok=True)
        Path(out_md).write_text("\n".join(lines))
