"""Print pip constraints pinning every dependency of apigen to the floor of its range.

The floor job of .ci/run installs with these, so a declared lower bound is a tested one.
"""

import re
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
for requirement in project["dependencies"]:
    match = re.match(r"^([A-Za-z0-9_.-]+)\s*>=\s*([^,;\s]+)", requirement)
    if match is None:
        raise SystemExit(f"no lower bound to test in {requirement!r}")
    print(f"{match.group(1)}=={match.group(2)}")
