"""The machinery behind build.py, one job per module (standard library only, Python 3.10+).

common   paths, names and the small helpers every step uses (say, run, BuildError)
debian   Debian packages the machine itself needs (apt-get)
venv     the project's .venv with the extras a command needs
vendor   the requests stack from shared/vendor.lock, imports rewritten under gptedit._vendor
dist     the Krita and GIMP zips
install  the zips into local Krita and GIMP 3 profiles
hosts    the real-host chroots (one entry per chroot in CHROOTS)
testrun  everything `build.py test` does before and around pytest
demo     one edit end to end on the offline sandbox, and the benchmarks
"""
