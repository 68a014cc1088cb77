#!/bin/sh
# Installs tinywalk's build and test dependencies from Debian 12 packages.
# Run as root (or with sudo). Safe to run again.
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  cmake make g++ pkg-config \
  libbullet-dev libeigen3-dev libyaml-cpp-dev liburdfdom-dev libtinyxml-dev libhdf5-dev \
  libflatbuffers-dev flatbuffers-compiler \
  libgtest-dev libbenchmark-dev \
  chromium \
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc-avr avr-libc simavr
