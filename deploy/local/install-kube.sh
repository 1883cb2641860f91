#!/bin/bash
# Builds kube-apiserver + kube-controller-manager v1.20.2 from Debian bookworm's
# kubernetes source package (full upstream tree incl. vendor/) with Debian's Go 1.19,
# and installs etcd, kubectl's helpers (jq, openssl, curl). Everything comes from the
# machine's own Debian archive (apt). About 7 minutes once; cached in $K8S_BIN after.
#
#   deploy/local/install-kube.sh        # root (apt); prints the bin directory
#
# Output: $K8S_BIN/{kube-apiserver,kube-controller-manager} (default ~/.cache/k8s-1.20/bin).
set -euo pipefail
K8S_BIN=${K8S_BIN:-$HOME/.cache/k8s-1.20/bin}
WORK=${K8S_WORK:-$HOME/.cache/k8s-1.20/src}
export DEBIAN_FRONTEND=noninteractive

have_tools() { command -v etcd >/dev/null && command -v openssl >/dev/null && command -v curl >/dev/null && command -v kubectl >/dev/null; }
if [ -x "$K8S_BIN/kube-apiserver" ] && [ -x "$K8S_BIN/kube-controller-manager" ] && have_tools; then
  echo "cached: $K8S_BIN"; exit 0
fi

# 1. deb-src lines for the same archive and suites the machine already uses (bookworm):
#    derived from the existing deb822 sources, so no host is named here.
if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  src=$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  if [ -n "$src" ]; then
    sed 's/^Types: deb$/Types: deb-src/' "$src" > /etc/apt/sources.list.d/debian-src.sources
  else
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /etc/apt/sources.list.d/debian-src.list
  fi
fi
apt-get update -qq
# golang-go = 1.19; reflect2 1.0.2 + json-iterator 1.1.12 replace the vendored copies
# (reflect2 1.0.1 crashes with "fatal error: fault" in mapiterinit on Go >= 1.18)
# kubectl: the machine's own when it has one, else Debian's (1.20, as the server).
client=; command -v kubectl >/dev/null || client=kubernetes-client
apt-get install -y -qq --no-install-recommends golang-go etcd-server rsync jq dpkg-dev openssl curl $client \
  golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev >/dev/null
command -v kubectl >/dev/null || { echo "kubectl is missing: install a kubectl (1.20 or newer) on PATH" >&2; exit 1; }

if [ -x "$K8S_BIN/kube-apiserver" ] && [ -x "$K8S_BIN/kube-controller-manager" ]; then
  echo "cached: $K8S_BIN"; exit 0
fi

# 2. source (34 MB .orig.tar.gz incl. vendor/)
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
apt-get source -qq kubernetes 2>&1 | grep -v 'unsandboxed' || true
cd "$WORK"/kubernetes-1.20*/

# 3. Go >= 1.18 compatibility: newer reflect2/json-iterator from Debian
rm -rf vendor/github.com/modern-go/reflect2 vendor/github.com/json-iterator/go
mkdir -p vendor/github.com/modern-go/reflect2 vendor/github.com/json-iterator/go
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s vendor/github.com/modern-go/reflect2/
rm -f vendor/github.com/modern-go/reflect2/*_test.go
find /usr/share/gocode/src/github.com/json-iterator/go -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cp {} vendor/github.com/json-iterator/go/ \;

# 4. build (GOPATH mode via hack/ scripts; no module proxy needed)
export GOPROXY=off GOFLAGS= GOCACHE="$WORK/.gocache"
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager"
mkdir -p "$K8S_BIN"
cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$K8S_BIN/"
echo "built: $K8S_BIN"
