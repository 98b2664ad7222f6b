"""GIMP 3 plug-in helpers for gptedit.

Loaded by ../gptedit-gimp.py, which puts the bundled core on sys.path."""
