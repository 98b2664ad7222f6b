"""gptedit's test suite (a package so that tests.hosts, the real-host harness, imports by name)."""
