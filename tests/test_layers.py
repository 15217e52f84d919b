"""The package's layers (docs/architecture.md): the library never imports the study or the workflow's glue,
the study never imports the glue; only the `deltaedit` command sits on top of all three."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "deltaedit"
TOP = {"deltaedit.cli"}                                   # the command: may import every layer


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every deltaedit module a file imports, at its top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in out if m.startswith("deltaedit")}


def layer(module: str) -> str:
    if module in TOP:
        return "top"
    for name in ("study", "workflow"):
        if module == f"deltaedit.{name}" or module.startswith(f"deltaedit.{name}."):
            return name
    return "library"


ALLOWED = {"library": {"library"}, "study": {"library", "study"}, "workflow": {"library", "workflow"},
           "top": {"library", "study", "workflow", "top"}}


def test_no_module_imports_a_layer_above_its_own():
    wrong = []
    for path in PKG.rglob("*.py"):
        me = module_name(path)
        for other in imported(path):
            if layer(other) not in ALLOWED[layer(me)]:
                wrong.append(f"{me} ({layer(me)}) imports {other} ({layer(other)})")
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_imports_inside_functions(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from deltaedit.study.claims import verdict\n")
    assert "deltaedit.study.claims" in imported(f) and layer("deltaedit.study.claims") == "study"


def test_the_package_top_holds_at_most_ten_modules():
    modules = [p.name for p in PKG.glob("*.py") if p.name != "__init__.py"]
    assert len(modules) <= 10, modules
