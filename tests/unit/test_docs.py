"""Docs are tested: every command, option and setting appears in README.md; CI runs its command."""

import re
from pathlib import Path

import pytest

from app.cli import build_parser
from app.config import ENV_NAMES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_and_option_is_documented(name):
    assert f"mutu {name}" in README
    for action in subcommands()[name]._actions:
        for option in action.option_strings:
            if option in ("-h", "--help"):
                continue
            assert option in README, f"`mutu {name} {option}` is not documented"


def test_global_options_are_documented():
    for action in build_parser()._actions:
        for option in action.option_strings:
            if option not in ("-h", "--help"):
                assert option in README


@pytest.mark.parametrize("variable", sorted(ENV_NAMES.values()))
def test_every_setting_is_documented(variable):
    assert variable in README


def test_exit_codes_are_documented():
    assert "Exit codes" in README and "`1` invalid data" in README and "`2` usage" in README


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    assert len(blocks) >= 2
    run, test = blocks[0].strip(), blocks[1].strip()
    assert "mutu serve --demo" in run and "pytest" in test
    assert README.index(blocks[1]) < README.index("## What Mutu is")
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci
