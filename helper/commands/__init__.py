"""Commands for people: each module is one `aws-wif-helper COMMAND`."""
