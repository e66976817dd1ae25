"""The shape the codebase keeps: small product modules, tests that need nothing beside the repo."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 300


def _product_packages() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages: list[str] = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    return packages


def test_every_product_package_is_in_the_layer_contract_and_type_checked() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    roots = set(pyproject["tool"]["importlinter"]["root_packages"])
    layers = {
        name.strip()
        for contract in pyproject["tool"]["importlinter"]["contracts"]
        for layer in contract["layers"]
        for name in layer.split("|")
    }
    packages = set(_product_packages())
    assert packages == roots == layers
    assert packages == set(pyproject["tool"]["mypy"]["files"])
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert on_disk == packages, "a top-level package outside the contract"


def test_no_product_module_over_300_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in _product_packages()
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these modules (one job each): {long}"


def test_tests_need_nothing_beside_the_repository() -> None:
    # CI runs on a clone; data a test needs lives in tests/data/, written by this project.
    outside = re.compile(r"""["']shared["']|\.\./shared|shared/reference""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if path.name != "test_structure.py" and outside.search(path.read_text())
    ]
    assert not offenders, f"tests reaching outside the repository: {offenders}"
