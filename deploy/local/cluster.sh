#!/bin/bash
# The local cluster: a real etcd + kube-apiserver + kube-controller-manager (deployment,
# replicaset, garbage collector, namespace, service account controllers) on 127.0.0.1,
# with the ironbind CRDs installed. What every operator test and every demo runs on.
#
#   deploy/local/cluster.sh up      # builds what is missing, starts, prints `export KUBECONFIG=…`
#   deploy/local/cluster.sh down    # stops every process `up` started (by PID)
#   deploy/local/cluster.sh status  # what runs, with PIDs
#
# Environment (all optional):
#   K8S_BIN   where kube-apiserver and kube-controller-manager are (default ~/.cache/k8s-1.20/bin;
#             built by deploy/local/install-kube.sh when missing)
#   K8S_RUN   the run directory: PKI, kubeconfig, logs, PIDs (default /tmp/ironbind-cluster)
#   K8S_PORT  the API server's port (default 6443); K8S_ETCD_PORT etcd's client port (default
#             2379; its peer port is the next one), so several clusters can run side by side
#   WITH_KCM=0  leaves out kube-controller-manager
#   WITH_NODE_AGENT=1  also starts node-agent/ (scheduler + kubelet: pods run as local processes,
#             the image `ironbind` as target/debug/ironbind; built when missing; its log node-agent.log,
#             pod volumes and logs under the run directory's node/; needs root for mount namespaces)
#
# The API server is Kubernetes 1.20 built from Debian sources: CRDs take OpenAPI v3 validation
# only (no CEL), and nothing newer than 1.20 is served (deploy/local/NOTES.md).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${K8S_BIN:-$HOME/.cache/k8s-1.20/bin}
D=${K8S_RUN:-/tmp/ironbind-cluster}
PORT=${K8S_PORT:-6443}
ETCD_PORT=${K8S_ETCD_PORT:-2379}
ETCD_PEER=$((ETCD_PORT + 1))

log() { printf '==> %s\n' "$*" >&2; }

running() { [ -f "$D/$1.pid" ] && kill -0 "$(cat "$D/$1.pid")" 2>/dev/null; }

stop_one() {
  local name=$1 pid
  [ -f "$D/$name.pid" ] || return 0
  pid=$(cat "$D/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop on SIGTERM; SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$D/$name.pid"
}

down() {
  # Reverse order of start: the controllers before the API server, etcd last.
  for p in operator node-agent kcm apiserver etcd; do stop_one "$p"; done
  log "stopped (run directory $D kept for its logs)"
}

pki() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=ironbind-local-ca -keyout ca.key -out ca.crt \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  # One admin token; the operator gets its own ServiceAccount and RBAC from deploy/.
  echo "$(openssl rand -hex 16),admin,admin-uid,system:masters" > tokens.csv
}

wait_for() {
  local what=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what did not come up"; return 1
}

crd_established() {
  [ "$(kubectl get crd "$1" -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ]
}

up() {
  if [ ! -x "$BIN/kube-apiserver" ] || [ ! -x "$BIN/kube-controller-manager" ] || ! command -v etcd >/dev/null; then
    log "building the API server (deploy/local/install-kube.sh, about 7 minutes once)"
    K8S_BIN=$BIN "$HERE/install-kube.sh" >&2
  fi
  if running apiserver; then
    log "already running: export KUBECONFIG=$D/kubeconfig"
    echo "export KUBECONFIG=$D/kubeconfig"
    return 0
  fi
  rm -rf "$D"; mkdir -p "$D"; cd "$D"
  pki
  local token; token=$(cut -d, -f1 tokens.csv)

  etcd --name default --data-dir "$D/etcd-data" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER" > etcd.log 2>&1 &
  echo $! > etcd.pid
  wait_for etcd 150 curl -sf "http://127.0.0.1:$ETCD_PORT/health" || { tail -20 etcd.log >&2; down; exit 1; }

  "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$PORT" \
    --tls-cert-file="$D/server.crt" --tls-private-key-file="$D/server.key" --client-ca-file="$D/ca.crt" \
    --token-auth-file="$D/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$D/sa.pub" --service-account-signing-key-file="$D/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 --endpoint-reconciler-type=none \
    --disable-admission-plugins=ServiceAccount --allow-privileged=true > apiserver.log 2>&1 &
  echo $! > apiserver.pid
  wait_for kube-apiserver 300 curl -sf --cacert ca.crt -H "Authorization: Bearer $token" "https://127.0.0.1:$PORT/readyz" \
    || { tail -30 apiserver.log >&2; down; exit 1; }

  cat > kubeconfig <<KC
apiVersion: v1
kind: Config
clusters:
- name: ironbind-local
  cluster: {server: "https://127.0.0.1:$PORT", certificate-authority-data: "$(base64 -w0 ca.crt)"}
users:
- name: admin
  user: {token: $token}
contexts:
- name: ironbind-local
  context: {cluster: ironbind-local, user: admin, namespace: default}
current-context: ironbind-local
KC
  export KUBECONFIG=$D/kubeconfig

  if [ "${WITH_KCM:-1}" = 1 ]; then
    "$BIN/kube-controller-manager" --kubeconfig="$D/kubeconfig" \
      --bind-address=127.0.0.1 --secure-port=0 --port=0 \
      --controllers=garbagecollector,namespace,serviceaccount,deployment,replicaset --leader-elect=false > kcm.log 2>&1 &
    echo $! > kcm.pid
  fi

  if [ -f "$ROOT/deploy/crds/kustomization.yaml" ]; then
    kubectl apply -k "$ROOT/deploy/crds" >&2
    local f crd
    for f in "$ROOT"/deploy/crds/*.bindy.firestoned.io.yaml; do
      crd=$(basename "$f" .yaml)
      wait_for "CRD $crd" 300 crd_established "$crd" || { down; exit 1; }
    done
  fi
  if [ "${WITH_NODE_AGENT:-0}" = 1 ]; then
    local agent=${NODE_AGENT_BIN:-$ROOT/target/debug/ironbind-node-agent} ironbind=${IRONBIND_BIN:-$ROOT/target/debug/ironbind}
    if [ ! -x "$agent" ] || [ ! -x "$ironbind" ]; then
      log "building the node agent and ironbind"
      (cd "$ROOT" && cargo build --workspace --bins >&2)
    fi
    "$agent" --kubeconfig "$D/kubeconfig" --state-dir "$D/node" --port 0 --image-binary "ironbind=$ironbind" > node-agent.log 2>&1 &
    echo $! > node-agent.pid
    wait_for node-agent 150 grep -q "node agent ready" node-agent.log || { tail -20 node-agent.log >&2; down; exit 1; }
  fi
  log "cluster up; run directory $D"
  echo "export KUBECONFIG=$D/kubeconfig"
}

status() {
  for p in etcd apiserver kcm node-agent operator; do
    if running "$p"; then echo "$p running (pid $(cat "$D/$p.pid"))"; else echo "$p not running"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
