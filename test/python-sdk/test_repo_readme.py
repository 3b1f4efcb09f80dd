"""The README's "Using the KavachOS Python SDK" example, run exactly as written."""
import os
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Using the KavachOS Python SDK", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_as_written(root_url, admin_token):
    env = {**os.environ, "KAVACH_URL": root_url, "KAVACH_ADMIN_TOKEN": admin_token}
    done = subprocess.run([sys.executable, "-c", readme_example()], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("created agt_")
    assert lines[1:] == ["True ALLOWED", "False NO_MATCHING_PERMISSION", "2 decisions audited"]
