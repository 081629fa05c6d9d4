#!/bin/sh
# Deletes regular files and empty directories older than $MAX_AGE_DAYS (default 7) under $TMPDIR (default /tmp).
set -eu
dir="${TMPDIR:-/tmp}"
days="${MAX_AGE_DAYS:-7}"
before=$(find "$dir" -xdev -type f -mtime +"$days" 2>/dev/null | wc -l)
find "$dir" -xdev -mindepth 1 -type f -mtime +"$days" -delete 2>/dev/null || true
find "$dir" -xdev -mindepth 1 -type d -empty -mtime +"$days" -delete 2>/dev/null || true
echo "removed $before file(s) older than $days day(s) from $dir"
