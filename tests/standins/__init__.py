"""Local stand-ins for the services the helper and the clients talk to.

Every server here listens on 127.0.0.1 only, on a port the OS picks.
"""
