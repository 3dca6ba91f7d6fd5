"""Configuration: what a valid file means, and how every kind of bad file is reported."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from monitor.settings import ConfigError, Settings, load_settings, parse_duration, summary
from tests.helpers import BASE_CONFIG, ROOT, brandbot, replay_source, write_config


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604800), ("2w", 1209600),
    ("500ms", 0.5), (" 1.5h ", 5400), (30, 30),
])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_a_valid_config_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    path = write_config(tmp_path, BASE_CONFIG + replay_source(Path("data/posts.jsonl")))
    settings = load_settings(path, environ={})
    assert settings.storage_url == f"sqlite:///{tmp_path.resolve() / 'brandbot.db'}"
    assert settings.sources[0].path == tmp_path.resolve() / "data" / "posts.jsonl"
    assert settings.sources[0].interval == timedelta(seconds=1)


def test_storage_url_from_environment_wins(tmp_path: Path) -> None:
    path = write_config(tmp_path, BASE_CONFIG)
    settings = load_settings(path, environ={"BRANDBOT_STORAGE_URL": "sqlite:////tmp/other.db"})
    assert settings.storage_url == "sqlite:////tmp/other.db"
    url = "postgresql://care:hunter2@db.internal:5432/brandbot"
    settings = load_settings(path, environ={"BRANDBOT_STORAGE_URL": url})
    assert settings.storage_url == url
    assert "hunter2" not in "\n".join(summary(settings))


def _problems(tmp_path: Path, body: str, environ: dict[str, str] | None = None) -> list[str]:
    path = write_config(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ or {})
    return caught.value.problems


BAD_CASES = [
    ("interval = \"banana\"", r"^sources\[0\]\.interval: invalid duration 'banana'"),
    ("page_size = 0", r"^sources\[0\]\.page_size: .*greater than or equal to 1"),
    ("colour = \"blue\"", r"^sources\[0\]\.colour: unknown key$"),
    ("platform = \"myspace\"", r"^sources\[0\]: unknown platform 'myspace'"),
    ("max_interval = \"500ms\"", r"^sources\[0\]: max_interval \(0.5s\) is shorter than interval"),
]


@pytest.mark.parametrize(("line", "expected"), BAD_CASES)
def test_bad_source_keys_are_named(tmp_path: Path, line: str, expected: str) -> None:
    source = replay_source(Path("posts.jsonl"))
    key = line.split(" = ")[0]
    source = "\n".join(
        row for row in source.splitlines() if not row.startswith(f"{key} =")
    ) + f"\n{line}\n"
    problems = _problems(tmp_path, BASE_CONFIG + source)
    assert any(re.search(expected, p) for p in problems), problems


def test_missing_unknown_and_wrong_keys_each_get_a_line(tmp_path: Path) -> None:
    body = BASE_CONFIG.replace('name = "Brightwave"', "") + "\n[web]\nport = 99999\nhots = 1\n"
    problems = _problems(tmp_path, body)
    assert "brand.name: missing required key" in problems
    assert "web.hots: unknown key (did you mean `host`?)" in problems
    assert any(p.startswith("web.port:") and "65535" in p for p in problems)


def test_sla_must_cover_every_priority(tmp_path: Path) -> None:
    problems = _problems(tmp_path, BASE_CONFIG + '\n[sla]\nfirst_response = { urgent = "1h" }\n')
    assert problems == ["sla.first_response: no target for high, normal, low"]


def test_missing_credential_variable_names_source_and_variable(tmp_path: Path) -> None:
    body = BASE_CONFIG + '\n[[sources]]\nplatform = "x"\nname = "x-main"\n'
    problems = _problems(tmp_path, body, environ={})
    assert problems == [
        "sources[0].bearer_token_env: environment variable X_BEARER_TOKEN is not set "
        "(source 'x-main' needs it)"
    ]
    path = write_config(tmp_path, body)
    assert load_settings(path, environ={"X_BEARER_TOKEN": "t"}).sources[0].key == "x-main"


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    assert "invalid TOML" in _problems(tmp_path, "[brand\nname=")[0]
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_unsupported_storage_url(tmp_path: Path) -> None:
    problems = _problems(tmp_path, BASE_CONFIG.replace("sqlite:///brandbot.db", "mysql://x"))
    assert problems[0].startswith("storage.url: unsupported storage URL 'mysql://x'")


def test_bad_voice_template_is_a_config_error(tmp_path: Path) -> None:
    body = BASE_CONFIG + '\n[voice.templates]\nbilling = "Hi {{ name "\n'
    problems = _problems(tmp_path, body)
    assert problems and problems[0].startswith("voice.templates.billing: template error")


@pytest.mark.parametrize("template", [
    "{{ (2**100000)|string }}",  # a 30,000-digit number
    "{% include 'x' %}",
    "{% for i in range(10**9) %}.{% endfor %}",
    "{{ 'x' * 50000000 }}",
    "{{ name.nope }}",
])
def test_a_voice_template_that_would_fail_at_run_time_is_refused_by_check_config(
        tmp_path: Path, template: str) -> None:
    # each used to pass check-config, then stop ingestion on every page
    body = BASE_CONFIG + f"\n[voice.templates]\nbilling = {json.dumps(template)}\n"
    config = write_config(tmp_path, body)
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "voice.templates.billing: template fails to render" in result.stderr


@pytest.mark.parametrize("command", [["check-config"], ["run", "--once", "--no-web"]])
def test_cli_exits_2_naming_the_key_and_writes_nothing(tmp_path: Path,
                                                      command: list[str]) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text("")
    body = BASE_CONFIG + replay_source(posts).replace('interval = "1s"', 'interval = "banana"')
    config = write_config(tmp_path, body)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = brandbot("--config", str(config), *command, cwd=tmp_path)
    assert result.returncode == 2
    assert "sources[0].interval: invalid duration 'banana'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_check_config_summarises(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text("")
    config = write_config(tmp_path, BASE_CONFIG + replay_source(posts))
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "brand: Brightwave" in result.stdout
    assert "source replay: replay every 1s" in result.stdout
    assert not (tmp_path / "brandbot.db").exists()


def _keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        keys.add(name)
        for arg in getattr(field.annotation, "__args__", ()) or (field.annotation,):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                keys |= _keys(arg)
    return keys


def test_example_config_is_valid_and_documents_every_key() -> None:
    from monitor import settings as s

    example = ROOT / "config" / "example.toml"
    assert isinstance(load_settings(example, environ={}), Settings)
    text = example.read_text()
    models = [s.Settings, s.Brand, s.Voice, s.Routing, s.Team, s.Sla, s.Cases, s.Notify,
              s.Analysis, s.Publisher, s.Digest, s.Web, s.Storage, s.ReplaySource, s.XSource,
              s.RedditSource, s.MastodonSource, s.BlueskySource, s.HackerNewsSource,
              s.ThreadsSource,
              s.IntentConfig, s.EscalationKind]
    undocumented = sorted(
        key for model in models for key in _keys(model)
        if not re.search(rf"(^|\[|\.|#\s*|\s){re.escape(key)}(\s*=|\]|\.|\s)", text, re.M)
    )
    assert undocumented == []


def test_check_config_reports_every_problem_in_one_pass(tmp_path: Path) -> None:
    # a missing credential used to appear only once the other errors were fixed
    body = BASE_CONFIG.replace("[routing.teams.billing]\nintents = [\"billing\"]",
                               "[routing.teams.billing]\nintents = [\"biling\"]") + (
        '\n[[sources]]\nplatform = "x"\nname = "x-main"\n'
        '\n[[sources]]\nplatform = "replay"\nname = "x-main"\npath = "p.jsonl"\n'
        'interval = "banana"\n'
        '\n[[sources]]\nplatform = "replay"\nname = "x-main"\npath = "p.jsonl"\n'
        '\n[web]\nhots = "0.0.0.0"\n')
    assert '"biling"' in body
    config = write_config(tmp_path, body)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path)
    assert result.returncode == 2
    lines = [line.removeprefix("config error: ") for line in result.stderr.splitlines()]
    assert "sources[1].interval: invalid duration 'banana' (use a number and a unit: 90s, " \
           "15m, 1h, 7d)" in lines
    assert "web.hots: unknown key (did you mean `host`?)" in lines
    assert "sources[0].bearer_token_env: environment variable X_BEARER_TOKEN is not set " \
           "(source 'x-main' needs it)" in lines
    assert "sources[2]: two sources are called 'x-main'; give each a distinct `name`" in lines
    assert any(line.startswith("routing.teams.billing.intents: unknown intent 'biling'")
               and "(did you mean `billing`?)" in line for line in lines), lines
    assert len(lines) == 5, lines
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


@pytest.mark.parametrize(("section", "key", "nearest"), [
    ("sla", "folow_up", "follow_up"),
    ("storag", None, "storage"),
    ("cases", "reopen_windw", "reopen_window"),
    ("routing.teams.billing", "intens", "intents"),
    ("escalation.safety", "teem", "team"),
])
def test_an_unknown_key_suggests_the_nearest(tmp_path: Path, section: str, key: str | None,
                                             nearest: str) -> None:
    body = BASE_CONFIG + (f'\n[{section}]\nx = 1\n' if key is None
                          else f'\n[{section}]\n{key} = "1"\n')
    if key is None:  # an unknown section
        body = BASE_CONFIG + f"\n[{section}]\nurl = \"x\"\n"
    if section == "routing.teams.billing":
        body = BASE_CONFIG.replace('intents = ["billing"]', f'{key} = ["billing"]')
    problems = _problems(tmp_path, body)
    where = section if key is None else f"{section}.{key}"
    assert f"{where}: unknown key (did you mean `{nearest}`?)" in problems, problems


def test_an_unknown_key_far_from_every_known_one_suggests_nothing(tmp_path: Path) -> None:
    problems = _problems(tmp_path, BASE_CONFIG + '\n[web]\ncolour = "blue"\n')
    assert problems == ["web.colour: unknown key"]


def test_a_source_an_adapter_refuses_is_reported_by_check_config(tmp_path: Path) -> None:
    body = BASE_CONFIG.replace('keywords = ["brightwave"]', "keywords = []").replace(
        'hashtags = ["brightwavedown"]', "hashtags = []")
    body += '\n[[sources]]\nplatform = "hackernews"\n'
    config = write_config(tmp_path, body)
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "the brand needs keywords (or hashtags) to search" in result.stderr


@pytest.mark.parametrize(("line", "expected"), [
    ("pace_last = -1", "sources[0].pace_last: "),
    ('pace_over = "0s"', "sources[0].pace_over: pace_over must be more than 0s"),
    ("shift_to_now = \"soon\"", "sources[0].shift_to_now: "),
])
def test_bad_replay_pacing_is_named(tmp_path: Path, line: str, expected: str) -> None:
    problems = _problems(tmp_path, BASE_CONFIG + replay_source(Path("p.jsonl")) + line + "\n")
    assert any(p.startswith(expected) for p in problems), problems
