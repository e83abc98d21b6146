#!/bin/sh
# Demo event generator for the compose stack: synthetic orders flowing
# sales -> operations -> fulfillment -> finance as CloudEvents (structured mode), keyed
# by order id, produced with kcat to the `handoffs` and `orders` topics. The delays are
# drawn so that, against config/examples/demo.yaml's targets (8-60 s), most handoffs are
# met, some are late (breached) and a few orders are cancelled.
#
# Environment: BROKERS (kafka:9092), RATE (new orders per second, default 1), ORDERS
# (stop after this many; 0 = forever), SPEED (delay multiplier; 0 = no sleeping),
# DRY_RUN=1 (print "topic|key|value" lines instead of producing; deploy/check uses it).
# POSIX sh: runs in the edenhill/kcat image (Alpine, busybox).
set -eu

BROKERS=${BROKERS:-kafka:9092}
RATE=${RATE:-1}
ORDERS=${ORDERS:-0}
SPEED=${SPEED:-1}
DRY_RUN=${DRY_RUN:-0}

rand() { # rand N -> 0..N-1
  echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' \n') % $1 ))
}
pause() { # pause SECONDS, scaled by SPEED
  [ "$SPEED" = 0 ] || sleep $(( $1 * SPEED ))
}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

seq_no=0
emit() { # emit TOPIC KEY TYPE DATA_JSON
  seq_no=$((seq_no + 1))
  line="$2|{\"specversion\":\"1.0\",\"id\":\"$2-$3-$$-$seq_no\",\"source\":\"/demo-generator\",\"type\":\"$3\",\"time\":\"$(now)\",\"subject\":\"$2\",\"data\":$4}"
  if [ "$DRY_RUN" = 1 ]; then echo "$1|$line"
  elif [ "$1" = orders ]; then echo "$line" >&3
  else echo "$line" >&4
  fi
}

order_flow() { # order_flow KEY TIER: one order's life, in the background
  key=$1 tier=$2
  emit orders "$key" order.created "{\"customer_tier\":\"$tier\"}"
  emit handoffs "$key" handoff.requested "{\"from\":\"sales\",\"to\":\"operations\",\"customer_tier\":\"$tier\"}"
  if [ "$(rand 20)" = 0 ]; then
    pause "$(rand 10)"; emit orders "$key" order.cancelled '{"reason":"customer"}'; return
  fi
  pause $((2 + $(rand 22)))           # target 20 s (gold 8 s)
  emit handoffs "$key" handoff.accepted "{\"from\":\"sales\",\"to\":\"operations\"}"
  pause 1
  emit handoffs "$key" handoff.requested "{\"from\":\"operations\",\"to\":\"fulfillment\",\"customer_tier\":\"$tier\"}"
  pause $((3 + $(rand 35)))           # target 30 s (gold 15 s)
  emit orders "$key" order.packed '{}'
  pause 2
  emit orders "$key" order.shipped '{}'
  pause $((10 + $(rand 60)))          # target 1 m
  emit orders "$key" invoice.issued '{}'
}

if [ "$DRY_RUN" != 1 ]; then
  dir=$(mktemp -d)
  mkfifo "$dir/orders" "$dir/handoffs"
  kcat -P -b "$BROKERS" -t orders -K '|' < "$dir/orders" &
  kcat -P -b "$BROKERS" -t handoffs -K '|' < "$dir/handoffs" &
  exec 3>"$dir/orders" 4>"$dir/handoffs"
  trap 'exec 3>&- 4>&-; wait; rm -rf "$dir"' EXIT
  trap 'exit 0' INT TERM
fi

n=0
while [ "$ORDERS" = 0 ] || [ "$n" -lt "$ORDERS" ]; do
  n=$((n + 1))
  tier=standard
  [ "$(rand 4)" = 0 ] && tier=gold
  if [ "$SPEED" = 0 ]; then order_flow "order-$n" "$tier"; else order_flow "order-$n" "$tier" & fi
  [ "$SPEED" = 0 ] || sleep "$(awk -v r="$RATE" 'BEGIN { printf "%.3f", 1 / r }')"
done
wait
