#!/bin/sh
# Writes data/genesis.txt: the Book of Genesis, King James Version (1611; public domain),
# one verse per line without the verse references, from Debian's bible-kjv package.
#   apt-get install bible-kjv && sh data/extract_genesis.sh
set -e
bible -f "Gen1:1-Gen50:26" | sed 's/^Ge[0-9]*:[0-9]* //' > "$(dirname "$0")/genesis.txt"
