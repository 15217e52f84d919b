"""The run plan (deltaedit.workflow.plan) for every preset, without running Snakemake."""
from pathlib import Path

import pytest

from deltaedit.api import load_hparams
from deltaedit.workflow.plan import Plan, load_config

ROOT = Path(__file__).resolve().parents[1]
PRESETS = sorted(p.stem for p in (ROOT / "workflow/presets").glob("*.yaml"))


def plan(**given) -> Plan:
    return Plan(load_config({"preset": "smoke", **given}, ROOT))


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_plans_runs_files_and_benchmarks(preset):
    p = Plan(load_config({"preset": preset}, ROOT))
    assert p.runs and p.ckpts == sorted(p.ckpts) and p.n_max == p.long_ckpts[-1] >= p.ckpts[-1]
    assert len(p.score_files()) == len(set(p.score_files()))
    for model in p.models:
        for run in p.runs:
            assert p.hparams(run, model).layers, (run, model)           # every run's hparams load and check
    bench = p.benchmark_files()
    assert len(bench) == len(set(bench)) and all(f.startswith("benchmarks/") and f.endswith(".tsv") for f in bench)
    assert "results/tables/table1.csv" in p.targets()


def test_the_given_config_is_not_changed_and_the_preset_is_overlaid_once():
    given = {"preset": "smoke", "checkpoints": [3, 1]}
    cfg = load_config(given, ROOT)
    assert given == {"preset": "smoke", "checkpoints": [3, 1]}
    assert cfg["checkpoints"] == [3, 1] and cfg["methods"] == ["memit", "alphaedit", "deltaedit"]
    assert Plan(cfg).ckpts == [1, 3]


def test_smoke_runs_variants_replicas_and_long_runs():
    p = plan()
    assert p.runs == ["memit", "alphaedit", "deltaedit", "deltaedit-code", "memit-o1"]
    assert p.all_methods == p.runs + ["noedit"]
    assert p.replicas == {"memit-o1": ("memit", 1)} and p.order_seed("memit-o1") == 1 and p.order_seed("memit") == 0
    assert p.base_method("deltaedit-code") == "deltaedit" and p.base_method("memit-o1") == "memit"
    assert p.overrides("deltaedit-code", "factworld-tiny-gpt2") == {"trigger": "code"}
    assert p.hparams("deltaedit-code", "factworld-tiny-gpt2").trigger == "code"
    m, cf = "factworld-tiny-gpt2", "counterfact"
    # long runs: the listed runs and their replicas on the listed model and dataset go on to 6 edits
    assert p.checkpoints(m, cf, "memit") == [2, 4, 6] and p.checkpoints(m, cf, "memit-o1") == [2, 4, 6]
    assert p.checkpoints(m, cf, "alphaedit") == [2, 4] and p.checkpoints(m, "zsre", "memit") == [2, 4]
    assert p.run_deltas(m, cf, "memit")[-1] == f"results/edits/{m}/{cf}/memit/ckpt_6/deltas.safetensors"
    assert p.long_constraints() == {"model": r"factworld\-tiny\-gpt2", "dataset": cf,
                                    "method": r"memit|deltaedit\-code|memit\-o1"}
    assert p.n_max == 6
    # the replica on CounterFact only (order_replicas.datasets): 6 runs there, 5 on zsRE, 2 checkpoints each,
    # plus the 3 long runs' third checkpoint
    assert p.runs_on("zsre") == ["memit", "alphaedit", "deltaedit", "deltaedit-code", "noedit"]
    assert len(p.score_files()) == (6 + 5) * 2 + 3


def test_smoke_files_models_and_benchmarks():
    p = plan()
    m = "factworld-tiny-gpt2"
    assert p.model_ref(m) == "resources/factworld/tiny/models/gpt2" and p.model_inputs(m) == [p.model_ref(m)]
    assert p.records_file(m, "zsre") == "resources/factworld/tiny/zsre.json"
    assert p.corpus_ref(m) == "resources/factworld/tiny/background.txt"
    assert p.templates_file(m, "deltaedit-code") == f"resources/templates/{m}/10x5.json"
    assert p.template_sets() == ["10x5"] and p.stats_layers(m) == p.edited_layers(m)
    bench = set(p.benchmark_files())
    assert {f"benchmarks/edit_run/{m}_counterfact_memit-o1.tsv", f"benchmarks/score_run/{m}_counterfact_noedit.tsv",
            f"benchmarks/eta_run/{m}_counterfact_2.0_4.tsv", "benchmarks/factworld_pretrain/tiny_gpt2.tsv",
            "benchmarks/claims/all.tsv", "benchmarks/general_report/all.tsv"} <= bench
    assert f"benchmarks/edit_run/{m}_zsre_noedit.tsv" not in bench        # an external rule is not edit_run
    assert f"benchmarks/edit_run/{m}_zsre_memit-o1.tsv" not in bench      # no replica on zsRE
    # the fact world's own thread count (part of its models), whatever the job's
    assert p.pretrain_threads("tiny") == 2 and p.pretrain_threads("small") == 1 == p.pretrain_threads("small-tune")
    assert p.paper_widths()[m][1:] == [1600, "gpt2-xl"]
    assert p.load_spec(m, "edit_run") == {"dtype": "float32", "fp32_layers": p.edited_layers(m), "gpus": 1,
                                          "max_memory_gib": 0.0}


def test_paper_preset_plans_hub_models_and_gpus_per_card():
    p = Plan(load_config({"preset": "paper", "gpu_mem_gb": 24, "dtype": {"llama3-8b": "bfloat16"}}, ROOT))
    assert p.is_pretrained("gpt2-xl") and p.model_inputs("gpt2-xl") == [] and p.corpus_ref("llama3-8b") == "wikipedia"
    assert p.records_file("gpt2-xl", "counterfact") == "resources/data/multi_counterfact.json"
    assert p.ckpts[-1] == 3000 and p.order_seed("memit") is None
    assert p.placement("llama3-8b", "edit_run").n_gpus == 2 and p.placement("gpt2-xl", "edit_run").n_gpus == 1
    assert p.templates_file("gpt2-xl", "rome") == "resources/templates/gpt2-xl/5x10-10x10.json"
    assert not any("factworld" in f for f in p.targets() + p.benchmark_files())


def test_smollm2_preset_plans_the_builtin_model_local_data_and_the_offline_corpus():
    p = Plan(load_config({"preset": "smollm2"}, ROOT))
    m = "smollm2-135m"
    assert p.is_pretrained(m) and p.model_ref(m) == "smollm2-135m" and p.model_inputs(m) == ["resources/models/smollm2-135m.json"]
    assert p.records_file(m, "counterfact") == "resources/data/counterfact.local.json"
    assert len(p.data_source("counterfact")["files"]) == 3 and "train split" in p.data_label("zsre")
    assert p.corpus_inputs(m) == ["resources/corpus/offline.txt"] == [p.corpus_ref(m)]
    assert p.paper_widths() == {m: [576, 4096, "llama3-8b"]}      # 3,000 paper edits ~ 422 here
    assert p.checkpoints(m, "counterfact", "alphaedit-o2")[-1] == 420 and p.checkpoints(m, "zsre", "memit")[-1] == 210
    assert p.checkpoints(m, "counterfact", "rome")[-1] == 210 and p.order_seed("deltaedit-code-o1") == 1
    assert set(p.runs) >= {"ft", "rome", "memit", "prune", "rect", "alphaedit", "deltaedit", "deltaedit-code", "nas", "encore"}
    assert p.checkpoints(m, "counterfact", "nas")[-1] == p.checkpoints(m, "counterfact", "encore")[-1] == 420
    assert any("train split" in d for d in p.summary()["datasets"])
    # the protocol's three orders are CounterFact's: zsRE runs in file order only (order_replicas.datasets)
    assert p.runs_on("counterfact") == p.all_methods and "memit-o1" not in p.runs_on("zsre")
    zsre = [f for f in p.score_files() + p.edit_logs() + p.run_outputs() + p.benchmark_files() if "zsre" in f]
    assert zsre and not [f for f in zsre if "-o1" in f or "-o2" in f]
    assert len([f for f in p.score_files() if "/zsre/" in f]) == 13 * 5     # 9 methods, 3 variants, noedit; 5 checkpoints
    # this project's variant (beyond the paper) runs as DeltaEdit with its statistics on every edit, to 420 on CounterFact
    assert p.variants["deltaedit-track"] == {"method": "deltaedit", "overrides": {"stats_update": "all"}}
    assert p.checkpoints(m, "counterfact", "deltaedit-track")[-1] == 420 and "deltaedit-track-o1" not in p.runs
    # and ENCORE at MEMIT's step-1 λ, checked like the file's, to 420 on CounterFact in case_id order
    assert p.hparams("encore-lam1500", m).mom2_update_weight == 1500 == load_hparams("memit", "smollm2-135m").mom2_update_weight
    assert p.hparams("encore", m).mom2_update_weight == 15000 and p.checkpoints(m, "counterfact", "encore-lam1500")[-1] == 420
    assert p.claims_protocol == "v2" and plan().claims_protocol == "v1"     # paired verdicts on the real model
    short = Plan(load_config({"preset": "smollm2-short"}, ROOT))   # extends smollm2: its own keys replace the parent's
    assert short.ckpts == [2] and short.n_max == 3 and short.data_source("zsre") == p.data_source("zsre")


def test_general_capability_runs_on_the_runs_and_datasets_the_config_names():
    import re
    p = Plan(load_config({"preset": "smollm2"}, ROOT))     # Fig. 3's four runs, file order, CounterFact
    m, cf = "smollm2-135m", "counterfact"
    runs = ["memit", "alphaedit", "deltaedit", "deltaedit-code"]
    assert p.general_files() == [f"results/general/{m}/{cf}/{r}/{n}.json" for r in runs for n in (13, 26, 52, 105, 210, 420)
                                 ] + [f"results/general/{m}/{cf}/unedited.json"]
    assert p.summary()["general_on"] == {"runs": runs, "datasets": [cf]} and plan(general={"tasks": ["world_facts"]}
                                                                           ).summary()["general_on"] is None
    assert p.general_pairs() == [(m, cf)] and f"benchmarks/general_unedited/{m}_zsre.tsv" not in p.benchmark_files()
    assert not [f for f in p.run_outputs() if f.startswith("results/general/") and "/zsre/" in f]
    # the constraints of rule score_run_general match exactly these runs: not a replica, not zsRE, not a prefix
    c = p.general_constraints(long=True)
    assert [r for r in p.runs if re.fullmatch(c["method"], r)] == runs and not re.fullmatch(c["dataset"], "zsre")
    smoke = plan()                                          # every run but the order replica, on CounterFact
    assert smoke.has_general("counterfact", "noedit") and not smoke.has_general("counterfact", "memit-o1")
    assert not smoke.has_general("zsre", "noedit") and smoke.general_pairs() == [("factworld-tiny-gpt2", cf)]
    assert [f for f in smoke.general_files() if "/memit-o1/" in f] == []
    everything = plan(general={"tasks": ["world_facts"]})   # the default: every run on every dataset
    assert everything.general_runs == everything.all_methods and everything.general_datasets == everything.datasets
    assert p.general_tasks == {"tasks": ["cola", "mmlu", "mrpc", "nli", "rte", "sst2"],   # a job's params, as before
                             "glue_dir": "../shared/data/glue_eval_alphaedit/json", "limit": 100}
    nothing = plan(general={"tasks": []})                   # no task: no run and no unedited evaluation either
    assert nothing.general_files() == [] and nothing.general_constraints()["method"] == "(?!)"
    assert "benchmarks/general_report/all.tsv" not in nothing.benchmark_files()


@pytest.mark.parametrize("corpus,inputs,ref", [("wikipedia", [], "wikipedia"), ("self", [], "self"),
                                               ("texts/c0.txt", ["texts/c0.txt"], "texts/c0.txt")])
def test_the_corpus_setting_of_pretrained_models(corpus, inputs, ref):
    p = Plan(load_config({"preset": "smollm2", "stats": {"corpus": corpus, "n_texts": 10, "max_len": 16}}, ROOT))
    assert p.corpus_inputs("smollm2-135m") == inputs and p.corpus_ref("smollm2-135m") == ref


def test_a_preset_that_extends_itself_is_refused(tmp_path):
    (tmp_path / "workflow" / "presets").mkdir(parents=True)
    (tmp_path / "workflow" / "presets" / "a.yaml").write_text("extends: b\n")
    (tmp_path / "workflow" / "presets" / "b.yaml").write_text("extends: a\n")
    with pytest.raises(ValueError, match="extends itself"):
        load_config({"preset": "a"}, tmp_path)


@pytest.mark.parametrize("given,culprit", [
    ({"preset": "papers"}, "papers"),
    ({"checkpoints": 7}, "checkpoints"),
    ({"bogus_key": 1}, "bogus_key"),
    ({"methods": ["memit", "nosuch"]}, "nosuch"),
    ({"variants": {"alphaedit-x": {"method": "alphaedt", "overrides": {"L2": 1.0}}}}, "alphaedt"),
    ({"variants": {"alphaedit-x": {"method": "alphaedit", "overrides": {"L2": "big"}}}}, "L2"),
    ({"variants": {"alphaedit-x": {"method": "alphaedit", "overrides": {}}}}, "overrides nothing"),
    ({"order_replicas": {"runs": ["memit"], "seeds": [0]}}, "order_replicas.seeds"),
    ({"datasets": ["counterfact"], "order_replicas": {"runs": ["memit"], "seeds": [1], "datasets": ["zsre"]}},
     "order_replicas.datasets"),
    ({"claims_protocol": "v3"}, "claims_protocol"),
    ({"datasets": ["counterfact"], "general": {"tasks": ["world_facts"], "datasets": ["zsre"]}}, "general.datasets"),
])
def test_a_bad_config_raises_one_error_naming_the_culprit(given, culprit):
    with pytest.raises((ValueError, KeyError)) as e:
        plan(**given)
    assert culprit in str(e.value)


def test_nested_values_given_as_text_are_read_typed():
    p = plan(long_runs={"models": ["factworld-tiny-gpt2"], "datasets": ["zsre"], "methods": ["alphaedit"],
                        "checkpoints": ["9"]},
             variants={"alphaedit-big": {"method": "alphaedit", "overrides": {"L2": "50.0"}}})
    assert p.long_ckpts == [2, 4, 9] and p.hparams("alphaedit-big", "factworld-tiny-gpt2").L2 == 50.0
    assert plan(checkpoints=["2", "4"]).ckpts == [2, 4]          # the README's --config checkpoints='[2,4]'
    tiny = plan(variants={"alphaedit-e": {"method": "alphaedit", "overrides": {"L2": "5e-1"}}})   # as tune --grid reads it
    assert tiny.hparams("alphaedit-e", "factworld-tiny-gpt2").L2 == 0.5
    assert plan(methods=["memit"]).methods == ["memit"]
