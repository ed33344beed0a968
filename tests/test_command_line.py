"""How Python, Node and Go split a credential config's command, and commands all three agree on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helper.command_line import (
    UnsplittableArgument,
    join_for_every_client,
    split_all,
    split_go,
    split_node,
    split_python,
)

# Characters that mean nothing special to any client.
_PLAIN = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_./=:,@+%~#"
    ),
    min_size=1,
    max_size=20,
)


def test_plain_command_is_split_the_same_by_every_client() -> None:
    splits = split_all("/usr/local/bin/aws-wif-helper --profile dev --region eu-west-1")

    assert splits.agree
    assert splits.go == [
        "/usr/local/bin/aws-wif-helper",
        "--profile",
        "dev",
        "--region",
        "eu-west-1",
    ]


def test_double_quoted_path_with_a_space_is_one_argument_for_python_and_node_only() -> None:
    splits = split_all('"/opt/my tools/aws-wif-helper" --profile dev')

    assert splits.python == ["/opt/my tools/aws-wif-helper", "--profile", "dev"]
    assert splits.node == ["/opt/my tools/aws-wif-helper", "--profile", "dev"]
    assert splits.go == ['"/opt/my', 'tools/aws-wif-helper"', "--profile", "dev"]
    assert not splits.agree


def test_single_quotes_group_for_python_but_not_for_node() -> None:
    assert split_python("'/opt/a b' x") == ["/opt/a b", "x"]
    assert split_node("'/opt/a b' x") == ["'/opt/a", "b'", "x"]


def test_node_keeps_quotes_that_do_not_wrap_the_whole_argument() -> None:
    assert split_node('--name="a b"') == ['--name="a b"']
    assert split_python('--name="a b"') == ["--name=a b"]


def test_node_drops_an_unmatched_double_quote() -> None:
    assert split_node('ab"cd') == ["ab", "cd"]


def test_backslash_escapes_only_for_python() -> None:
    assert split_python(r"/opt/a\ b") == ["/opt/a b"]
    assert split_go(r"/opt/a\ b") == ["/opt/a\\", "b"]


def test_go_splits_at_unicode_spaces_python_does_not() -> None:
    command = "/opt/a\u00a0b --x"

    assert split_go(command) == ["/opt/a", "b", "--x"]
    assert split_python(command) == ["/opt/a\u00a0b", "--x"]


def test_unclosed_quote_is_an_error_for_python() -> None:
    splits = split_all('/opt/helper "--profile')

    assert splits.python is None
    assert splits.python_error
    assert not splits.agree


def test_empty_command_does_not_agree() -> None:
    assert not split_all("   ").agree


def test_join_refuses_a_path_with_a_space_and_says_go_cannot_run_it() -> None:
    with pytest.raises(UnsplittableArgument, match="Go"):
        join_for_every_client(["/opt/my tools/aws-wif-helper"])


@pytest.mark.parametrize("argument", ["it's", 'say"hi"', "back\\slash", "", "tab\there"])
def test_join_refuses_arguments_the_clients_would_read_differently(argument: str) -> None:
    with pytest.raises(UnsplittableArgument):
        join_for_every_client(["/usr/local/bin/aws-wif-helper", argument])


@given(st.lists(_PLAIN, min_size=1, max_size=6))
def test_joined_command_splits_back_to_the_same_arguments_in_every_client(
    arguments: list[str],
) -> None:
    command = join_for_every_client(arguments)

    for split in (split_python, split_node, split_go):
        assert split(command) == arguments
