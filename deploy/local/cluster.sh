#!/bin/bash
# The local cluster: a real etcd + kube-apiserver + kube-controller-manager (deployment,
# replicaset, garbage collector, namespace, service account controllers) on 127.0.0.1,
# with the ironbind CRDs and the operator's RBAC (deploy/rbac) installed, the node agent
# running pods as local processes and the operator running as its ServiceAccount.
# What every operator test and every demo runs on.
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
#   WITH_NODE_AGENT  1 (default as root; 0 otherwise) starts node-agent/ (scheduler + kubelet:
#             pods run as local processes, the image `ironbind` as $IRONBIND_BIN, default
#             target/debug/ironbind; the agent $NODE_AGENT_BIN, default
#             target/debug/ironbind-node-agent; built when missing; its log node-agent.log, pod
#             volumes and logs under the run directory's node/; needs root for mount namespaces)
#   POD_SUBNET  the /24 of 127.0.0.0/8 the agent gives pods addresses from (default 127.0.0.0/24)
#   WITH_OPERATOR  1 (default) starts the operator ($OPERATOR_BIN, default
#             target/debug/ironbind-operator, built when missing) as a local process with
#             operator.kubeconfig: the token of system:serviceaccount:ironbind-system:ironbind-operator,
#             so the RBAC of deploy/rbac is what it may do; its log operator.log, metrics on
#             127.0.0.1:$OPERATOR_METRICS_PORT (default 9464)
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
  # Static tokens: the admin, and the operator's ServiceAccount identity (its RBAC from
  # deploy/rbac is enforced without a token controller).
  {
    echo "$(openssl rand -hex 16),admin,admin-uid,system:masters"
    echo "$(openssl rand -hex 16),system:serviceaccount:ironbind-system:ironbind-operator,$(cat /proc/sys/kernel/random/uuid),system:serviceaccounts,system:serviceaccounts:ironbind-system"
  } > tokens.csv
}

wait_for() {
  local what=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what did not come up"; return 1
}

# Waits for a line with PATTERN in NAME.log (TRIES × 0.2 s); fails at once when NAME's
# process has exited, showing the end of its log either way.
wait_log() {
  local name=$1 pattern=$2 tries=$3
  for _ in $(seq "$tries"); do
    grep -q -- "$pattern" "$D/$name.log" && return 0
    running "$name" || { log "$name exited:"; tail -20 "$D/$name.log" >&2; return 1; }
    sleep 0.2
  done
  log "$name: no \"$pattern\" in its log:"; tail -20 "$D/$name.log" >&2; return 1
}

# A kubeconfig for this cluster: user name, bearer token, default namespace.
kubeconfig() {
  cat <<KC
apiVersion: v1
kind: Config
clusters:
- name: ironbind-local
  cluster: {server: "https://127.0.0.1:$PORT", certificate-authority-data: "$(base64 -w0 "$D/ca.crt")"}
users:
- name: $1
  user: {token: $2}
contexts:
- name: ironbind-local
  context: {cluster: ironbind-local, user: $1, namespace: $3}
current-context: ironbind-local
KC
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
  local token operator_token
  token=$(sed -n 1p tokens.csv | cut -d, -f1)
  operator_token=$(sed -n 2p tokens.csv | cut -d, -f1)

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

  kubeconfig admin "$token" default > kubeconfig
  kubeconfig ironbind-operator "$operator_token" ironbind-system > operator.kubeconfig
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
  # The operator's namespace, ServiceAccount and RBAC, as a real cluster gets them.
  kubectl apply -k "$ROOT/deploy/rbac" >&2

  local with_agent=${WITH_NODE_AGENT:-}
  if [ -z "$with_agent" ]; then
    if [ "$(id -u)" = 0 ]; then with_agent=1; else
      with_agent=0
      log "not root: no node agent (pods stay Pending); it needs root for mount namespaces"
    fi
  fi
  if [ "$with_agent" = 1 ]; then
    local agent=${NODE_AGENT_BIN:-$ROOT/target/debug/ironbind-node-agent} ironbind=${IRONBIND_BIN:-$ROOT/target/debug/ironbind}
    if [ ! -x "$agent" ] || [ ! -x "$ironbind" ]; then
      log "building the node agent and ironbind"
      (cd "$ROOT" && cargo build --workspace --bin ironbind-node-agent --bin ironbind >&2)
    fi
    "$agent" --kubeconfig "$D/kubeconfig" --state-dir "$D/node" --port 0 --image-binary "ironbind=$ironbind" \
      ${POD_SUBNET:+--pod-subnet "$POD_SUBNET"} > node-agent.log 2>&1 &
    echo $! > node-agent.pid
    wait_log node-agent "node agent ready" 150 || { down; exit 1; }
  fi

  if [ "${WITH_OPERATOR:-1}" = 1 ]; then
    local op=${OPERATOR_BIN:-$ROOT/target/debug/ironbind-operator}
    if [ ! -x "$op" ]; then
      log "building the operator"
      # --workspace: the dependencies' features as every other build of the workspace has them.
      (cd "$ROOT" && cargo build --workspace --bin ironbind-operator >&2)
    fi
    local op_args=() op_help
    # --metrics-addr and --lease-namespace only when this build of the operator has them.
    # (The help is read whole first: `| grep -q` would end the pipe early, and pipefail
    # would count the writer's SIGPIPE as a failure.)
    op_help=$("$op" --help 2>/dev/null || true)
    if [[ $op_help == *--metrics-addr* ]]; then
      op_args=(--metrics-addr "127.0.0.1:${OPERATOR_METRICS_PORT:-9464}" --lease-namespace ironbind-system)
    fi
    KUBECONFIG="$D/operator.kubeconfig" "$op" "${op_args[@]}" > operator.log 2>&1 &
    echo $! > operator.pid
    wait_log operator "ironbind-operator starting" 300 || { down; exit 1; }
  fi
  log "cluster up; run directory $D"
  log "try it:"
  log "  kubectl apply -f $ROOT/deploy/examples/complete/"
  log "  kubectl get pods -n dns-system -o wide"
  log "  dig @<pod IP> -p 5353 example.com SOA    # REFUSED: no zone served yet"
  log "  kubectl logs -n dns-system -l instance=primary-dns"
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
