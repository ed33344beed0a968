"""The shared credentials and config files, and named profiles (AWS_PROFILE, --profile)."""

from __future__ import annotations

from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY, AwsKey
from tests.test_sources.workload import (
    GENEROUS_TIMEOUT,
    Workload,
    assert_fails,
    assert_signed_with,
)

OTHER_KEY = AwsKey.long_term("other-user")


def _profile(header: str, key: AwsKey) -> str:
    text = (
        f"[{header}]\n"
        f"aws_access_key_id = {key.access_key_id}\n"
        f"aws_secret_access_key = {key.secret_access_key}\n"
    )
    if key.session_token:
        text += f"aws_session_token = {key.session_token}\n"
    return text


def test_default_profile_of_the_shared_credentials_file_signs(workload: Workload) -> None:
    workload.write_credentials(_profile("default", LONG_TERM_KEY))

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, LONG_TERM_KEY)


def test_session_keys_in_the_config_file_sign(workload: Workload) -> None:
    workload.write_config(_profile("default", SESSION_KEY))

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, SESSION_KEY)


def test_aws_profile_picks_a_named_profile(workload: Workload) -> None:
    workload.write_credentials(_profile("default", OTHER_KEY) + _profile("app", LONG_TERM_KEY))
    workload.set(AWS_PROFILE="app")

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, LONG_TERM_KEY)


def test_profile_option_wins_over_aws_profile_and_environment_keys(workload: Workload) -> None:
    workload.write_config(
        _profile("profile app", LONG_TERM_KEY) + _profile("profile other", OTHER_KEY)
    )
    workload.set(AWS_PROFILE="other")
    workload.use_key(SESSION_KEY)

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    assert_signed_with(result, LONG_TERM_KEY)


def test_unknown_profile_fails_as_profile_not_found(workload: Workload) -> None:
    workload.write_credentials(_profile("default", LONG_TERM_KEY))

    result = workload.run("--profile", "missing", *GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_PROFILE_NOT_FOUND", "'missing'", "AWS_CONFIG_FILE")


def test_unknown_aws_profile_fails_as_profile_not_found(workload: Workload) -> None:
    workload.set(AWS_PROFILE="typo")

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_PROFILE_NOT_FOUND", "'typo'")


def test_unparsable_config_file_fails_as_config_invalid(workload: Workload) -> None:
    workload.write_config("[profile app\naws_access_key_id = x\n")

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CONFIG_INVALID")
