"""The HTML report's front page: what the run found (the claims' verdicts, Table 1 in brief, Fig. 1), then
what was run. Written as reStructuredText, which Snakemake's report renders above the rule graph."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pandas as pd

CLAIMS = {"0": "the baselines: AlphaEdit above MEMIT in Efficacy_top and Specificity_top (Table 1)",
          "a": "noise_E rises and Efficacy_top falls non-linearly with the number of edits (Fig. 1)",
          "b": "AlphaEdit's mean kᵀβ stays below MEMIT's (Fig. 2)",
          "c": "DeltaEdit: lower noise_E and higher Efficacy_top than AlphaEdit",
          "d": "Table 1's ordering of the methods",
          "e": "the advantage of (c) is not the L2 regulariser",
          "beyond": "this project's variants (not the paper's), by (c)'s criteria"}
BRIEF = ("efficacy_top", "generalization_top", "specificity_top")


def _shown(claim: str, verdicts: dict) -> bool:
    """A claim's row is shown where it has a verdict; this project's variants only where they ran."""
    return claim in verdicts and (claim != "beyond" or verdicts[claim] not in ("n/a", "not run"))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """An rst list-table."""
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        out += [f"   * - {row[0]}"] + [f"     - {c}" for c in row[1:]]
    return out + [""]


def table1_brief(table1_csv: str | Path, dataset: str = "counterfact") -> tuple[list[str], list[list[str]]]:
    """The "top" columns of Table 1 for one dataset (the first one the table has when `dataset` is absent)."""
    t = pd.read_csv(table1_csv, header=[0, 1], index_col=[0, 1])
    datasets = list(dict.fromkeys(t.columns.get_level_values(0)))
    ds = dataset if dataset in datasets else datasets[0]
    cols = [c for c in t.columns if c[0] == ds and (c[1] in BRIEF or ds != "counterfact")]
    rows = [[model, method, *(str(t.loc[(model, method), c]) for c in cols)] for model, method in t.index]
    return ["model", "method", *(f"{ds} {c[1]}" for c in cols)], rows


def front_page(run: dict, table1_csv: str | Path, fig1_png: str | Path, claims_json: str | Path | None,
               out_rst: str | Path) -> None:
    """`run`: {preset, models, methods, datasets, checkpoints, long_runs, and optionally eta_sweep, general,
    general_on, t-SNE prompts} as the run plan resolved them (workflow.plan.Plan.summary)."""
    title = f"deltaedit: preset ``{run['preset']}``"
    lines = [title, "=" * len(title), "", "What this run found", "-------------------", ""]
    if claims_json:
        result = json.loads(Path(claims_json).read_text())
        v = result["verdicts"]
        lines += ["The paper's claims, judged by the criteria of ``results/PROTOCOL.md`` in this run's setting "
                  "(the numbers behind each verdict: ``claims.md`` under Tables).", ""]
        if result.get("protocol") == "v2":     # paired verdicts, on the teacher-forced and generation-based columns
            tf, gen = v["teacher_forced"], v["generation"]
            lines += _table(["claim", "what the paper reports", "teacher-forced", "generation-based"],
                            [[k, CLAIMS[k], tf[k], gen[k]] for k in CLAIMS if _shown(k, tf)])
        else:
            lines += _table(["claim", "what the paper reports", "verdict"],
                            [[k, CLAIMS[k], v[k]] for k in CLAIMS if _shown(k, v)])
    header, rows = table1_brief(table1_csv)
    lines += [f"Table 1 in brief ({len(rows)} rows; mean [95 % CI] over the edited records at the last checkpoint "
              "every method reached; every column: ``table1`` under Tables):", ""]
    lines += _table(header, rows)
    # the figure inline as a data URI, in short lines: docutils joins an image URI's lines and refuses any line
    # over 10,000 characters, which would drop the whole page
    png = base64.b64encode(Path(fig1_png).read_bytes()).decode()
    lines += ["Fig. 1: Efficacy_top and noise_E of MEMIT and AlphaEdit against the number of sequential edits.", "",
              ".. image:: data:image/png;base64,", *(f"   {png[i:i + 76]}" for i in range(0, len(png), 76)),
              "   :width: 90%", ""]
    lines += ["What was run", "------------", "",
              f"Methods and variants: {', '.join(run['methods'])}; models: {', '.join(run['models'])}; "
              f"datasets: {', '.join(run['datasets'])}; every run scored at {run['checkpoints']} edits."]
    lr = run.get("long_runs")
    if lr:
        lines += [f"Long runs: {', '.join(lr['methods'])} on {', '.join(lr['models'])} / {', '.join(lr['datasets'])} "
                  f"go on to {lr['checkpoints']} edits."]
    eta = run.get("eta_sweep")
    if eta:
        lines += [f"DeltaEdit's η sweep (Fig. 9): η in {eta['etas']} on {eta['model']} / {eta['dataset']} at "
                  f"{run['checkpoints'][-1]} edits."]
    if run.get("general"):
        on = run.get("general_on")    # the runs and datasets it evaluates, where not every run of every dataset
        lines += [f"General capability (Fig. 3): lm-eval tasks {', '.join(run['general'])}"
                  + (f" on {', '.join(on['runs'])} / {', '.join(on['datasets'])}." if on else ".")]
    if run.get("t-SNE prompts"):
        lines += [f"t-SNE (Fig. 4b): {run['t-SNE prompts']} factual prompts per model and dataset."]
    lines += ["", "Every table, figure and case study is under the categories below; the rule graph shows how "
              "they were made.", ""]
    Path(out_rst).parent.mkdir(parents=True, exist_ok=True)
    Path(out_rst).write_text("\n".join(lines))
