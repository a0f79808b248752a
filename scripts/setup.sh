#!/usr/bin/env bash
# Installs what subflow needs beyond npm: ffmpeg/ffprobe (subtitle extraction and muxing),
# spm_train (SentencePiece training), OpenBLAS and a C toolchain (the optional native matmul
# addon in native/, which `npm ci` builds), then the npm dependencies.
# Usage: scripts/setup.sh [--system-only] [--with-corpus-tools] [--with-browser] [--with-redis]
#   --system-only        install system tools, skip `npm ci`
#   --with-corpus-tools  also install the SWORD modules used to rebuild corpora/bible-es-en
#   --with-browser       also install Debian's chromium, for the web page tests (test/service/webPage.spec.ts)
#   --with-redis         also install redis-server (the job queue's server; its tests start their own)
set -euo pipefail

cd "$(dirname "$0")/.."

run_npm=1
corpus_tools=0
browser=0
redis=0
for arg in "$@"; do
  case "$arg" in
    --system-only) run_npm=0 ;;
    --with-corpus-tools) corpus_tools=1 ;;
    --with-browser) browser=1 ;;
    --with-redis) redis=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v spm_train >/dev/null 2>&1 || need+=(sentencepiece)
# OpenBLAS runs the matmuls on every core (native/); without it subflow still works, slower.
ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0' || need+=(libopenblas0)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ "$corpus_tools" = 1 ]; then
  command -v mod2imp >/dev/null 2>&1 || need+=(libsword-utils)
  [ -d /usr/share/sword/modules/texts/ztext/sparv ] || need+=(sword-text-sparv)
  [ -d /usr/share/sword/modules/texts/ztext/web ] || need+=(sword-text-web)
fi
if [ "$browser" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
# Installed, not started: apt's policy (or the user) decides whether it runs as a service.
if [ "$redis" = 1 ]; then
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fi
# de-duplicate
mapfile -t need < <(printf '%s\n' "${need[@]}" | awk 'NF && !seen[$0]++')

if [ "${#need[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=()
    if [ "$(id -u)" != 0 ]; then
      if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
        echo "setup: need root or sudo to install: ${need[*]}" >&2; exit 1
      fi
    fi
    echo "setup: installing ${need[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: missing ${need[*]} and this is not a Debian/Ubuntu system (no apt-get)." >&2
    echo "setup: install ffmpeg (with ffprobe), SentencePiece's spm_train, OpenBLAS, g++, make and python3" >&2
    echo "setup: with your package manager, then rerun." >&2
    exit 1
  fi
else
  echo "setup: ffmpeg, ffprobe, spm_train, OpenBLAS and a C toolchain are present" >&2
fi

if [ "$run_npm" = 1 ]; then
  # tfjs-node(-gpu) are optional accelerated backends; their install step downloads libtensorflow and
  # fails without internet. --no-optional would hide them from users who can install them, so keep
  # them and let npm skip a failed optional install quietly.
  npm ci --no-audit --no-fund --loglevel=error
fi
