"""beibei_geo is a pure library: importing every module must not import streamlit."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import beibei_geo

PACKAGE = Path(beibei_geo.__file__).parent
MODULES = sorted(f"beibei_geo.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def test_no_module_imports_streamlit_in_source():
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("streamlit", "streamlit_folium") for n in names), path.name


def test_importing_the_library_loads_no_streamlit():
    code = f"import sys; import {', '.join(MODULES)}; print(sorted(m for m in sys.modules if 'streamlit' in m))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    assert len(MODULES) >= 8
