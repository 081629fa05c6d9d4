#!/usr/bin/env bash
# Mirrors every repository listed in $MIRROR_LIST (one URL per line; default /etc/kanade/mirrors.txt)
# into $MIRROR_ROOT/<host>/<path>.git. Exits non-zero when any repository failed, after trying them all.
set -uo pipefail
root="${MIRROR_ROOT:-/var/lib/kanade/mirrors}"
list="${MIRROR_LIST:-/etc/kanade/mirrors.txt}"
[ -r "$list" ] || { echo "no mirror list at $list" >&2; exit 2; }
failed=0
while IFS= read -r url; do
  case "$url" in ''|'#'*) continue ;; esac
  rel="${url#*://}"; rel="${rel#*@}"; rel="${rel/://}"; rel="${rel%.git}.git"
  dir="$root/$rel"
  if [ -d "$dir" ]; then
    echo "update $url"
    git -C "$dir" remote update --prune || { echo "failed: $url" >&2; failed=$((failed + 1)); }
  else
    echo "clone $url"
    mkdir -p "$(dirname "$dir")"
    git clone --mirror --quiet "$url" "$dir" || { echo "failed: $url" >&2; failed=$((failed + 1)); }
  fi
done < "$list"
echo "done: $failed failure(s)"
[ "$failed" -eq 0 ]
