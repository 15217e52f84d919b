"""Key statistics: C0 by hand, single pass over layers, and a cache keyed by the model."""
import pytest
import torch

from deltaedit.hooks import Capture
from deltaedit.models import adapter_for
from deltaedit.stats import _token_batches, cached_second_moments, second_moments, uniform_sample, wikipedia_texts
from tests.conftest import MODEL_BUILDERS
from tests.test_methods import TOK, corpus


def _hand_c0(model, texts, layer, max_len=None):
    """C0 = (1/N) Σ k kᵀ with one unpadded text at a time, each truncated to `max_len` tokens."""
    site = adapter_for(model).key_site(layer)
    keys = []
    for t in texts:
        ids = TOK(t)["input_ids"][:max_len]
        with Capture(model, [site], "input") as cap:
            model(input_ids=torch.tensor([ids]))
        keys.append(cap[site][0])
    k = torch.cat(keys).double()
    return k.T @ k / k.shape[0], k.shape[0]


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_second_moments_equal_hand_computation_on_every_layer(arch):
    model = MODEL_BUILDERS[arch]()
    texts = corpus(12, seed=3)
    layers = list(range(adapter_for(model).n_layers(model)))
    c0, n = second_moments(model, TOK, texts, layers, batch_size=5)
    assert sorted(c0) == layers
    for l in layers:
        want, n_hand = _hand_c0(model, texts, l)
        assert n == n_hand
        torch.testing.assert_close(c0[l].double(), want, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_float32_products_into_a_float64_total_equal_the_float64_computation(arch):
    """The command line's fast C0: each batch's Kᵀ K in float32, summed in float64, within 1e-5 (relative,
    Frobenius) of all-float64 products, on keys with a wide range of magnitudes."""
    model = MODEL_BUILDERS[arch]()
    texts = corpus(40, seed=5)
    exact, n = second_moments(model, TOK, texts, [0, 2], batch_size=7)
    fast, n_fast = second_moments(model, TOK, texts, [0, 2], batch_size=7, product_dtype=torch.float32)
    assert n == n_fast
    for l in (0, 2):
        err = (fast[l].double() - exact[l].double()).norm() / exact[l].double().norm()
        assert 0 < err < 1e-5, (l, float(err))          # > 0: the float32 products are the ones computed


def test_truncation_and_token_budget():
    """Documents are cut at max_len tokens (None: the model's context); the padded batches are split at
    3 x max_len tokens, which changes nothing but memory."""
    model = MODEL_BUILDERS["gpt2"]()
    texts = corpus(10, seed=4)
    c0, n = second_moments(model, TOK, texts, [1], max_len=4)
    want, n_hand = _hand_c0(model, texts, 1, max_len=4)
    assert n == n_hand == sum(min(4, len(TOK(t)["input_ids"])) for t in texts)
    torch.testing.assert_close(c0[1].double(), want, atol=1e-5, rtol=1e-4)
    full, n_full = second_moments(model, TOK, texts, [1], max_len=None)
    assert n_full == sum(len(TOK(t)["input_ids"]) for t in texts) > n   # the tiny model's context holds them all
    rows = [[0] * k for k in (1, 1, 2, 2, 3, 3, 9)]
    batches = list(_token_batches(iter(rows), batch_size=3, max_tokens=6))
    assert [len(b) for b in batches] == [3, 2, 1, 1]                   # ≤ 3 rows; 2 x 3 <= 6 < 3 x 3; 9 alone
    assert all(len(b) * max(map(len, b)) <= 6 or len(b) == 1 for b in batches)


def test_uniform_sample_of_the_corpus():
    assert uniform_sample(5, 10) == [0, 1, 2, 3, 4]
    a, b = uniform_sample(100_000, 1000, seed=0), uniform_sample(100_000, 1000, seed=1)
    assert len(set(a)) == 1000 and a == sorted(a) and a != b
    assert max(a) > 90_000 and min(a) < 10_000                  # spread over the whole corpus, not a buffer
    rows = [{"text": f"article {i}"} for i in range(50)]
    calls = []

    def load(name, config, split):
        calls.append((name, config, split))
        return rows
    texts = wikipedia_texts(5, seed=2, load=load)
    assert calls == [("wikimedia/wikipedia", "20231101.en", "train")]
    assert texts == [rows[i]["text"] for i in uniform_sample(50, 5, seed=2)]


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
