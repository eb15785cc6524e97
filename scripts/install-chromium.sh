#!/usr/bin/env bash
# Installs Debian's chromium, which report/render/html_browser_test.go drives
# headless to check that report.html renders. Does nothing when
# /usr/bin/chromium is already there. Needs root (or sudo) and apt.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
	exit 0
fi

fail() {
	echo "install-chromium: $*" >&2
	echo "install-chromium: the browser test skips without /usr/bin/chromium (it fails when WEAKSCOPE_REQUIRE_BROWSER=1)" >&2
	exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install Debian's chromium package by hand"

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || fail "not root and no sudo: run as root to install chromium"
	sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-chromium: installing Debian's chromium package"
"${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
	fail "apt-get install chromium failed"
[ -x /usr/bin/chromium ] || fail "chromium installed but /usr/bin/chromium is missing"
echo "install-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) installed"
