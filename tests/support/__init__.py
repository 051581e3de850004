"""What the tests share: loopback servers (servers.py) and the fixture files (fixtures.py)."""
