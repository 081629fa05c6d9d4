#!/bin/sh
# Prints one JSON object with the facts declared in inventory-linux.yaml.
set -eu
esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
os=$( (. /etc/os-release 2>/dev/null && printf '%s' "${PRETTY_NAME:-unknown}") || uname -s)
mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0)
disks=$(df -P -k -x tmpfs -x devtmpfs 2>/dev/null | awk 'NR > 1 {
  printf "%s{\"mount\":\"%s\",\"size_bytes\":%.0f,\"free_bytes\":%.0f}", sep, $6, $2 * 1024, $4 * 1024; sep = ","
}')
printf '{"hostname":"%s","os":"%s","kernel":"%s","cpu_count":%d,"mem_total_bytes":%d,"disks":[%s]}\n' \
  "$(esc "$(hostname)")" "$(esc "$os")" "$(esc "$(uname -r)")" "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" \
  "$((mem_kb * 1024))" "$disks"
