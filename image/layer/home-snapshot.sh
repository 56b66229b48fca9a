#!/bin/sh
# Keeps a copy of the workspace user's home as the image has it (the project's dotfiles, what
# its features installed there), run last in the image's build. The workspace's home volume
# hides the image's home, so the entrypoint copies from here what the volume lacks, once per
# image (home.id), never over a file the person has.
set -eu
. /opt/perry/user.env
rm -rf /opt/perry/home
cp -a "$PERRY_HOME" /opt/perry/home
# The home is the user's (a feature may have left root's files in it): so is its copy.
chown -R "$PERRY_UID:$PERRY_GID" /opt/perry/home
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' >/opt/perry/home.id
