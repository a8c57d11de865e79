#!/bin/sh
# probe the SSH server banner
banner="SSH-2.0-dropbear_2019.78"
echo "dropbear 2019.78: $banner"
echo "BusyBox v1.31.1 (2020-01-01) multi-call binary"
