"""Every shipped hparams file loads into its method's dataclass; bad files fail with the key named."""
import pytest

from deltaedit.api import load_hparams
from deltaedit.hparams import HPARAMS_DIR, HParamsError, hparams_path
from deltaedit.methods import get_method, list_methods

FILES = sorted(HPARAMS_DIR.glob("*/*.yaml"))


def test_every_method_has_the_paper_models():
    for m in list_methods():
        for model in ("gpt2-xl", "llama3-8b"):
            assert hparams_path(m, model).exists()


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_shipped_file_loads_typed(path):
    hp = load_hparams(path.parent.name, path)
    cls = get_method(path.parent.name).hparams_cls
    assert isinstance(hp, cls)
    for name, value in hp.to_dict().items():
        if name in ("v_lr", "L2", "mom2_update_weight", "nullspace_threshold", "clamp_norm_factor", "lr"):
            assert isinstance(value, float), name


@pytest.mark.parametrize("text,msg", [
    ("layers: [1]\nv_lr: '1e-3'\n", "key 'v_lr': expected float, got str"),
    ("layers: [1]\nlamda: 3.0\n", "unknown key"),
    ("layers: 3\n", "key 'layers': expected a list"),
    ("layers: [2, 1]\n", "increasing"),
    ("layers: [1]\nmom2_update_weight: true\n", "got bool"),
    ("- 1\n- 2\n", "expected a mapping"),
])
def test_bad_files_name_the_key(tmp_path, text, msg):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(HParamsError, match=msg) as e:
        load_hparams("memit", p)
    assert str(p) in str(e.value)


def test_unknown_model_lists_available():
    with pytest.raises(FileNotFoundError, match="gpt2-xl"):
        hparams_path("memit", "gpt-5")


def test_inherit_starts_from_the_named_file_and_its_own_keys_win(tmp_path):
    (tmp_path / "base.yaml").write_text("layers: [1, 2]\nv_lr: 0.5\nmom2_update_weight: 30.0\n")
    (tmp_path / "child.yaml").write_text("inherit: base\nlayers: [0, 1]\n")
    hp = load_hparams("memit", tmp_path / "child.yaml")
    assert hp.layers == [0, 1] and hp.v_lr == 0.5 and hp.mom2_update_weight == 30.0


@pytest.mark.parametrize("text,msg", [("inherit: nowhere\n", "does not exist"), ("inherit: [a]\n", "must name a file"),
                                      ("inherit: loop\n", "inherit cycle")])
def test_bad_inherit_names_the_file(tmp_path, text, msg):
    (tmp_path / "loop.yaml").write_text(text)
    with pytest.raises(HParamsError, match=msg) as e:
        load_hparams("memit", tmp_path / "loop.yaml")
    assert "loop.yaml" in str(e.value)
