"""aws-wif-helper: AWS credentials for Google Cloud Workload Identity Federation.

Google's auth libraries run this program as an executable-sourced credential
(`credential_source.executable.command`). It resolves AWS credentials through
botocore's full chain and answers with the subject token Google's STS expects.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
