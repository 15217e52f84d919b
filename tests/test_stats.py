"""Key statistics: C0 by hand, single pass over layers, and a cache keyed by the model."""
import pytest
import torch

from deltaedit.hooks import Capture
from deltaedit.models import adapter_for
from deltaedit.stats import cached_second_moments, second_moments
from tests.conftest import MODEL_BUILDERS
from tests.test_methods import TOK, corpus


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_second_moments_equal_hand_computation(arch):
    model = MODEL_BUILDERS[arch]()
    texts = corpus(12, seed=3)
    c0, n = second_moments(model, TOK, texts, [0, 2], batch_size=5)
    site = adapter_for(model).key_site(2)
    keys = []
    for t in texts:                                   # one text at a time: no padding at all
        with Capture(model, [site], "input") as cap:
            model(input_ids=torch.tensor([TOK(t)["input_ids"]]))
        keys.append(cap[site][0])
    k = torch.cat(keys).double()
    assert n == k.shape[0]
    torch.testing.assert_close(c0[2].double(), k.T @ k / n, atol=1e-5, rtol=1e-4)
    assert torch.allclose(c0[0], c0[0].T)


def test_cache_is_reused_and_rejects_other_settings(tmp_path):
    model = MODEL_BUILDERS["gpt2"]()
    calls = []

    def texts():
        calls.append(1)
        return corpus(8)
    path = tmp_path / "stats.pt"
    a = cached_second_moments(path, model, TOK, texts, [1], {"model": "tiny-a"})
    b = cached_second_moments(path, model, TOK, texts, [1], {"model": "tiny-a"})
    assert len(calls) == 1 and torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="other settings"):
        cached_second_moments(path, model, TOK, texts, [1], {"model": "tiny-b"})
