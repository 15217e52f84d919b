"""FT (docs/methods.md#ft): constrained fine-tuning of one MLP output matrix on the edit prompt.

As the baselines did, all target tokens are scored at the prompt's last position (a bag-of-tokens loss,
not teacher forced), and Adam updates every parameter of that module, as the reference selects each
parameter whose name contains the module's name: on GPT-2 `c_proj.weight` and `c_proj.bias`, on Llama
`down_proj.weight` (no bias). With `norm_constraint` ε every entry of each stays within [W0 − ε, W0 + ε] of
its value at the start of the edit. The parameters are restored on exit; the deltas are returned
({l: ΔW [d, m]} and, where the module has a bias, {bias_key(l): Δb [d]}).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from deltaedit.core.keys import stack_keys
from deltaedit.eval.scoring import pad_right, prompt_ids, target_ids
from deltaedit.hooks import FrozenPrefix
from deltaedit.hparams import HParams, HParamsError
from deltaedit.methods.base import Method, register
from deltaedit.models import adapter_for, bias_key, device_of, get_module, read_weight, restore, snapshot
from deltaedit.types import EditTrace


@dataclass(frozen=True)
class FTHParams(HParams):
    layers: list[int] = field(default_factory=lambda: [0])
    lr: float = 5e-4
    num_steps: int = 25
    weight_decay: float = 0.0
    norm_constraint: float | None = 5e-4
    early_stop_loss: float = 1e-2

    def validate(self, source):
        if len(self.layers) != 1 or self.layers[0] < 0:
            raise HParamsError(f"{source}: FT edits exactly one layer, got layers={self.layers}")


@register
class FT(Method):
    name = "ft"
    hparams_cls = FTHParams

    def compute_deltas(self, model, tok, requests, hp, state, ctx):
        (l,) = hp.layers
        device = device_of(model)
        module = get_module(model, adapter_for(model).key_site(l))
        keys = [l] + ([bias_key(l)] if module.bias is not None else [])
        params = [module.weight] + ([module.bias] if module.bias is not None else [])
        saved = snapshot(model, keys)
        start = [p.detach().clone() for p in params]
        w0_math = read_weight(model, l)
        prompts = [prompt_ids(tok, r.filled) for r in requests]
        ids, mask = pad_right(prompts, tok.pad_token_id, device)
        rows, last = torch.arange(len(prompts), device=device), torch.tensor([len(p) - 1 for p in prompts], device=device)
        targets = [torch.tensor(target_ids(tok, r.target_new), device=device) for r in requests]
        trace = EditTrace(keys={l: stack_keys(model, tok, requests, l, ["{}"])[0]})
        opt = torch.optim.Adam(params, lr=hp.lr, weight_decay=hp.weight_decay)
        try:
            # all prompts in one padded batch, the same at every step, so the blocks below the edited layer
            # give the same output each time
            with FrozenPrefix(model, [adapter_for(model).block(i) for i in range(l)]):
                for step in range(hp.num_steps):
                    logits = model(input_ids=ids, attention_mask=mask).logits[rows, last].float()   # each prompt's end
                    logp = torch.log_softmax(logits, -1)
                    loss = sum(-logp[i, t].mean() for i, t in enumerate(targets)) / len(targets)
                    if not torch.isfinite(loss):
                        raise FloatingPointError(f"FT loss is not finite for case {requests[0].case_id}")
                    trace.info["loss"] = loss.item()
                    if loss.item() < hp.early_stop_loss:
                        break
                    grads = torch.autograd.grad(loss, params)
                    for p, g in zip(params, grads):
                        p.grad = g
                    opt.step()
                    for p in params:
                        p.grad = None
                    if hp.norm_constraint is not None:
                        with torch.no_grad():
                            for p, p0 in zip(params, start):
                                p.copy_(torch.clamp(p, p0 - hp.norm_constraint, p0 + hp.norm_constraint))
            deltas = {l: read_weight(model, l).float() - w0_math.float()}
            if module.bias is not None:
                deltas[bias_key(l)] = (module.bias.detach() - start[1]).float()
        finally:
            for p in params:
                p.grad = None
            restore(model, saved)
        return deltas, trace
