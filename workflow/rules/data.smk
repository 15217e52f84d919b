# Canonical dataset files (needs internet; never part of the offline fact-world targets).
# Example: snakemake --cores 1 resources/data/counterfact.json
rule download_data:
    output:
        "resources/data/{name}",
    wildcard_constraints:
        name="counterfact.json|multi_counterfact.json|zsre_mend_eval.json|attribute_snippets.json|idf.npy|tfidf_vocab.json",
    log:
        "logs/download_data/{name}.log",
    script:
        "../scripts/download_data.py"


# A dataset from local files (config data: {dataset: {files, label}}), e.g. CounterFact's three EasyEdit splits
# joined in case_id order, the order of the paper's multi_counterfact.json (docs/real-model.md#data).
rule local_data:
    input:
        lambda wc: PLAN.data_source(wc.dataset)["files"],
    output:
        "resources/data/{dataset}.local.json",
    params:
        label=lambda wc: PLAN.data_label(wc.dataset),
    log:
        "logs/local_data/{dataset}.log",
    script:
        "../scripts/local_data.py"


# C0's offline real text (config stats corpus: offline), without the items the general-capability tasks score.
rule offline_corpus:
    output:
        OFFLINE_CORPUS,
    params:
        data_dir=CFG["stats"].get("offline_dir", "../shared/data"),
        seed=CFG["stats"].get("seed", 0),
    log:
        "logs/offline_corpus/offline.log",
    script:
        "../scripts/offline_corpus.py"


# A built-in model (config models: {name: {builtin: ...}}): dequantised once into the model cache
# (DELTAEDIT_CACHE, default ~/.cache/deltaedit); the output records where, and the GGUF file's sha256.
rule builtin_model:
    output:
        "resources/models/{model}.json",
    params:
        builtin=lambda wc: PLAN.models[wc.model]["builtin"],
    log:
        "logs/builtin_model/{model}.log",
    script:
        "../scripts/builtin_model.py"
