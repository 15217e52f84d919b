"""The `deltaedit` command, in the style of `lm_eval`: edit a model sequentially, score a run, list methods.

    deltaedit edit --model openai-community/gpt2-xl --method alphaedit --records multi_counterfact.json \
        --n 100 --out runs/gpt2xl-alphaedit --stats-corpus wikipedia --save-model
    deltaedit score --run runs/gpt2xl-alphaedit
    deltaedit edit --model smollm2-135m --method alphaedit --subject "Danielle Darrieux" \
        --prompt "The mother tongue of {} is" --target-new English --out runs/demo
    deltaedit generate --run runs/demo --prompt "The mother tongue of Danielle Darrieux is"
    deltaedit methods
    deltaedit memory --model llama3-8b --dtype bfloat16 --gpu-mem-gb 24
    deltaedit tune --model DIR --records counterfact.json --method alphaedit --hparams factworld-small-gpt2 \
        --start 640 --scored 640 --grid v_lr=0.2,0.1,0.4 --grid L2=0.5,1 --corpus background.txt --out tune.json
    deltaedit factworld build --preset small --out resources/factworld/small
    deltaedit bench --world resources/factworld/default --edits 100
    deltaedit compare results/scores/factworld-small-gpt2/counterfact deltaedit alphaedit-l2p
    deltaedit recheck --preset smollm2 --dataset counterfact --run alphaedit --n 13 --work /tmp/recheck
    deltaedit recheck --preset smollm2 --dataset counterfact --run encore --n 13 --work /tmp/ablate \
        --set mpes_patience=null

A run directory holds run.json (what was edited, how), templates.json, stats.pt (C0, when the method needs
it), run/ (the sequential runner's checkpoints and resume state: a second `edit` with the same arguments
resumes), scores/<n>.json after `score`, and with --save-model model/ (loads with `from_pretrained`).
Bad arguments stop with one line that names the culprit.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)

# hub names whose published hparams ship with the package (docs/methods.md)
KNOWN_MODELS = {"gpt2-xl": "gpt2-xl", "meta-llama-3-8b": "llama3-8b", "meta-llama-3-8b-instruct": "llama3-8b",
                "smollm2-135m": "smollm2-135m", "smollm2-135m-instruct": "smollm2-135m"}


def _factworld_cli():
    import deltaedit.factworld.cli as module
    return module


def _bench():
    import deltaedit.study.bench as module
    return module


DELEGATED = {"factworld": _factworld_cli, "bench": _bench}   # subcommands that are whole tools of their own


class UsageError(Exception):
    """A bad argument; the message names it."""


def _hparams_name(method, model: str, given: str | None) -> str:
    from deltaedit.hparams import hparams_path, shipped_hparams

    if given:
        if Path(given).suffix not in (".yaml", ".yml"):
            hparams_path(method.name, given, method.hparams_dir)      # unknown names list the shipped ones
        return given
    guess = KNOWN_MODELS.get(Path(model.rstrip("/")).name.lower())
    if guess is None:
        raise UsageError(f"--hparams is needed for model {model!r} (shipped for {method.name}: "
                         f"{', '.join(shipped_hparams(method.name, method.hparams_dir))}, or a YAML path)")
    return guess


def _edit_requests(args) -> tuple[list, str, dict]:
    """(requests, dataset, what the manifest records of them): the first N records of a file, or one fact
    given on the command line (--subject, --prompt with one {}, --target-new)."""
    from deltaedit.data import load_records
    from deltaedit.types import EditRequest

    fact = (args.subject, args.prompt, args.target_new)
    if args.records is None:
        if None in fact:
            raise UsageError("give --records FILE --n N, or one fact: --subject S --prompt 'text with {}' --target-new O")
        if args.prompt.count("{}") != 1:
            raise UsageError(f"--prompt {args.prompt!r}: needs exactly one {{}} where the subject goes")
        req = EditRequest(case_id=0, subject=args.subject, prompt=args.prompt, target_new=args.target_new)
        return [req], "fact", {"fact": {"subject": args.subject, "prompt": args.prompt, "target_new": args.target_new}}
    if any(x is not None for x in fact):
        raise UsageError("--records and --subject/--prompt/--target-new exclude each other")
    if args.n is None:
        raise UsageError("--n is needed with --records")
    records = load_records(args.records, args.dataset)
    if args.n < 1 or args.n > len(records):
        raise UsageError(f"--n {args.n}: {args.records} has {len(records)} records")
    dataset = records[0].dataset if records else args.dataset
    return [r.request for r in records[: args.n]], dataset, {"records": str(Path(args.records).resolve())}


def cmd_edit(args) -> int:
    import torch

    from deltaedit.api import load_hparams, make_context
    from deltaedit.core.templates import HUB_TEMPLATE_WORDS
    from deltaedit.data import write_json
    from deltaedit.methods import get_method
    from deltaedit.models import default_device, load_model
    from deltaedit.runner import RunSettings, run_sequential
    from deltaedit.sources import resolve, source_of
    from deltaedit.stats import corpus_texts

    method = get_method(args.method)
    hp_name = _hparams_name(method, args.model, args.hparams)
    hp = load_hparams(method.name, hp_name)
    requests, dataset, source = _edit_requests(args)
    n = len(requests)
    checkpoints = sorted({c for c in (args.checkpoints or []) if c < n} | {n})
    corpus = args.stats_corpus or ("self" if args.records is None else None)
    if method.stats_layers(hp) and not corpus:
        raise UsageError(f"--stats-corpus is needed: {method.name} uses the key statistics C0 of layers "
                         f"{method.stats_layers(hp)} (a text file, one document per line, 'wikipedia', or 'self')")
    if corpus not in (None, "wikipedia", "self") and not Path(corpus).is_file():
        raise UsageError(f"--stats-corpus {corpus}: no such file")
    out = Path(args.out)
    manifest = {"model": args.model, **source, "dataset": dataset, "method": method.name, "hparams": hp_name,
                "n": n, "checkpoints": checkpoints, "order_seed": args.order_seed}
    old = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else None
    if old is not None and {k: old.get(k) for k in manifest} != manifest:
        raise UsageError(f"--out {out} holds another run ({old['method']} on {old['model']}, n={old['n']}): "
                         "choose another folder")
    device = torch.device(args.device) if args.device else default_device()
    model, tok = load_model(args.model, device=device)
    out.mkdir(parents=True, exist_ok=True)                 # only once every argument has been checked
    # "self" (no text at hand, offline): seeded samples of the model's own text, --stats-max-len tokens each
    texts = corpus_texts(corpus, args.stats_n, model=model, tok=tok, length=args.stats_max_len) if corpus else None
    ctx = make_context(model, tok, method, hp, corpus=texts, stats_path=out / "stats.pt", model_id=args.model,
                       stats_max_len=args.stats_max_len if corpus != "self" else None,
                       template_seed_words=[tok.eos_token] * 5 if args.eos_templates else HUB_TEMPLATE_WORDS,
                       templates_path=out / "templates.json", stats_meta={"corpus": corpus, "n_texts": args.stats_n},
                       stats_product_dtype=torch.float32)
    gguf = source_of(resolve(args.model))                 # the GGUF file and its sha256, for a built-in or .gguf model
    write_json({**manifest, "model_source": gguf} if gguf else manifest, out / "run.json")
    run_sequential(model, tok, method, hp, ctx, requests, out / "run", RunSettings(checkpoints, order_seed=args.order_seed))
    if args.save_model:
        model.save_pretrained(out / "model")
        tok.save_pretrained(out / "model")
    print(f"edited {n} {'fact' if n == 1 else 'records'} with {method.name}: checkpoints in {out / 'run'}"
          + (f", edited model in {out / 'model'}" if args.save_model else ""))
    return 0


def _written_run(path: str) -> tuple[Path, dict, list[int]]:
    """A run directory of `deltaedit edit`: (folder, its run.json, the checkpoints written so far)."""
    run = Path(path)
    if not (run / "run.json").exists():
        raise UsageError(f"--run {run}: no run.json (not a directory written by `deltaedit edit`)")
    m = json.loads((run / "run.json").read_text())
    done = [n for n in m["checkpoints"] if (run / "run" / f"ckpt_{n}" / "deltas.safetensors").exists()]
    if not done:
        raise UsageError(f"--run {run}: no checkpoint written yet")
    return run, m, done


def cmd_generate(args) -> int:
    """Greedy continuations of each prompt by the unedited and the edited model, one under the other."""
    from deltaedit.eval.analysis import greedy
    from deltaedit.models import applied, load_model
    from deltaedit.runner import read_checkpoint

    run, m, done = _written_run(args.run)
    model, tok = load_model(m["model"])
    deltas, edited, _ = read_checkpoint(run / "run" / f"ckpt_{done[-1]}")
    unedited = [greedy(model, tok, p, args.max_new_tokens) for p in args.prompt]
    with applied(model, deltas):
        after = [greedy(model, tok, p, args.max_new_tokens) for p in args.prompt]
    for prompt, u, e in zip(args.prompt, unedited, after):
        print(f"{prompt}\n  unedited: {u.strip()}\n  edited ({m['method']}, {len(edited)} edits): {e.strip()}")
    return 0


def cmd_score(args) -> int:
    from deltaedit.workflow.jobs import reference_job, score_job

    run, m, ckpts = _written_run(args.run)
    if m["dataset"] == "fact":
        raise UsageError(f"--run {run}: one fact from the command line has no records to score; "
                         "`deltaedit generate` shows what it changed")
    ref = run / "reference.json"
    if m["dataset"] == "counterfact" and not ref.exists():
        reference_job(m["model"], m["records"], m["dataset"], m["n"], str(ref))
    outs = [str(run / "scores" / f"{n}.json") for n in ckpts]
    score_job(m["model"], m["records"], m["dataset"], [str(run / "run" / f"ckpt_{n}") for n in ckpts],
              str(ref) if ref.exists() else None, outs)
    for n, path in zip(ckpts, outs):
        summary = json.loads(Path(path).read_text())["summary"]
        print(f"{n} edits: " + ", ".join(f"{k} {v['mean']:.1f}" for k, v in summary.items()))
    return 0


def cmd_methods(args) -> int:
    from deltaedit.core.templates import template_set_name
    from deltaedit.hparams import shipped_hparams
    from deltaedit.methods import get_method, list_methods

    for name in list_methods():
        m = get_method(name)
        doc = (sys.modules[type(m).__module__].__doc__ or "").strip().splitlines()[0]
        print(f"{name:10s} {doc}" if not m.beyond_paper or "beyond the paper" in doc else f"{name:10s} [beyond the paper] {doc}")
        print(f"{'':10s} hparams: {', '.join(shipped_hparams(name, m.hparams_dir))}; "
              f"templates {template_set_name(m.templates)}")
    return 0


def cmd_memory(args) -> int:
    from deltaedit.workflow.placement import PUBLISHED, estimate, placement_plan, published_sizes, sizes_from_config

    if args.model in PUBLISHED:
        sizes = published_sizes(args.model)
    else:
        from transformers import AutoConfig
        sizes = sizes_from_config(AutoConfig.from_pretrained(args.model), args.model)
    print(f"{sizes.name}: {sizes.n_params / 1e6:.1f}M parameters, d={sizes.d}, m={sizes.m}, {sizes.n_layers} layers, "
          f"weights {args.dtype} (edited layers fp32){f', {args.gpu_mem_gb:g} GiB per GPU' if args.gpu_mem_gb else ''}")
    print(f"{'rule':22s} {'GPU GiB':>8s} {'host GiB':>9s}  parts (GPU)" + ("  GPUs" if args.gpu_mem_gb else ""))
    for rule in ("key_stats", "context_templates", "reference_predictions", "edit_run", "score_run",
                 "general_unedited", "analysis"):
        e = estimate(sizes, rule, args.dtype, edited_layers=args.edited_layers, stats_layers=args.edited_layers)
        parts = ", ".join(f"{k} {v:.2f}" for k, v in e["gpu"].items() if k != "total")
        gpus = ""
        if args.gpu_mem_gb:
            try:
                gpus = f"  {placement_plan(sizes, args.gpu_mem_gb, rule, args.dtype, edited_layers=args.edited_layers).n_gpus}"
            except ValueError as err:
                gpus = f"  does not fit: {err}"
        print(f"{rule:22s} {e['gpu']['total']:8.2f} {e['host']['total']:9.2f}  {parts}{gpus}")
    return 0


def cmd_tune(args) -> int:
    from deltaedit.data import load_counterfact
    from deltaedit.models import load_model
    from deltaedit.study.tune import held_out, parse_grid, tune, value_step

    try:
        grid = parse_grid(args.grid)
        records = held_out(load_counterfact(args.records), args.start, args.n, args.scored)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not args.value_step and not args.corpus:
        raise UsageError("--corpus is needed (C0's text), except with --value-step")
    model, tok = load_model(args.model)
    if args.value_step:
        from deltaedit.core.templates import HUB_TEMPLATE_WORDS, context_templates
        from deltaedit.methods import get_method

        words = HUB_TEMPLATE_WORDS if args.hub_templates else [tok.eos_token] * 5
        templates = context_templates(model, tok, words, get_method(args.method).templates)
        result = value_step(model, tok, [r.request for r in records], args.method, args.hparams, grid, templates)
    else:
        from deltaedit.core.templates import HUB_TEMPLATE_WORDS

        corpus = Path(args.corpus).read_text().splitlines()[: args.stats_n]
        result = tune(model, tok, records, args.method, args.hparams, grid, corpus, stats_max_len=args.stats_max_len,
                      work_dir=args.work, model_id=args.model,
                      template_seed_words=HUB_TEMPLATE_WORDS if args.hub_templates else None)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    if args.value_step:
        for p in result["points"]:
            print(f"{json.dumps(p['overrides'])}: mean target probability {p['mean_prob']:.3f} (min {p['min_prob']:.3f})")
        print(f"chosen: {json.dumps(result['chosen'])} -> {args.out}")
        return 0
    for p in result["points"]:
        print(f"{json.dumps(p['overrides'])}: Efficacy top {p['efficacy_top']:.1f}, Specificity top "
              f"{p['specificity_top']:.1f}")
    print(f"chosen: {json.dumps(result['chosen'])} -> {args.out}")
    return 0


def cmd_tune_report(args) -> int:
    from deltaedit.study.sensitivity import load_tunings, sensitivity_figure, sensitivity_table
    from deltaedit.study.tables import write_table

    try:
        df = load_tunings(args.files)
    except (ValueError, KeyError, OSError) as e:
        raise UsageError(str(e)) from None
    write_table(sensitivity_table(df), args.out)
    sensitivity_figure(df, f"{args.out}.png")
    print(f"{len(df)} grid points of {df.method.nunique()} methods -> {args.out}.{{md,csv,tex,png}}")
    return 0


def cmd_compare(args) -> int:
    from deltaedit.study.compare import compare_runs, to_text

    try:
        result = compare_runs(args.scores, args.method, args.baseline, args.metrics, args.n, args.baseline_scores)
    except (ValueError, KeyError) as e:
        raise UsageError(str(e)) from None
    print(to_text(result))
    return 0


def cmd_recheck(args) -> int:
    from deltaedit.workflow.plan import Plan, load_config
    from deltaedit.workflow.recheck import recheck, to_text

    try:
        plan = Plan(load_config({"preset": args.preset}, args.root))
        model = args.model or next(iter(plan.models))
        if model not in plan.models:
            raise ValueError(f"unknown model {model!r} in preset {args.preset}: {list(plan.models)}")
        report = recheck(plan, model, args.dataset, args.run, args.n, args.root, args.work, _settings(args.set))
    except ValueError as e:
        raise UsageError(str(e)) from None
    print(to_text(report))
    # a rerun that should reproduce fails when a record changed; an ablation (--set) is meant to change them
    return 1 if any(report["records_changed"].values()) and not args.set else 0


def _settings(items: list[str]) -> dict:
    """["mpes_patience=null", "mom2_update_weight=1500"] -> {"mpes_patience": None, "mom2_update_weight": 1500}."""
    from deltaedit.hparams import parse_assignment

    return dict(parse_assignment(item, "--set") for item in items)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="deltaedit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("edit", help="edit a model sequentially (resumable)")
    e.add_argument("--model", required=True, help="a GPT-2 or Llama model: hub id, local directory, .gguf file or a "
                   "built-in name (smollm2-135m)")
    e.add_argument("--method", required=True, help="a registered method (see `deltaedit methods`)")
    e.add_argument("--records", default=None, help="CounterFact (ROME or EasyEdit format) or ZsRE (MEND format) JSON")
    e.add_argument("--dataset", default="auto", choices=["auto", "counterfact", "zsre"])
    e.add_argument("--n", type=int, default=None, help="edit the first N records")
    e.add_argument("--subject", default=None, help="one fact instead of --records: its subject")
    e.add_argument("--prompt", default=None, help="one fact: the prompt, {} where the subject goes")
    e.add_argument("--target-new", default=None, help="one fact: the new object")
    e.add_argument("--out", required=True, help="run directory (created; the same arguments resume in it)")
    e.add_argument("--hparams", default=None, help="shipped hparams name or YAML path (default: from the model name)")
    e.add_argument("--checkpoints", type=int, nargs="*", help="further edit counts to write checkpoints at")
    e.add_argument("--order-seed", type=int, default=None, help="shuffle the edit order (default: file order)")
    e.add_argument("--stats-corpus", default=None, help="C0's corpus: a text file (one document per line), 'wikipedia', "
                   "or 'self' (seeded samples of the model's own text; the default for one fact)")
    e.add_argument("--stats-n", type=int, default=None, help="documents for C0 (default: all lines / 100,000 articles)")
    e.add_argument("--stats-max-len", type=int, default=None, help="tokens per document (default: the model's context)")
    e.add_argument("--eos-templates", action="store_true", help="sample context templates from EOS (fact-world models)")
    e.add_argument("--device", default=None, help="torch device (default: the accelerator if there is one)")
    e.add_argument("--save-model", action="store_true", help="also save the edited model to OUT/model")
    e.set_defaults(fn=cmd_edit)
    s = sub.add_parser("score", help="score every checkpoint of a run directory")
    s.add_argument("--run", required=True)
    s.set_defaults(fn=cmd_score)
    g = sub.add_parser("generate", help="greedy continuations of prompts, unedited and edited, from a run directory")
    g.add_argument("--run", required=True, help="a directory written by `deltaedit edit`")
    g.add_argument("--prompt", action="append", required=True, help="repeatable")
    g.add_argument("--max-new-tokens", type=int, default=20)
    g.set_defaults(fn=cmd_generate)
    m = sub.add_parser("methods", help="list the registered methods and their hparams files")
    m.set_defaults(fn=cmd_methods)
    mem = sub.add_parser("memory", help="memory estimate per rule (and GPUs per job) for a model")
    mem.add_argument("--model", required=True, help="gpt2-xl, llama3-8b (published sizes) or a local model directory")
    mem.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    mem.add_argument("--gpu-mem-gb", type=float, default=None, help="GPU memory per card: also plan the GPUs per job")
    mem.add_argument("--edited-layers", type=int, default=5)
    mem.set_defaults(fn=cmd_memory)
    t = sub.add_parser("tune", help="choose hparams on a held-out slice of CounterFact records (deltaedit.study.tune)")
    t.add_argument("--model", required=True, help="local directory of a model")
    t.add_argument("--records", required=True, help="CounterFact JSON")
    t.add_argument("--method", required=True)
    t.add_argument("--hparams", required=True, help="shipped hparams name or YAML path")
    t.add_argument("--start", type=int, required=True, help="first record of the held-out slice (file order)")
    t.add_argument("--n", type=int, default=20, help="sequential edits per grid point")
    t.add_argument("--scored", type=int, default=None, help="refuse a slice inside the first SCORED records")
    t.add_argument("--grid", action="append", required=True, help="key=value[,value...], repeatable")
    t.add_argument("--corpus", help="C0's corpus: a text file, one document per line (not for --value-step)")
    t.add_argument("--work", default=None, help="a folder where every grid point runs checkpointed: rerun to resume")
    t.add_argument("--value-step", action="store_true",
                   help="choose the value step on the unedited model (mean target probability, single edits)")
    t.add_argument("--hub-templates", action="store_true", help="context templates from the five hub seed words, "
                   "as the workflow's runs of a pretrained model")
    t.add_argument("--stats-n", type=int, default=2000)
    t.add_argument("--stats-max-len", type=int, default=128)
    t.add_argument("--out", required=True, help="JSON with every grid point's scores and the choice")
    t.set_defaults(fn=cmd_tune)
    r = sub.add_parser("tune-report", help="every grid point of `deltaedit tune` results: table and figure")
    r.add_argument("files", nargs="+", help="JSON files written by `deltaedit tune` (one parameter each)")
    r.add_argument("--out", required=True, help="stem: writes STEM.md, .csv, .tex and STEM.png")
    r.set_defaults(fn=cmd_tune_report)
    c = sub.add_parser("compare", help="two runs compared paired from their score files (per record, per edit order)")
    c.add_argument("scores", help="one model's and dataset's score folder, e.g. results/scores/<model>/counterfact")
    c.add_argument("method", help="a run in that folder (its order replicas <run>-o<seed> come with it)")
    c.add_argument("baseline", help="the run it is compared with, on the same records in the same orders")
    c.add_argument("--metrics", nargs="+", default=None,
                   help="default: Efficacy and Specificity (efficacy_top specificity_top on CounterFact, "
                        "efficacy specificity on zsRE)")
    c.add_argument("--n", type=int, default=None, help="the checkpoint (default: the last both reached in every order)")
    c.add_argument("--baseline-scores", default=None, metavar="FOLDER",
                   help="the baseline's score folder where it is not SCORES (same model and dataset), e.g. an η "
                        "sweep point against the main run: results/sweep_scores/eta/<model>/counterfact 3.0 "
                        "alphaedit --baseline-scores results/scores/<model>/counterfact")
    c.set_defaults(fn=cmd_compare)
    rc = sub.add_parser("recheck", help="rerun the first N edits of a committed workflow run here and compare "
                        "(exit 1 when a record scores differently)")
    rc.add_argument("--preset", required=True, help="the workflow preset that made the run, e.g. smollm2")
    rc.add_argument("--dataset", required=True, choices=["counterfact", "zsre"])
    rc.add_argument("--run", required=True, help="a run of the preset (method, variant or order replica)")
    rc.add_argument("--n", type=int, required=True, help="one of the run's checkpoints")
    rc.add_argument("--model", default=None, help="the preset's model (default: its first)")
    rc.add_argument("--root", default=".", help="the workflow's folder: resources/ and the committed results/")
    rc.add_argument("--work", required=True, help="scratch folder for the rerun (resumes when rerun)")
    rc.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="an hparams key changed for the rerun (repeatable): an ablation of the committed run")
    rc.set_defaults(fn=cmd_recheck)
    sub.add_parser("factworld", help="build or check a fact world (see `deltaedit factworld --help`)")
    sub.add_parser("bench", help="the per-edit benchmark (see `deltaedit bench --help`)")
    return ap


def main(argv: list[str] | None = None) -> int:
    from deltaedit.data import RecordError
    from deltaedit.hparams import HParamsError
    from deltaedit.models import UnsupportedArchitecture
    from deltaedit.sources import ModelSourceError

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:                        # their own parsers, --help included
        return DELEGATED[argv[0]]().main(argv[1:])
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        filename=getattr(args, "log", None))
    try:
        return args.fn(args)
    except (UsageError, RecordError, HParamsError, UnsupportedArchitecture, ModelSourceError, FileNotFoundError) as e:
        msg = str(e)
    except KeyError as e:                                   # unknown method: the registry's message
        msg = e.args[0] if e.args else repr(e)
    except OSError as e:                                    # a model that is neither a directory nor a hub id
        msg = f"cannot load model {getattr(args, 'model', '?')!r}: {str(e).splitlines()[0]}"
    print(f"deltaedit {args.cmd}: error: {msg}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
