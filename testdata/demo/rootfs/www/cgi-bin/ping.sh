#!/bin/sh
echo "Content-Type: text/plain"
echo
host=$(echo "$QUERY_STRING" | sed -n 's/.*host=\([^&]*\).*/\1/p')
ping -c 1 $host
