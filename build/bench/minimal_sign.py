"""The naive alternative the helper is measured against: boto3, signed by hand.

What a minimal script would do to make the subject token: take boto3's default
session credentials and SigV4-sign GetCallerIdentity, built as a plain one-file
binary (`pyinstaller --onefile`, default hooks, so all of botocore's data).
"""

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

credentials = boto3.Session().get_credentials().get_frozen_credentials()
request = AWSRequest(
    method="POST",
    url="https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
    data=b"",
)
SigV4Auth(credentials, "sts", "us-east-1").add_auth(request)
print(sorted(request.headers.keys()))
