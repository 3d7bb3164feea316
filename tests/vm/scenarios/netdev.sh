#!/bin/sh
# Network interface sources. net:lo carries exactly the interface's own
# counters, in a capture and in snapshots, while loopback traffic of a known
# size flows; a renamed interface gets a source of its new name; interfaces
# of other network namespaces are not published.
set -eu
. /guest-lib.sh

# A counter of an interface, as the kernel's own sysfs file says.
sys() { cat "/sys/class/net/$1/statistics/$2"; }
# A counter of a source, from one hwstats-stat --json snapshot.
snap() {
	hwstats-stat --json -s "$1" |
		sed -n "s/.*{\"name\":\"$2\",\"unit\":\"[a-z]*\",\"kind\":\"counter\",\"value\":\([0-9]*\)}.*/\1/p"
}
# Wait until hwstats-stat lists (or, with !, no longer lists) a source: the
# module publishes and withdraws interfaces' sources from a work item.
wait_source() {
	want=yes
	if [ "$1" = "!" ]; then
		want=no
		shift
	fi
	i=0
	while [ $i -lt 50 ]; do
		if hwstats-stat | grep -q "^$1 "; then has=yes; else has=no; fi
		[ "$has" = "$want" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "source $1: listed=$has, expected $want" >&2
	return 1
}
COUNTERS="rx_packets tx_packets rx_bytes tx_bytes rx_dropped tx_dropped"

insmod "$KO/hwstats.ko"
n=$(hwstats-stat | grep -c '^net:lo ')
echo "net:lo has $n counters"
[ "$n" -eq 25 ] || fail "net:lo should have the 25 counters of rtnl_link_stats64"

ip link set lo up
# Some traffic first, so that no counter compared below is a mere 0.
ping -q -c 3 -i 0.02 127.0.0.1 >/dev/null
sleep 0.5
for c in $COUNTERS; do
	s=$(snap net:lo "$c")
	k=$(sys lo "$c")
	echo "snapshot net:lo $c = $s, sysfs $k"
	[ "$s" = "$k" ] || fail "snapshot of $c differs from sysfs"
done

# The snapshot seq counts the updates the device's counters saw, not the
# readings: two snapshots with no traffic between them have the same seq,
# traffic between two makes it grow.
seq() { hwstats-stat --json -s net:lo | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'; }
q1=$(seq)
q2=$(seq)
echo "net:lo seq $q1, then $q2 with no traffic"
[ -n "$q1" ] && [ "$q1" = "$q2" ] || fail "a snapshot without traffic changed net:lo's seq ($q1, $q2)"
ping -q -c 2 -i 0.02 127.0.0.1 >/dev/null
q3=$(seq)
echo "net:lo seq $q3 after traffic"
[ "$q3" -gt "$q2" ] || fail "traffic did not raise net:lo's seq ($q2, $q3)"

# Capture while 50 pings go over lo: 100 packets received (50 requests,
# 50 replies), each counted once.
hwstats-record -q -s net:lo -p 20ms -o "$OUT/net.hws" &
rec=$!
wait_session
sleep 0.5
for c in $COUNTERS; do eval "b_$c=\$(sys lo $c)"; done
ping -q -c 50 -i 0.02 127.0.0.1
for c in $COUNTERS; do eval "a_$c=\$(sys lo $c)"; done
sleep 0.5
kill -INT $rec
status=0
wait $rec || status=$?
echo "recorder exit status: $status"
[ "$status" -eq 0 ] || fail "the recorder did not end cleanly"

# shellcheck disable=SC2154 # b_* and a_* are set through eval
echo "rx_packets $b_rx_packets -> $a_rx_packets, tx_packets $b_tx_packets -> $a_tx_packets"
[ $((a_rx_packets - b_rx_packets)) -eq 100 ] ||
	fail "lo received $((a_rx_packets - b_rx_packets)) packets, not the 100 of 50 pings"
[ $((a_tx_packets - b_tx_packets)) -eq 100 ] ||
	fail "lo sent $((a_tx_packets - b_tx_packets)) packets, not the 100 of 50 pings"
args=""
for c in $COUNTERS; do
	eval "args=\"\$args $c=\$b_$c:\$a_$c\""
done
# shellcheck disable=SC2086 # one argument per counter
hws-netcheck "$OUT/net.hws" net:lo $args rx_packets+=100 tx_packets+=100
for c in $COUNTERS; do
	s=$(snap net:lo "$c")
	eval "k=\$a_$c"
	echo "snapshot net:lo $c = $s, sysfs $k"
	[ "$s" = "$k" ] || fail "snapshot of $c differs from sysfs"
done

# A renamed interface: its source follows the name, with the same counters.
ip link set lo down
ip link set lo name hwsloop0
wait_source net:hwsloop0
wait_source ! net:lo
s=$(snap net:hwsloop0 rx_packets)
k=$(sys hwsloop0 rx_packets)
echo "after rename: snapshot net:hwsloop0 rx_packets = $s, sysfs $k"
[ "$s" = "$k" ] || fail "the renamed interface's snapshot differs from sysfs"
ip link set hwsloop0 name lo
ip link set lo up
wait_source net:lo
wait_source ! net:hwsloop0

# Another namespace's lo comes and goes; only the initial namespace's
# interfaces are sources.
unshare -n sh -c 'ip link set lo up && ping -q -c 3 -i 0.02 127.0.0.1' >/dev/null
n=$(hwstats-stat | awk '$1 ~ /^net:/ { print $1 }' | sort -u | wc -l)
echo "net sources after a namespace came and went: $n"
[ "$n" -eq 1 ] || fail "expected only net:lo"
if dmesg | grep -q 'hwstats: .*cannot publish'; then
	dmesg | grep 'hwstats: ' >&2
	fail "a source could not be published"
fi

rmmod hwstats
echo "netdev: PASS"
