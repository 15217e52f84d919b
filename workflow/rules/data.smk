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
