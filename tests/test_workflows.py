"""The GitHub Actions workflows are valid and keep the API token secret."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TOKEN_VAR = "SOURCES__IMPRAISE__API_TOKEN"


def test_actionlint_passes():
    actionlint = Path(sys.executable).parent / "actionlint"
    assert WORKFLOWS
    result = subprocess.run(
        [str(actionlint), *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output == ""


def test_elt_token_comes_from_the_secret_and_is_never_printed():
    text = (ROOT / ".github" / "workflows" / "elt.yml").read_text()
    steps = [step for job in yaml.safe_load(text)["jobs"].values() for step in job.get("steps", [])]

    token_steps = [step for step in steps if TOKEN_VAR in step.get("env", {})]
    assert [step["env"][TOKEN_VAR] for step in token_steps] == ["${{ secrets.IMPRAISE_API_TOKEN }}"]
    assert text.count("secrets.IMPRAISE_API_TOKEN") == 1, "the token is exposed elsewhere"
    for step in steps:
        script = step.get("run", "")
        # The script reads the token only through dlt, never itself (no echo, no set -x).
        assert TOKEN_VAR not in script and "IMPRAISE_API_TOKEN" not in script, script
        assert "set -x" not in script, script


def test_elt_runs_never_overlap():
    """README, Scheduling: "Runs never overlap." GitHub Actions runs one workflow run of a
    concurrency group at a time and queues the next; the group must be one constant name
    (an expression such as github.ref would let runs on two branches load at once), and
    a queued run must not cancel the one loading."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "elt.yml").read_text())
    concurrency = workflow.get("concurrency")
    assert isinstance(concurrency, dict), "elt.yml has no workflow-level concurrency group"
    group = concurrency.get("group")
    assert isinstance(group, str) and group and "${{" not in group, group
    assert concurrency.get("cancel-in-progress") is False


def test_elt_uploads_the_report_and_publishes_it_only_when_asked():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "elt.yml").read_text())
    steps = workflow["jobs"]["elt"]["steps"]
    runs = [step.get("run", "") for step in steps]
    built = next(i for i, run in enumerate(runs) if "dbt build" in run)
    reported = next(i for i, run in enumerate(runs) if "-m impraise_report" in run)
    assert built < reported
    uploaded = [
        step["with"]["path"]
        for step in steps
        if step.get("uses", "").startswith("actions/upload-artifact")
    ]
    assert "reports/engagement.html" in uploaded
    # the report reaches the Pages site only through one step, guarded by the opt-in
    published = [step for step in steps if "reports/engagement.html site/" in step.get("run", "")]
    assert len(published) == 1
    assert published[0]["if"] == "inputs.publish_report || vars.IMPRAISE_PUBLISH_REPORT == 'true'"
    triggers = workflow[True]  # PyYAML reads the key `on` as YAML 1.1's boolean
    assert triggers["workflow_dispatch"]["inputs"]["publish_report"]["default"] is False
