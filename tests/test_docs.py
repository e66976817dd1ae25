"""The README documents what the code reads."""

from pathlib import Path

from core.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_in_the_readme_and_env_example():
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"`{name.upper()}" in readme, f"{name.upper()} missing from the README table"
    for name in (
        "DATABASE_URL",
        "SUPABASE_URL",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "CREDENTIALS_KEY",
        "CORS_ORIGINS",
        "DATA_DIR",
        "LOG_LEVEL",
    ):
        assert name in example, f"{name} missing from .env.example"


def test_ci_runs_the_readme_test_command():
    assert "./dev test" in (ROOT / "README.md").read_text()
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()
