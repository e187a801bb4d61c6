"""The README's pipeline examples work as pasted: each parses as YAML, and every `conformance` command they run is
one the CLI accepts (read with the CLI's own argument parser)."""
from __future__ import annotations

import re
import shlex

import pytest
import yaml

from conformance.cli import _parser
from tests.conftest import ROOT

YAML_BLOCKS = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def pipelines() -> dict[str, dict]:
    """The README's YAML examples by the CI system their first line (the file's path) names."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = {}
    for block in YAML_BLOCKS.findall(readme):
        system = "github" if block.startswith("# .github/workflows/") else "gitlab" if block.startswith(
            "# .gitlab-ci.yml") else None
        if system:
            found[system] = yaml.safe_load(block)
    return found


def commands(pipeline: dict) -> list[str]:
    """Every shell line a GitHub job's steps (`run`) or a GitLab job (`script`) runs."""
    lines = []
    for job in (pipeline.get("jobs") or pipeline).values():
        scripts = [step.get("run", "") for step in job.get("steps", [])] + list(job.get("script", []))
        lines += [line.strip() for script in scripts for line in script.splitlines() if line.strip()]
    return lines


def test_the_readme_has_a_github_and_a_gitlab_pipeline():
    found = pipelines()
    assert set(found) == {"github", "gitlab"}
    assert found["gitlab"]["contacts-conformance"]["artifacts"]["reports"]["junit"] == "reports/junit.xml"


@pytest.mark.parametrize("name", ["github", "gitlab"])
def test_every_conformance_command_in_a_pipeline_exists_in_the_cli(name):
    runs = [shlex.split(line) for line in commands(pipelines()[name]) if line.startswith("conformance ")]
    assert runs, f"the {name} example runs no conformance command"
    for argv in runs:
        try:
            args = _parser().parse_args(argv[1:])
        except SystemExit:
            pytest.fail(f"the CLI refuses the README's command: {shlex.join(argv)}")
        assert args.command == "run" and args.require_complete
