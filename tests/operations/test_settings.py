"""Settings are declared once: the environment, the flags and the README's table all come from that one table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from game_backend.__main__ import parse_args
from game_backend.config import Settings, declared, markdown_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_the_declared_one() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8"), (
        "the README's settings table differs from game_backend/config.py: paste config.markdown_table() into it")


def _sample_for_unset(parse: Any) -> str:
    """A value for a setting that is unset by default: a word, or a number where only a number will do."""
    try:
        parse("value")
    except ValueError:
        return "7"
    return "value"


def test_every_setting_is_read_from_its_variable() -> None:
    samples = {"str": "x", "int": "7", "float": "2.5"}
    for item in declared():
        default = item.default
        raw = (("0" if default else "1") if isinstance(default, bool) else item.choices[-1] if item.choices
               else "a.example, b.example" if isinstance(default, tuple)
               else samples[type(default).__name__] if default is not None else _sample_for_unset(item.parse))
        parsed = getattr(Settings.from_env({item.env: raw}), item.name)
        assert parsed != default, item.env
    assert Settings.from_env({"LOG_LEVEL": "debug"}).log_level == "DEBUG"
    assert Settings.from_env({"CORS_ORIGINS": "https://a.example, https://b.example"}).cors_origins == (
        "https://a.example", "https://b.example")
    assert Settings.from_env({"PORT": ""}).port == Settings().port  # empty means unset


def test_a_flag_wins_over_the_environment() -> None:
    from_env = Settings.from_env({"PORT": "9000", "LOG_LEVEL": "ERROR"})
    settings, ephemeral = parse_args(["--port", "9100", "--cors-origins", "https://a.example"], from_env)
    assert ephemeral is False
    assert (settings.port, settings.log_level, settings.cors_origins) == (9100, "ERROR", ("https://a.example",))


def test_help_lists_every_flag_with_its_variable_and_help() -> None:
    result = subprocess.run([sys.executable, "-m", "game_backend", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for item in declared():
        if item.flag:
            assert item.flag in text and f"[{item.env}]" in text, item.flag


def test_overrides_take_the_variable_names_of_the_table_too() -> None:
    settings = Settings().with_values({"HIT_RATE": "5", "CORS_ORIGINS": "https://a.example", "bcrypt_rounds": 4})
    assert (settings.hit_rate, settings.cors_origins, settings.bcrypt_rounds) == (5.0, ("https://a.example",), 4)
