"""The paper's claims under protocol v2 (results/PROTOCOL.md): paired comparisons and the verdict words
reproduced / not reproduced / inconclusive / n/a, judged once on the teacher-forced columns (the paper's) and
once on the generation-based ones (docs/scores.md#generation-based-efficacy).

(0) The baselines first: AlphaEdit above MEMIT in Efficacy and in Specificity_top (the paper's Table 1).
(a), (b) Fig. 1 and Fig. 2, with protocol v1's criteria (deltaedit.study.claims) in the v2 words.
(c) Table 1 / Fig. 4a: DeltaEdit above AlphaEdit in Efficacy, with noise_E (eq. 13) lower and Specificity_top
    not lower by more than 2 points in every order; per trigger rule.
(d) Table 1's ordering of the seven methods: Kendall's τ-b ≥ 0.7 in each column.
(e) The L2 control: n/a where (c) shows no advantage to explain.
This project's variants (`deltaedit-track`) are judged by (c)'s criteria and reported apart from the claims.

Every comparison pairs two runs that edited the same records in the same order (deltaedit.study.paired);
an order replica pairs with the other run's replica of the same seed. The comparison is made at the last
checkpoint both runs reached in every order.
"""
from __future__ import annotations

import math

from deltaedit.study import paired
from deltaedit.study.claims import DELTA_RULES, OURS, PAPER_TABLE1, TOP, Runs, claim_a, claim_b, claim_d, diagnose

COLUMNS = {"teacher_forced": TOP, "generation": ("efficacy_gen", "generalization_gen", "specificity_top")}
SPECIFICITY_MARGIN = 2.0    # (c): Specificity_top may be lower than AlphaEdit's by at most this many points
WORDS = ("reproduced", "not reproduced", "inconclusive", "n/a")


def all_of(words: list[str]) -> str:
    """The word for a conjunction of parts: reproduced if every part is, not reproduced if any part is not."""
    words = [w for w in words if w != "n/a"]
    if not words:
        return "n/a"
    if all(w == "reproduced" for w in words):
        return "reproduced"
    return "not reproduced" if "not reproduced" in words else "inconclusive"


def from_holds(cases: list[bool]) -> str:
    """A v1 criterion's pass/fail cases in the v2 words."""
    if not cases:
        return "n/a"
    return "reproduced" if all(cases) else "not reproduced" if not any(cases) else "inconclusive"


def paper_effect(family: str | None, method: str, baseline: str, column: int) -> float:
    """The paper's difference method − baseline in one Table 1 column (NaN where the model has no paper twin)."""
    t = PAPER_TABLE1.get(family)
    return t[method][column] - t[baseline][column] if t else float("nan")


def shared_checkpoint(runs: Runs, model: str, a: str, b: str) -> int | None:
    common = set(runs.checkpoints(model, a)) & set(runs.checkpoints(model, b))
    return max(common) if common else None


def compare_paired(runs: Runs, model: str, method: str, baseline: str, n: int, metric: str, effect: float) -> dict:
    """The paired comparison of `metric` in every edit order the two runs share (deltaedit.study.paired)."""
    orders = [o for o in runs.orders(model, method) if o in runs.orders(model, baseline)]
    pairs = []
    for o in orders:
        a, b = runs.values(model, method, o, n, metric), runs.values(model, baseline, o, n, metric)
        both = a.index.intersection(b.index)          # the same records (an order's run scores what it edited)
        pairs.append((a[both].tolist(), b[both].tolist()))
    out = paired.compare([p[0] for p in pairs], [p[1] for p in pairs], effect)
    for o, c in zip(orders, out["orders"]):
        c["order"] = o or "file order"
    return dict(metric=metric, n=n, **out)


def claim_0(runs: Runs, model: str, family: str | None, cols: tuple) -> dict:
    if not (runs.has(model, "alphaedit") and runs.has(model, "memit")):
        return {}
    n = shared_checkpoint(runs, model, "alphaedit", "memit")
    parts = {cols[i]: compare_paired(runs, model, "alphaedit", "memit", n, cols[i],
                                     paper_effect(family, "alphaedit", "memit", i)) for i in (0, 2)}
    return dict(n=n, parts=parts, verdict=all_of([p["verdict"] for p in parts.values()]))


def compare_c(runs: Runs, model: str, rule: str, family: str | None, cols: tuple) -> dict:
    """(c) for one trigger rule: the paired Efficacy verdict, and in every order noise_E lower and the paired
    Specificity_top difference not below −2 points. Reproduced needs all three everywhere; an Efficacy that is
    not reproduced, or side criteria that fail in every order, make it not reproduced."""
    n = shared_checkpoint(runs, model, rule, "alphaedit")
    eff = compare_paired(runs, model, rule, "alphaedit", n, cols[0], paper_effect(family, "deltaedit", "alphaedit", 0))
    spec = compare_paired(runs, model, rule, "alphaedit", n, "specificity_top",
                          paper_effect(family, "deltaedit", "alphaedit", 2))
    noise = {r: runs.noise_by_order(model, r, n) for r in (rule, "alphaedit")}
    side = []
    for o, s in zip(runs.orders(model, rule), spec["orders"]):
        lower = noise[rule].get(o, math.nan) < noise["alphaedit"].get(o, math.nan)
        side.append(dict(order=o, lower_noise=lower, specificity_kept=s["mean"] >= -SPECIFICITY_MARGIN,
                         noise_E=noise[rule].get(o), noise_E_alphaedit=noise["alphaedit"].get(o)))
    ok = [s["lower_noise"] and s["specificity_kept"] for s in side]
    if eff["verdict"] == "not reproduced" or (ok and not any(ok)):
        word = "not reproduced"
    elif eff["verdict"] == "reproduced" and all(ok):
        word = "reproduced"
    else:
        word = "n/a" if eff["verdict"] == "n/a" else "inconclusive"
    return dict(n=n, efficacy=eff, specificity=spec, side=side, verdict=word)


def claim_c(runs: Runs, model: str, family: str | None, cols: tuple, rules: tuple = DELTA_RULES) -> dict:
    """(c) for every trigger rule that ran; with `rules=OURS`, this project's variants by the same criteria."""
    if not runs.has(model, "alphaedit"):
        return {}
    return {rule: compare_c(runs, model, rule, family, cols) for rule in rules if runs.has(model, rule)}


def claim_e(runs: Runs, model: str, c: dict, family: str | None, cols: tuple) -> dict:
    """The L2 control (runs `alphaedit-l2p`, `deltaedit-code-l2p`): n/a where no rule of (c) is reproduced."""
    if not any(r["verdict"] == "reproduced" for r in c.values()):
        return dict(verdict="n/a", reason="(c) shows no advantage to explain")
    if not (runs.has(model, "alphaedit-l2p") and runs.has(model, "deltaedit-code-l2p")):
        return dict(verdict="n/a", reason="the L2 control runs are not in this configuration")
    n = shared_checkpoint(runs, model, "deltaedit-code-l2p", "alphaedit-l2p")
    ctl = compare_paired(runs, model, "deltaedit-code-l2p", "alphaedit-l2p", n, cols[0],
                         paper_effect(family, "deltaedit", "alphaedit", 0))
    return dict(control=ctl, verdict=ctl["verdict"])


def judge(runs: Runs, model: str, family: str | None, cols: tuple) -> dict:
    """Every claim for one model on one set of columns."""
    a, b = claim_a(runs, model, cols[0]), claim_b(runs, model)
    c, d = claim_c(runs, model, family, cols), claim_d(runs, model, family, cols)
    e, zero = claim_e(runs, model, c, family, cols), claim_0(runs, model, family, cols)
    words = {"0": zero["verdict"] if zero else "n/a",
             "a": from_holds([r["holds"] for r in a.values()]), "b": from_holds([b["holds"]] if b else []),
             "c": all_of([r["verdict"] for r in c.values()]) if c else "n/a",
             "d": "n/a" if not d else "reproduced" if d["holds"] else "inconclusive" if d["any"] else "not reproduced",
             "e": e["verdict"]}
    beyond = claim_c(runs, model, family, cols, OURS)
    words["beyond"] = all_of([r["verdict"] for r in beyond.values()]) if beyond else "n/a"
    return dict(verdicts=words, zero=zero, a=a, b=b, c=c, d=d, e=e, beyond=beyond)


def evaluate(runs: Runs, families: dict, null_dims: dict, triggers) -> dict:
    """Every claim per model (CounterFact runs) on both column sets; a verdict over models with all_of."""
    runs = runs.on_dataset("counterfact")
    models = sorted(runs.rec.model.unique())
    per = {m: {kind: judge(runs, m, families.get(m), cols) for kind, cols in COLUMNS.items()} for m in models}
    for m in models:
        per[m]["diagnosis"] = diagnose(runs, m, null_dims, triggers)
    verdicts = {kind: {k: all_of([per[m][kind]["verdicts"][k] for m in models]) for k in (*"0abcde", "beyond")}
                for kind in COLUMNS}
    return dict(protocol="v2", verdicts=verdicts, models=per)


def _diff(c: dict) -> str:
    return ", ".join(f"{o['mean']:+.1f} [{o['ci_low']:+.1f}, {o['ci_high']:+.1f}]" for o in c["orders"])


def to_markdown(result: dict) -> str:
    """The verdicts, then per model the paired differences behind them (points, 95 % CI, one per order)."""
    v = result["verdicts"]
    lines = ["# The paper's claims (protocol v2)", "",
             "Criteria: results/PROTOCOL.md (protocol v2). Differences: method − baseline in points, mean [95 % "
             "bootstrap CI over records] in each edit order (file order first).", "",
             "| claim | teacher-forced | generation-based |", "|---|---|---|"]
    lines += [f"| ({k}) | {v['teacher_forced'][k]} | {v['generation'][k]} |" for k in "0abcde"]
    lines += [f"| this project's variants ({', '.join(OURS)}) by (c)'s criteria | {v['teacher_forced']['beyond']} | "
              f"{v['generation']['beyond']} |", ""]
    for model, r in result["models"].items():
        lines += [f"## {model}", ""]
        for kind in COLUMNS:
            j = r[kind]
            rows = [(f"(0) alphaedit − memit, {m}", p) for m, p in (j["zero"] or {}).get("parts", {}).items()]
            # the paper's rules under (c), this project's variants by the same criteria, each named as such
            compared = {f"(c) {rule}": c for rule, c in j["c"].items()}
            compared |= {f"beyond the paper: {rule}": c for rule, c in j["beyond"].items()}
            for name, c in compared.items():
                rows += [(f"{name} − alphaedit, {c['efficacy']['metric']}", c["efficacy"]),
                         (f"{name} − alphaedit, specificity_top", c["specificity"])]
            if not rows:
                continue
            lines += [f"{kind.replace('_', '-')} columns:", "", "| comparison | edits | difference per order | "
                      "paper | verdict |", "|---|---|---|---|---|"]
            lines += [f"| {name} | {c['n']} | {_diff(c)} | {c['paper_effect']:+.1f} | {c['verdict']} |"
                      for name, c in rows] + [""]
            for name, c in compared.items():
                lines += [f"{name}: noise_E below AlphaEdit's / Specificity_top kept, per order: " + ", ".join(
                    f"{s['lower_noise']} / {s['specificity_kept']}" for s in c["side"]) + f" → {c['verdict']}", ""]
        g = r["diagnosis"]
        lines += ["Diagnosis: " + "; ".join(
            [f"AlphaEdit's null space at layer {l}: {d['dim']} of {d['width']} key dimensions ({g['edits']} edits)"
             for l, d in g["null_space"].items()] +
            [f"{rule} fired on {p:.0f} % of edits" for rule, p in g["fired_percent"].items()]), ""]
    return "\n".join(lines)

