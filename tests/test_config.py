"""The one place the kit's settings are resolved, and the state file notebooks hand over through."""
from __future__ import annotations

import pytest

from helpers.core import config
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


def test_credentials_never_switch_to_aws_and_env_vars_override(no_credentials, monkeypatch: pytest.MonkeyPatch) -> None:
    """`aws` is opt-in: credentials in the environment leave the target on `local`."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert get_config().target == "local"
    monkeypatch.setenv("KIT_TARGET", "aws")
    monkeypatch.setattr(config, "_caller_arn", lambda region, key: "arn:aws:iam::123456789012:user/ws-ada")
    cfg = get_config()
    assert (cfg.target, cfg.prefix, cfg.tags["kit-attendee"]) == ("aws", "ws-ada", "ws-ada")
    monkeypatch.setenv("KIT_TARGET", "local")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("KIT_PREFIX", "ws42")
    cfg = get_config()
    assert (cfg.target, cfg.region, cfg.prefix, cfg.tags["kit-prefix"]) == ("local", "eu-west-1", "ws42", "ws42")


PROFILES = """[profile good]
region = eu-west-3
[profile sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Admin
region = eu-west-1
"""


@pytest.fixture
def profiles(no_credentials, monkeypatch: pytest.MonkeyPatch, tmp_path):
    """An AWS config file with a plain profile (region eu-west-3) and an SSO profile that never logged in."""
    (tmp_path / "config").write_text(PROFILES)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no SSO token cache
    return tmp_path


def test_region_comes_from_kit_then_aws_variables_then_the_profile(profiles, monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_config().region == "us-east-1"  # no profile region: the default
    monkeypatch.setenv("AWS_PROFILE", "good")
    assert get_config().region == "eu-west-3"  # the profile's region
    for var, region in (("AWS_DEFAULT_REGION", "us-west-2"), ("AWS_REGION", "eu-central-1"),
                        ("KIT_REGION", "ap-south-1")):
        monkeypatch.setenv(var, region)
        assert get_config().region == region  # each one wins over the ones set before it


@pytest.mark.parametrize("profile, message", [
    ("good", r"^No AWS credentials found for target='aws'"),
    ("missing", r"^The AWS profile 'missing' \(AWS_PROFILE\) is not in ~/\.aws/config"),
    ("sso", r"^The AWS SSO session of profile 'sso' has expired .*`aws sso login --profile sso`"),
])
def test_each_credential_problem_has_its_own_sentence(profiles, monkeypatch: pytest.MonkeyPatch, profile: str,
                                                      message: str) -> None:
    monkeypatch.setenv("AWS_PROFILE", profile)
    with pytest.raises(KitError, match=message):
        get_config(target="aws")
    assert get_config().target == "local"  # never a silent switch: local stays local, aws fails loudly


def test_a_broken_config_file_is_named(profiles, monkeypatch: pytest.MonkeyPatch) -> None:
    (profiles / "config").write_text(PROFILES + "[profile broken\n")
    monkeypatch.setenv("AWS_PROFILE", "good")
    with pytest.raises(KitError, match=r"configuration of profile 'good' is broken \(Unable to parse config file"):
        get_config(target="aws")


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


def test_paths_are_shown_relative_to_the_repo_or_kit_home(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from helpers.core.paths import REPO_ROOT, shown_path

    monkeypatch.setenv("KIT_HOME", str(tmp_path / "home"))
    assert shown_path(REPO_ROOT / ".kit" / "model") == ".kit/model"
    assert shown_path(tmp_path / "home" / "model" / "vocab.json") == "$KIT_HOME/model/vocab.json"
    assert shown_path(tmp_path / "home") == "$KIT_HOME" and shown_path(REPO_ROOT) == "."
    assert shown_path("/somewhere/else") == "/somewhere/else"
