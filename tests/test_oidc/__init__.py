"""OIDC mode: AWS-issued OIDC tokens for Google OIDC providers."""
