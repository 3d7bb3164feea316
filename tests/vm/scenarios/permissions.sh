#!/bin/sh
# Permissions and information leaks.
#  - /dev/hwstats is 0660 root:root when loaded: another user cannot open
#    it; the channel files are 0400 root, and stay closed to that user even
#    when the debugfs directory is opened up;
#  - shared with a group as packaging/udev/60-hwstats.rules does (chgrp
#    hwstats, 0660): a member takes snapshots (hwstats-stat, table and
#    JSON) but cannot start, stop, flush or reset a session (EPERM), also
#    while root records, whose capture stays exact; hwstats-record as that
#    user is refused with a one-line reason; a user outside the group still
#    cannot open it;
#  - no value that looks like a kernel address in any record, header or
#    footer of a capture, in hwstats-stat's or hwstats-report's output, or
#    in any ioctl's answer (padding and reserved fields included); the scan
#    itself finds one in /proc/kallsyms.
set -eu
. /guest-lib.sh

DEV=/dev/hwstats
DBG=/sys/kernel/debug
SIM=$DBG/hwstats_sim/produced
as() { # USER COMMAND...
	u=$1
	shift
	su -s /bin/sh "$u" -c "$*"
}

# Two users: alice will be in group hwstats, bob will not.
echo 'alice:x:1000:1000:alice:/tmp:/bin/sh' >>/etc/passwd
echo 'bob:x:1001:1001:bob:/tmp:/bin/sh' >>/etc/passwd
printf 'alice:x:1000:\nbob:x:1001:\nhwstats:x:990:alice\n' >>/etc/group
as alice id
as bob id

insmod "$KO/hwstats.ko"
insmod "$KO/hwstats_sim.ko" rate=500

echo "== as loaded: root only"
mode=$(stat -c '%a %U %G' $DEV)
echo "$DEV: $mode"
[ "$mode" = "660 root root" ] || fail "$DEV should be 0660 root:root, not $mode"
st=0
as alice hwstats-stat >"$OUT/alice-stat.txt" 2>&1 || st=$?
echo "hwstats-stat as alice -> $st: $(head -n 1 "$OUT/alice-stat.txt")"
[ "$st" -eq 2 ] || fail "hwstats-stat without access should exit 2"
grep -q 'ermission denied' "$OUT/alice-stat.txt" || fail "no clear error"
as alice hws-permcheck --no-access

echo "== the channels are root's only"
hwstats-record -q -s sim -o "$OUT/root.hws" &
rec=$!
wait_session
for f in $DBG/hwstats/cpu*; do
	m=$(stat -c '%a %U' "$f")
	echo "$f: $m"
	[ "$m" = "400 root" ] || fail "$f should be 0400 root, not $m"
done
as alice hws-permcheck --no-access
# Even with debugfs itself open to everyone, the files stay closed.
dmode=$(stat -c '%a' $DBG)
mount -o remount,mode=755 $DBG
echo "debugfs mode $dmode -> $(stat -c '%a' $DBG)"
as alice hws-permcheck --no-access
mount -o remount,mode="$dmode" $DBG
kill -INT $rec
wait $rec

echo "== shared with group hwstats"
chgrp hwstats $DEV
chmod 0660 $DEV
echo "$DEV: $(stat -c '%a %U %G' $DEV)"
as alice hwstats-stat >"$OUT/alice-stat.txt"
grep -q '^sim ' "$OUT/alice-stat.txt" || fail "alice's snapshot has no sim source"
as alice hwstats-stat --json >"$OUT/alice-stat.json"
grep -q '"name":"sim"' "$OUT/alice-stat.json" || fail "alice's JSON snapshot has no sim source"
echo "alice: hwstats-stat and hwstats-stat --json work"
as alice hws-permcheck --snapshots
st=0
as alice hwstats-record -q -o /tmp/alice.hws -d 1s 2>"$OUT/alice-record.txt" || st=$?
echo "hwstats-record as alice -> $st: $(cat "$OUT/alice-record.txt")"
[ "$st" -eq 2 ] || fail "hwstats-record as a group member should exit 2"
grep -q 'needs root' "$OUT/alice-record.txt" || fail "no clear error: the recorder should say capturing needs root"
[ ! -e /tmp/alice.hws ] || fail "a refused recorder left a file"
st=0
as bob hwstats-stat >"$OUT/bob-stat.txt" 2>&1 || st=$?
echo "hwstats-stat as bob (not in the group) -> $st"
[ "$st" -eq 2 ] || fail "bob should not get a snapshot"
as bob hws-permcheck --no-access

echo "== a group member cannot stop root's capture"
cat $SIM >"$OUT/before.txt"
hwstats-record -q -s sim -o "$OUT/capture.hws" &
rec=$!
wait_session
as alice hws-permcheck --snapshots --running
as alice hwstats-stat >/dev/null
sleep 1
kill -INT $rec
st=0
wait $rec || st=$?
[ "$st" -eq 0 ] || fail "root's recorder exit status $st"
cat $SIM >"$OUT/after.txt"
hws-simcheck --no-loss "$OUT/capture.hws" "$OUT/after.txt" "$OUT/before.txt"

echo "== no kernel addresses"
ip link set lo up
hwstats-record -q -o "$OUT/all.hws" -d 2s
hwstats-stat >"$OUT/stat.txt"
hwstats-stat --json >"$OUT/stat.json"
hwstats-report "$OUT/all.hws" >"$OUT/report.txt"
st=0
hwstats-report --json "$OUT/all.hws" >"$OUT/report.json" 2>"$OUT/report-json.err" || st=$?
[ "$st" -eq 0 ] || fail "hwstats-report --json exit status $st: $(head -n 1 "$OUT/report-json.err")"
grep -q '"loss"' "$OUT/report.json" || fail "hwstats-report --json wrote no report"
hws-ptrscan --ioctls "$OUT/all.hws" "$OUT/capture.hws" "$OUT/stat.txt" \
	"$OUT/stat.json" "$OUT/alice-stat.json" "$OUT/report.txt" "$OUT/report.json"
# The scan can fail: root reads real addresses in /proc/kallsyms.
head -n 1000 /proc/kallsyms >"$OUT/kallsyms.txt"
st=0
hws-ptrscan "$OUT/kallsyms.txt" >"$OUT/kallsyms-scan.txt" || st=$?
echo "scan of /proc/kallsyms (the control) -> $st: $(tail -n 1 "$OUT/kallsyms-scan.txt")"
[ "$st" -eq 1 ] || fail "the scan does not see kernel addresses in /proc/kallsyms"

rmmod hwstats_sim
rmmod hwstats
echo "permissions: PASS"
