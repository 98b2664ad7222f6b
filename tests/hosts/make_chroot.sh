#!/bin/bash
# Build a Debian chroot holding the REAL Krita and GIMP 3 that the host tests drive headless.
#
#   make_chroot.sh ROOT SUITE      SUITE: trixie       -> Krita 5.2 + GIMP 3.0 (Python 3.13)
#                                         testing      -> Krita 5.3 + GIMP 3.2 (Python 3.14)
#                                         experimental -> Krita 6.0 (Qt 6, PyQt6) on Debian unstable, with
#                                                         only Krita and what it needs from experimental
#
# Run as root on Debian (12 or later). About a minute and ~1.5 GB per suite.
#
# Idempotent: a finished chroot carries ROOT/.gptedit-chroot (recipe id + installed versions) and is reused.
# The chroot is built in ROOT.partial and renamed into place only after it has been checked, so a build
# killed half-way leaves no ROOT that could be trusted by mistake; the next run deletes the leftovers and
# starts again. Concurrent runs for the same ROOT serialise on ROOT.lock (flock).
#
# The archive URL is read from this machine's own apt configuration; no mirror host is written here.
set -euo pipefail

root=${1:?usage: make_chroot.sh ROOT trixie|testing|experimental}
suite=${2:?usage: make_chroot.sh ROOT trixie|testing|experimental}
case "$suite" in
  trixie | testing | experimental) ;;
  *) echo "make_chroot.sh: unknown suite '$suite' (trixie, testing or experimental)" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "make_chroot.sh: must run as root (debootstrap, chroot, mount)" >&2; exit 3; }
[ -r /etc/debian_version ] || { echo "make_chroot.sh: needs a Debian machine (apt, debootstrap)" >&2; exit 3; }

root=$(realpath -m -- "$root")
case "$root" in / | /bin | /boot | /dev | /etc | /home | /lib* | /proc | /root | /run | /sbin | /sys | /usr | /var | /tmp)
  echo "make_chroot.sh: refusing to use system folder '$root' as a chroot" >&2; exit 2 ;;
esac
marker="$root/.gptedit-chroot"
partial="$root.partial"

# Packages. python3-requests and python3-pil are left out ON PURPOSE: the plugins vendor requests and must
# not use Pillow, so a host that lacks both catches a plugin that silently leans on the system copies.
# python3-pyqt5 must be named: Debian's krita only *recommends* it, and without it Krita skips every
# Python plugin without a word.
pkgs=(gimp python3-gi gir1.2-gimp-3.0 gir1.2-gegl-0.4 gir1.2-babl-0.1 xvfb xauth krita python3-pyqt5)
base=$suite          # the suite debootstrap starts from
want=(krita Xvfb)    # /usr/bin programs a finished chroot must have
pyqt=PyQt5
if [ "$suite" = experimental ]; then
  # Krita 6 exists only in experimental. experimental is not a full suite: it sits on top of unstable and
  # apt never takes from it unless asked (NotAutomatic), so the chroot is unstable plus an explicit
  # krita/experimental; apt then takes from experimental only what that Krita needs. No GIMP here (the
  # other two chroots cover GIMP). Krita 6 only *recommends* python3-pyqt6: without it, no Python plugin.
  pkgs=(xvfb xauth krita/experimental python3-pyqt6)
  base=unstable
  pyqt=PyQt6
fi
# Bump when the recipe changes so existing chroots get rebuilt instead of silently trusted.
recipe="gptedit-hosts/2 ${pkgs[*]}"

mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9

gimp_console() { ls "$1"/usr/bin/gimp-console-3.* 2>/dev/null | head -n 1 || true; }  # none: empty, not an error

has_programs() {  # has_programs TREE: krita, Xvfb (and gimp-console where GIMP belongs) are there
  local p
  for p in "${want[@]}"; do [ -x "$1/usr/bin/$p" ] || return 1; done
  [ "$suite" = experimental ] || [ -n "$(gimp_console "$1")" ]
}

if [ -f "$marker" ] && grep -qxF "recipe: $recipe" "$marker" && has_programs "$root"; then
  echo "already provisioned: $root"
  sed -n 's/^versions: //p' "$marker"
  exit 0
fi

mounted_under() {  # prints mount points at or below $1 in THIS namespace (there must be none before rm)
  awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
}
remove_tree() {  # remove_tree DIR [unmount]: with "unmount", mounts left below DIR by a killed build go first
  [ -e "$1" ] || return 0
  if [ "${2:-}" = unmount ]; then
    mounted_under "$1" | sort -r | while read -r m; do umount -l "$m" || true; done
  fi
  if [ -n "$(mounted_under "$1")" ]; then
    echo "make_chroot.sh: something is still mounted under $1; unmount it first:" >&2
    mounted_under "$1" >&2
    exit 4
  fi
  rm -rf --one-file-system -- "$1"
}

if [ -e "$root" ]; then
  # Only delete what looks like a chroot (ours, or a debootstrap tree); never an unrelated folder.
  if [ -f "$marker" ] || [ -d "$root/debootstrap" ] || [ -f "$root/etc/debian_version" ] || [ -z "$(ls -A "$root")" ]; then
    echo "rebuilding $root (unfinished, outdated or damaged)"
    remove_tree "$root"
  else
    echo "make_chroot.sh: $root exists and is not a chroot made by this script; move it away" >&2
    exit 2
  fi
fi
remove_tree "$partial" unmount  # only ever our own unfinished build

mirror_of() {  # mirror_of debian|debian-security -> the URL this machine's apt uses for that archive
  {
    grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | sed -E 's/^[[:space:]]*URIs:[[:space:]]*//' | tr ' ' '\n'
    grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | sed -E 's/\[[^]]*\]//; s/^[[:space:]]*deb[[:space:]]+//' | awk '{print $1}'
  } | grep -E "^(https?|file)://.*/$1/?\$" | sed -E 's#/$##' | head -n 1 || true
}
archive=$(mirror_of debian)
security=$(mirror_of debian-security)
[ -n "$archive" ] || { echo "make_chroot.sh: no Debian archive found in this machine's apt sources" >&2; exit 5; }

# A proxy configured for the machine's apt must be used by debootstrap and by apt inside the chroot too.
proxy=$(apt-config dump 2>/dev/null | sed -nE 's/^Acquire::http::Proxy "(.+)";$/\1/p' | head -n 1)
[ -z "$proxy" ] || export http_proxy="$proxy"

if ! command -v debootstrap >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

t0=$(date +%s)
echo "debootstrap $base into $partial"
# minbase: no init, no docs; GIMP and Krita pull what they need.
# In a private mount namespace: debootstrap mounts proc (and sys) inside the target, and a build killed
# half-way would otherwise leave those mounts behind on the machine.
unshare --mount --propagation private -- debootstrap --variant=minbase "$base" "$partial" "$archive" >"$partial.log" 2>&1 \
  || { echo "make_chroot.sh: debootstrap failed, last lines of $partial.log:" >&2; tail -n 20 "$partial.log" >&2; exit 6; }

{
  echo "deb $archive $base main"
  # testing and unstable have no -updates or security suites; trixie has both.
  if [ "$suite" = trixie ]; then
    echo "deb $archive $suite-updates main"
    [ -z "$security" ] || echo "deb $security $suite-security main"
  fi
  [ "$suite" != experimental ] || echo "deb $archive experimental main"
} >"$partial/etc/apt/sources.list"
if [ "$suite" = experimental ]; then
  # experimental's Release says NotAutomatic (priority 1) already; stated here so that the only packages
  # taken from it are the ones the install below asks for by name and what they cannot do without.
  printf 'Package: *\nPin: release a=experimental\nPin-Priority: 1\n' >"$partial/etc/apt/preferences.d/90gptedit"
fi
# The archive may be a frozen snapshot: testing's (and unstable's, experimental's) Release file then is past
# its Valid-Until date, and apt refuses it unless told (debootstrap itself does not check). Harmless for
# trixie, so set it for all.
printf 'Acquire::Check-Valid-Until "false";\nAcquire::Languages "none";\n' >"$partial/etc/apt/apt.conf.d/90gptedit"
[ -z "$proxy" ] || printf 'Acquire::http::Proxy "%s";\n' "$proxy" >>"$partial/etc/apt/apt.conf.d/90gptedit"
# Docs, man pages and translations are ~190 MB nobody reads in a test host.
printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
  'path-exclude=/usr/share/locale/*' 'path-include=/usr/share/locale/locale.alias' >"$partial/etc/dpkg/dpkg.cfg.d/01-slim"
# Package scripts must not start daemons (dbus etc.) on the machine that builds the chroot.
printf '#!/bin/sh\nexit 101\n' >"$partial/usr/sbin/policy-rc.d"
chmod +x "$partial/usr/sbin/policy-rc.d"
cp -L /etc/resolv.conf "$partial/etc/resolv.conf" 2>/dev/null || true

echo "apt-get install ${pkgs[*]}"
# A private mount namespace: proc/sys/dev vanish with the last process, even after kill -9.
unshare --mount --propagation private -- /bin/bash -c '
  set -e; r=$1; shift
  mount -t proc proc "$r/proc"; mount -t sysfs sys "$r/sys"; mount --rbind /dev "$r/dev"
  chroot "$r" apt-get update -qq
  # pkg/experimental: from experimental while it has that package; once Debian has moved it on to unstable
  # (and removed it from experimental) the plain name takes it from there. The tests check the version.
  want=()
  for p in "$@"; do
    case "$p" in
      */experimental) chroot "$r" apt-cache madison "${p%/*}" | grep -q " experimental/" || p=${p%/*} ;;
    esac
    want+=("$p")
  done
  echo "installing: ${want[*]}"
  chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${want[@]}"
  chroot "$r" apt-get clean
' _ "$partial" "${pkgs[@]}" >>"$partial.log" 2>&1 \
  || { echo "make_chroot.sh: apt-get in the chroot failed, last lines of $partial.log:" >&2; tail -n 30 "$partial.log" >&2; exit 7; }
rm -rf "$partial"/var/lib/apt/lists/* "$partial"/var/cache/apt/*.bin

# Check what the tests rely on before trusting the tree.
gc=$(gimp_console "$partial")
has_programs "$partial" \
  || { echo "make_chroot.sh: install finished but gimp-console/krita/Xvfb are missing" >&2; exit 8; }
if [ "$suite" = experimental ]; then
  check="import PyQt6.QtCore"
  listed=(krita python3 python3-pyqt6)
else
  check='import PyQt5.QtCore, gi
gi.require_version("Gimp", "3.0"); gi.require_version("Gegl", "0.4")
from gi.repository import Gimp, Gegl'
  listed=(krita gimp python3 python3-pyqt5)
fi
chroot "$partial" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin python3 -c "$check" \
  || { echo "make_chroot.sh: $pyqt (or the GIMP/GEGL introspection data) does not import in the chroot" >&2; exit 8; }

versions=$(chroot "$partial" dpkg-query -W -f '${Package}=${Version} ' "${listed[@]}" | sed 's/ $//')
{
  echo "recipe: $recipe"
  echo "suite: $suite"
  echo "versions: $versions"
  [ -z "$gc" ] || echo "gimp-console: ${gc#"$partial"}"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(($(date +%s) - t0)) s"
} >"$partial/.gptedit-chroot"
mv "$partial.log" "$partial/.gptedit-build.log"
mv -T "$partial" "$root"
echo "built $root ($suite) in $(($(date +%s) - t0)) s: $versions"
