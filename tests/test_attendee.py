"""Attendees sharing one AWS account: the prefix comes from the caller's identity, is name-safe, never shared
silently, and every resource is tagged with the attendee."""
from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from helpers.core import config
from helpers.core.attendee import PREFIX_RE, identity_name, name_safe, owner_clash
from helpers.core.config import get_config


@pytest.mark.parametrize("arn, name", [
    ("arn:aws:iam::123456789012:user/ws-ada", "ws-ada"),
    ("arn:aws:iam::123456789012:user/division/team/Ada", "Ada"),
    ("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Attendee_1a2b/ada.l@example.org", "ada.l@example.org"),
    ("arn:aws:sts::123456789012:federated-user/bob", "bob"),
    ("arn:aws:iam::123456789012:root", "root"),
])
def test_the_identity_name_comes_from_the_caller_arn(arn: str, name: str) -> None:
    assert identity_name(arn) == name


def test_prefixes_are_name_safe_and_distinct_names_never_share_one() -> None:
    names = ["ws-ada", "WS-Ada2", "ada.l@example.org", "ada_l@example.org", "ada-l-example-org", "7up",
             "a-very-long-attendee-name-01", "a-very-long-attendee-name-02", "x", "é"]
    prefixes = [name_safe(n) for n in names]
    assert all(PREFIX_RE.fullmatch(p) for p in prefixes), prefixes
    assert len(set(prefixes)) == len(names)
    assert name_safe("ws-ada") == "ws-ada" and name_safe("WS-Ada2") == "ws-ada2"  # lossless: kept as is
    assert name_safe("ada.l@example.org").startswith("ada-l-example") and name_safe("7up").startswith("u-7up-")


def test_a_prefix_owned_by_another_attendee_is_refused() -> None:
    assert owner_clash({"kit-attendee": "ws-bob"}, "ws-bob", "ws-bob") is None
    assert owner_clash({}, "ws-bob", "ws-ada") is None  # made before attendees were tagged
    assert "already used by 'ws-bob'" in owner_clash({"kit-attendee": "ws-bob"}, "ws-bob", "ws-ada")


@mock_aws
def test_on_aws_each_iam_user_gets_their_own_prefix_and_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two IAM users' keys (moto's STS answers GetCallerIdentity for the key's user): two prefixes, two tags."""
    iam = boto3.client("iam", region_name="us-east-1")
    config._caller_arn.cache_clear()
    seen = []
    for user in ("ws-ada", "Ws.Bob"):
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        monkeypatch.delenv("KIT_PREFIX", raising=False)
        cfg = get_config(target="aws", region="us-east-1")
        seen.append((cfg.prefix, cfg.tags["kit-prefix"], cfg.tags["kit-attendee"]))
    assert seen[0] == ("ws-ada", "ws-ada", "ws-ada")
    assert seen[1][0] == seen[1][1] != "ws-bob" and seen[1][2] == "Ws.Bob"
    monkeypatch.setenv("KIT_PREFIX", "shared")  # an explicit prefix wins; the tag still names the attendee
    cfg = get_config(target="aws", region="us-east-1")
    assert (cfg.prefix, cfg.tags["kit-attendee"]) == ("shared", "Ws.Bob")
    config._caller_arn.cache_clear()
    json.dumps(cfg.tags)  # tag values are plain strings


@mock_aws
def test_deploying_under_a_prefix_another_attendee_owns_is_refused() -> None:
    """KIT_PREFIX set to someone else's prefix: the role 03 would update in place carries their kit-attendee tag."""
    from dataclasses import replace

    from helpers.core.config import KitConfig
    from helpers.core.errors import KitError
    from helpers.deploy.role import ensure_role
    from helpers.core.changes import Changes

    bob = KitConfig(target="aws", prefix="ws-bob", attendee="ws-bob",
                    tags={"project": "lambda-torch-kit", "kit-prefix": "ws-bob", "kit-attendee": "ws-bob"})
    ensure_role(bob, Changes())
    ensure_role(bob, Changes())  # their own: updated in place
    ada_as_bob = replace(bob, attendee="ws-ada", tags={**bob.tags, "kit-attendee": "ws-ada"})
    with pytest.raises(KitError, match="already used by 'ws-bob'"):
        ensure_role(ada_as_bob, Changes())


@mock_aws
def test_on_aws_the_facilitator_hands_out_keys_in_a_private_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """00's aws branch: users with the attendee policy, the boundary policy, keys in a 0600 CSV, nothing printed."""
    import csv

    from helpers.core.config import KitConfig
    from helpers.workshop import hand_out_keys, workshop_users
    from helpers.workshop.attendees import POLICY_NAME

    cfg = KitConfig(target="aws", prefix="ws-boss", tags={"project": "lambda-torch-kit", "kit-prefix": "ws-boss"})
    path = hand_out_keys(cfg, ["ws-ada", "ws-bob"], tmp_path / "keys.csv")
    assert path.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(path.open()))
    assert [r["attendee"] for r in rows] == ["ws-ada", "ws-bob"]
    assert all(r["AWS_SECRET_ACCESS_KEY"] and r["KIT_PERMISSIONS_BOUNDARY"].endswith(":policy/ltk-workshop-boundary")
               for r in rows)
    assert rows[0]["AWS_SECRET_ACCESS_KEY"] not in capsys.readouterr().out
    iam = boto3.client("iam", region_name="us-east-1")
    assert iam.list_user_policies(UserName="ws-ada")["PolicyNames"] == [POLICY_NAME]
    assert workshop_users(cfg) == ["ws-ada", "ws-bob"]
