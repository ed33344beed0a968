"""How each Google client splits `credential_source.executable.command` into arguments.

The command is one string, and the clients disagree on how to split it:

    Python (google-auth)           shlex.split: POSIX quoting, '...', "..." and backslashes
    Node (google-auth-library)     runs of non-space characters and "..." groups; a token
                                   that starts and ends with " loses those two quotes
    Go (golang.org/x/oauth2)       strings.Fields: every run of Unicode white space separates,
                                   nothing quotes

A command works for every client only if all three give the same list.
`join_for_every_client` builds such a command from arguments, or says why an
argument cannot be in one (Go can never run a path with a space in it).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence

__all__ = [
    "CLIENTS",
    "CommandSplits",
    "UnsplittableArgument",
    "join_for_every_client",
    "split_all",
    "split_go",
    "split_node",
    "split_python",
]

CLIENTS = ("Python", "Node", "Go")

# Go's unicode.IsSpace.
_GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# JavaScript's \s: Go's set without U+0085, with U+FEFF.
_NODE_SPACE = (_GO_SPACE - {"\x85"}) | {"\ufeff"}
# Characters with a meaning to one client and not to another.
_QUOTING = frozenset("'\"\\")


class UnsplittableArgument(ValueError):
    """An argument that the clients would not all read back the same; says why."""


@dataclasses.dataclass(frozen=True)
class CommandSplits:
    """The argument list each client makes of one command, or why it cannot make one."""

    python: list[str] | None
    node: list[str] | None
    go: list[str] | None
    python_error: str | None = None
    node_error: str | None = None

    def by_client(self) -> dict[str, list[str] | None]:
        return {"Python": self.python, "Node": self.node, "Go": self.go}

    @property
    def agree(self) -> bool:
        """True when every client runs the same non-empty argument list."""
        return bool(self.python) and self.python == self.node == self.go

    @property
    def best_guess(self) -> list[str]:
        """The argument list most clients would run (Python's, else Go's)."""
        return self.python or self.go or []


def split_python(command: str) -> list[str]:
    """As Python's google-auth does; raises ValueError on an unclosed quote."""
    return shlex.split(command)


def split_node(command: str) -> list[str]:
    """As Node's google-auth-library does; raises ValueError when nothing is left."""
    tokens: list[str] = []
    current: list[str] = []
    in_token = False
    index = 0

    while index < len(command):
        character = command[index]
        if character in _NODE_SPACE:
            if in_token:
                tokens.append("".join(current))
                current, in_token = [], False
            index += 1
            continue

        if character == '"':
            closing = command.find('"', index + 1)
            if closing == -1:
                # An unmatched quote belongs to no token: it ends the current one.
                if in_token:
                    tokens.append("".join(current))
                    current, in_token = [], False
                index += 1
                continue
            current.append(command[index : closing + 1])
            in_token = True
            index = closing + 1
            continue

        current.append(character)
        in_token = True
        index += 1

    if in_token:
        tokens.append("".join(current))
    if not tokens:
        raise ValueError("the command is empty")
    return [_strip_outer_quotes(token) for token in tokens]


def split_go(command: str) -> list[str]:
    """As Go's oauth2 library does: white space separates, nothing else matters."""
    tokens: list[str] = []
    current: list[str] = []
    for character in command:
        if character in _GO_SPACE:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(character)
    if current:
        tokens.append("".join(current))
    return tokens


def split_all(command: str) -> CommandSplits:
    """Split `command` the way each client would."""
    python: list[str] | None
    node: list[str] | None
    python_error = node_error = None
    try:
        python = split_python(command)
    except ValueError as error:
        python, python_error = None, str(error)
    try:
        node = split_node(command)
    except ValueError as error:
        node, node_error = None, str(error)
    return CommandSplits(python, node, split_go(command), python_error, node_error)


def join_for_every_client(arguments: Sequence[str]) -> str:
    """One command string that Python, Node and Go all split back into `arguments`."""
    for argument in arguments:
        reason = _why_unsplittable(argument)
        if reason:
            raise UnsplittableArgument(f"{argument!r} {reason}")

    command = " ".join(arguments)
    splits = split_all(command)
    if not splits.agree or splits.python != list(arguments):
        raise UnsplittableArgument(f"{command!r} is not split the same by every client")
    return command


def _why_unsplittable(argument: str) -> str | None:
    if not argument:
        return "is empty, and no client can pass an empty argument without quoting"
    if any(character in _GO_SPACE or character in _NODE_SPACE for character in argument):
        return (
            "contains white space: Go's client splits the command at every space and "
            "honours no quotes, so the argument would arrive in pieces"
        )
    if any(character in _QUOTING for character in argument):
        return (
            "contains a quote or a backslash: Python's client treats them as quoting, "
            "Node's only double quotes, and Go's neither, so they would disagree"
        )
    if not argument.isprintable():
        return "contains a control character"
    return None


def _strip_outer_quotes(token: str) -> str:
    if len(token) >= 2 and token.startswith('"') and token.endswith('"'):
        return token[1:-1]
    return token
