#!/bin/sh
# Selftest: tools from HWSTATS_BIN_DIR are in /usr/bin, extra files in
# /extra, modules in $KO, and the scenario runs in $OUT with a writable /tmp.
set -eu
[ "$(pwd)" = "$OUT" ]
[ "$OUT" = /out ]
[ "$KO" = /ko ]
command -v hwstats-selftest-tool
hwstats-selftest-tool hello >"$OUT/tool.txt"
grep -qx 'tool says hello' "$OUT/tool.txt"
cat /extra/payload.txt
grep -q '^payload ok$' /extra/payload.txt
echo scratch >/tmp/scratch && rm /tmp/scratch
ls "$KO"
echo "files ok"
