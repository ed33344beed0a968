"""AWS keys the tests hand to the helper, and the identities they stand for.

The Google STS stand-in knows these keys (as AWS would) and checks tokens
signed with them. A stand-in that issues credentials (an STS, IMDS, container
or SSO stand-in) should hand out an `AwsKey` made here and register it with
the Google STS stand-in, so the end-to-end check can name the identity:

    key = AwsKey.session("role-from-imds", arn="arn:aws:sts::111122223333:assumed-role/app/i-0abc")
    google_sts.register(key)
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os

__all__ = ["ACCOUNT_ID", "LONG_TERM_KEY", "SESSION_KEY", "AwsKey"]

ACCOUNT_ID = "111122223333"


@dataclasses.dataclass(frozen=True)
class AwsKey:
    """An access key, its secret, its session token if any, and whose it is."""

    access_key_id: str
    secret_access_key: str = dataclasses.field(repr=False)
    arn: str
    session_token: str | None = dataclasses.field(default=None, repr=False)
    expiration: datetime.datetime | None = None

    @classmethod
    def long_term(cls, name: str, *, arn: str | None = None) -> AwsKey:
        """An IAM user's key pair (AKIA…), derived from `name` so runs are repeatable."""
        return cls(
            access_key_id=_key_id("AKIA", name),
            secret_access_key=_secret(name),
            arn=arn or f"arn:aws:iam::{ACCOUNT_ID}:user/{name}",
        )

    @classmethod
    def session(
        cls,
        name: str,
        *,
        arn: str | None = None,
        expiration: datetime.datetime | None = None,
    ) -> AwsKey:
        """Temporary credentials (ASIA… with a session token), fresh for every call."""
        nonce = os.urandom(8).hex()
        return cls(
            access_key_id=_key_id("ASIA", name + nonce),
            secret_access_key=_secret(name + nonce),
            arn=arn or f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{name}/session-{nonce[:6]}",
            session_token=f"standin-session-{name}-{nonce}",
            expiration=expiration
            or datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1),
        )

    def environment(self) -> dict[str, str]:
        """The AWS_* variables that give the helper these credentials."""
        variables = {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }
        if self.session_token:
            variables["AWS_SESSION_TOKEN"] = self.session_token
        return variables


def _key_id(prefix: str, seed: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    digest = hashlib.sha256(seed.encode()).digest()
    return prefix + "".join(alphabet[byte % len(alphabet)] for byte in digest[:16])


def _secret(seed: str) -> str:
    return hashlib.sha256(b"secret:" + seed.encode()).hexdigest()[:40]


# The keys most tests use: an IAM user's and an assumed role's.
LONG_TERM_KEY = AwsKey.long_term("workload-user")
SESSION_KEY = AwsKey.session("workload-role")
