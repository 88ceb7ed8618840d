#!/bin/sh
# Get the word trigram model of Chinese that the repair chain reads (cleaners/wordlm.py):
# Debian's libime-data-language-model (zh_CN.lm, KenLM binary, 17 MB; LGPL-2.1+, data CC BY-SA 3.0).
# As root: apt-get install.  Otherwise: apt-get download + dpkg-deb -x into the cache folder
# ($GUIDECRAWL_CACHE or ~/.cache/guidecrawl)/lm.  Never fails the build: without the model the chain
# falls back to its character model and says so (cleaner_version() then carries +nolm).
set -u
DEB_PATH=/usr/lib/x86_64-linux-gnu/libime/zh_CN.lm
CACHE="${GUIDECRAWL_CACHE:-$HOME/.cache/guidecrawl}/lm"
PKG=libime-data-language-model

if [ -n "${GUIDECRAWL_LM:-}" ]; then
    [ -f "$GUIDECRAWL_LM" ] && exit 0
    echo "fetch-lm: GUIDECRAWL_LM=$GUIDECRAWL_LM is no file; the repair chain will run without the word model" >&2
    exit 0
fi
[ -f "$DEB_PATH" ] && exit 0
[ -f "$CACHE/zh_CN.lm" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "fetch-lm: no apt-get here; put zh_CN.lm of $PKG at $CACHE/zh_CN.lm or set GUIDECRAWL_LM" >&2
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q "$PKG" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$PKG" >/dev/null 2>&1; }
    [ -f "$DEB_PATH" ] && { echo "fetch-lm: installed $PKG" >&2; exit 0; }
fi
tmp=$(mktemp -d) || exit 0
trap 'rm -rf "$tmp"' EXIT
if (cd "$tmp" && apt-get download "$PKG" >/dev/null 2>&1) && dpkg-deb -x "$tmp"/"$PKG"_*.deb "$tmp/x" 2>/dev/null \
    && [ -f "$tmp/x$DEB_PATH" ]; then
    mkdir -p "$CACHE" && cp "$tmp/x$DEB_PATH" "$CACHE/zh_CN.lm.tmp" && mv "$CACHE/zh_CN.lm.tmp" "$CACHE/zh_CN.lm" \
        && echo "fetch-lm: extracted $PKG into $CACHE" >&2
else
    echo "fetch-lm: could not get $PKG (apt-get download failed); the repair chain will run without the word model" >&2
fi
exit 0
