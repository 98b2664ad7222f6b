"""The real-host harness: chroots with real Krita and GIMP 3, and the fixtures that run them (hostenv.py)."""
