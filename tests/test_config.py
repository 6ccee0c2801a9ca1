"""The one place the kit's settings are resolved, and the state file notebooks hand over through."""
from __future__ import annotations

import pytest

from helpers.core.config import get_config
from helpers.core.errors import KitError
from helpers.core.state import clear_state, load_state, save_state


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "KIT_TARGET",
                "KIT_REGION", "AWS_REGION", "AWS_DEFAULT_REGION", "KIT_PREFIX", "KIT_RUNTIME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_no_credentials_means_local_with_defaults(no_credentials) -> None:
    cfg = get_config()
    assert (cfg.target, cfg.region, cfg.prefix, cfg.runtime) == ("local", "us-east-1", "ltk", "slim")
    assert cfg.tags == {"project": "lambda-torch-kit", "kit-prefix": "ltk"}
    assert cfg.name("translator") == "ltk-translator"


def test_credentials_mean_aws_and_env_vars_override(no_credentials, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert get_config().target == "aws"
    monkeypatch.setenv("KIT_TARGET", "local")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("KIT_PREFIX", "ws42")
    cfg = get_config()
    assert (cfg.target, cfg.region, cfg.prefix, cfg.tags["kit-prefix"]) == ("local", "eu-west-1", "ws42", "ws42")


@pytest.mark.parametrize("kwargs, message", [
    ({"target": "aws"}, "No AWS credentials found for target='aws': run `aws configure`"),
    ({"target": "gcp"}, "Unknown target 'gcp'"),
    ({"region": "mars-1"}, "Region 'mars-1' is not a region where the kit can run"),
    ({"prefix": "Bad_Prefix"}, "must be 2-20 lowercase letters"),
    ({"runtime": "tensorflow"}, "Unknown runtime 'tensorflow'"),
])
def test_bad_settings_are_one_sentence(no_credentials, kwargs: dict, message: str) -> None:
    with pytest.raises(KitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        get_config(**kwargs)


def test_state_merges_survives_reload_and_clears(kit_home) -> None:
    assert load_state() == {}
    save_state(model_version="abc")
    save_state(image_uris={"slim": "repo:slim-abc"})
    assert load_state() == {"model_version": "abc", "image_uris": {"slim": "repo:slim-abc"}}
    assert (kit_home / "state.json").exists()
    clear_state()
    assert load_state() == {}
