#!/usr/bin/env bash
# A real two-node Kubernetes cluster on this machine, for the Kubernetes engine's tests.
#
#   cluster.sh up             starts it (etcd, apiserver, controller-manager, scheduler, and two
#                             nodes, each a kubelet with a dockerd of its own); prints
#                             KUBECONFIG=<path> on its last line
#   cluster.sh down           stops all of it and puts the machine back as it was: processes,
#                             mounts, iptables rules and the sysctls the kubelet changes
#   cluster.sh stop-node N    kills node N's kubelet (the node goes NotReady; its pods run on)
#   cluster.sh lose-node N    kills its kubelet and its containers, as when the machine dies
#   cluster.sh start-node N   starts it again
#   cluster.sh status         what runs
#   cluster.sh agent-image    builds perry-agent:test (Debian with target/release/perry and
#                             perry-worker) and loads it into both nodes, for the in-cluster
#                             agent's test
#
# The nodes are 127.0.0.1 (`localhost`, kubelet port 10250) and 127.0.0.2 (port 10260); the
# second runs in a mount namespace of its own with its own /var/log/pods, a path the kubelet
# hard-codes. Pods get addresses from a bridge per node (10.88.N.0/24). Storage is the
# controller-manager's hostPath provisioner (one directory both nodes see, so a stopped
# workspace can start on either). Images come from the machine's dockerd (no registry): the
# workspace image and a pause image built from the Kubernetes tree are loaded into each node's
# dockerd, whose data stays in the cache so a second run loads nothing.
#
# What ../../../shared/ENVIRONMENT.md found about running Kubernetes 1.20 here is why this looks
# as it does (the oom_score_adj patch lives in ensure-kubernetes.sh).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
STATE="${PERRY_K8S_STATE:-/tmp/perry-k8s}"
CACHE="${PERRY_K8S_CACHE:-$HOME/.cache/perry/kubernetes}"
NODES_DIR="$CACHE/nodes"
POD_RANGE="10.88.0.0/16"
ETCD_PORT=23790
API_PORT=6443
IMAGE="${PERRY_K8S_IMAGE:-workspace-base:latest}"
PAUSE_IMAGE="perry/pause:3.2"
AGENT_IMAGE="perry-agent:test"
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
         kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Where the hostPath provisioner of Kubernetes 1.20 always writes.
HOSTPATH_DIR=/tmp/hostpath_pv

log() { echo "cluster: $*" >&2; }

node_ip() { echo "127.0.0.$1"; }
node_name() { if [ "$1" = 1 ]; then echo localhost; else node_ip "$1"; fi; }
node_port() { echo $((10240 + 10 * $1)); }

# Starts "$@" in the background as its own session, its output in $STATE/logs/<name>.log.
spawn() {
  local name=$1; shift
  setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/pids/$name.pid"
}

# Stops the process of <name> (TERM, then KILL after `wait` seconds).
stop_process() {
  local name=$1 wait=${2:-10} pid
  [ -f "$STATE/pids/$name.pid" ] || return 0
  pid=$(cat "$STATE/pids/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $((wait * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/pids/$name.pid"
}

wait_for() {
  local what=$1 seconds=$2; shift 2
  for _ in $(seq $((seconds * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "$what did not come up in $seconds s; see $STATE/logs"
  return 1
}

kubectl_() { "$BIN/kubectl" --kubeconfig "$STATE/kubeconfig" "$@"; }

make_certificates() {
  local pki="$STATE/pki"
  mkdir -p "$pki"
  [ -f "$pki/apiserver.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=perry-test-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\n' \
    >"$pki/san.cnf"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 30 -extfile "$pki/san.cnf" -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  local token
  token=$(openssl rand -hex 24)
  echo "$token,perry-admin,perry-admin,system:masters" >"$pki/tokens.csv"
  cat >"$STATE/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: perry-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $pki/ca.crt
users:
- name: perry-admin
  user:
    token: $token
contexts:
- name: perry-test
  context: {cluster: perry-test, user: perry-admin}
current-context: perry-test
KUBECONFIG
  chmod 600 "$STATE/kubeconfig" "$pki/tokens.csv"
}

start_control_plane() {
  local pki="$STATE/pki"
  spawn etcd etcd --name perry-test --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
    --initial-cluster "perry-test=http://127.0.0.1:$((ETCD_PORT + 10))"
  wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
  spawn apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range 10.0.0.0/24 --authorization-mode Node,RBAC --allow-privileged=true \
    --endpoint-reconciler-type none --kubelet-preferred-address-types Hostname \
    --enable-admission-plugins NodeRestriction --profiling=false
  wait_for kube-apiserver 60 kubectl_ get --raw /readyz
  spawn controller-manager "$BIN/kube-controller-manager" --kubeconfig "$STATE/kubeconfig" \
    --leader-elect=false --service-account-private-key-file "$pki/sa.key" \
    --root-ca-file "$pki/ca.crt" --use-service-account-credentials=false \
    --enable-hostpath-provisioner --controllers '*' \
    --node-monitor-period 2s --node-monitor-grace-period 16s --pod-eviction-timeout 20s \
    --bind-address 127.0.0.1 --secure-port 10257 --port 0
  spawn scheduler "$BIN/kube-scheduler" --kubeconfig "$STATE/kubeconfig" --leader-elect=false \
    --bind-address 127.0.0.1 --secure-port 10259 --port 0
}

node_docker() { docker -H "unix://$STATE/node$1/docker.sock" "${@:2}"; }

start_node_docker() {
  local n=$1 dir="$STATE/node$1"
  mkdir -p "$dir/exec" "$NODES_DIR/node$n/docker"
  # A bridge of its own that pods never use (they get CNI's): with `--bridge none`, dockerd
  # deletes the interface named docker0 at start, which is the machine's own dockerd's.
  ip link add "perry-nd$n" type bridge 2>/dev/null || true
  ip addr replace "10.89.$n.1/24" dev "perry-nd$n"
  spawn "node$n-dockerd" dockerd --data-root "$NODES_DIR/node$n/docker" --exec-root "$dir/exec" \
    --host "unix://$dir/docker.sock" --pidfile "$dir/docker.pid" --bridge "perry-nd$n" \
    --iptables=false --ip-masq=false --ip-forward=false
  wait_for "node $n dockerd" 60 node_docker "$n" version
}

# Loads an image from the machine's dockerd into node N's, unless it has the same one.
load_image() {
  local n=$1 image=$2 wanted have
  wanted=$(docker image inspect -f '{{.Id}}' "$image")
  have=$(node_docker "$n" image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  [ "$wanted" = "$have" ] && return 0
  log "loading $image into node $n (once per image version)"
  docker save "$image" | node_docker "$n" load -q >/dev/null
  # The version it replaces, untagged now: the nodes' data stays in the cache from run to run,
  # where every new workspace image left 2.6 GB behind in each node.
  node_docker "$n" image prune -f >/dev/null
}

load_pause() {
  local n=$1
  node_docker "$n" image inspect "$PAUSE_IMAGE" >/dev/null 2>&1 && return 0
  local dir
  dir=$(mktemp -d)
  cp "$BIN/pause" "$dir/pause"
  tar -C "$dir" -c pause | node_docker "$n" import -c 'ENTRYPOINT ["/pause"]' - "$PAUSE_IMAGE" >/dev/null
  rm -rf "$dir"
}

write_cni() {
  local n=$1 dir="$STATE/node$1"
  mkdir -p "$dir/cni"
  cat >"$dir/cni/10-perry.conflist" <<CNI
{"cniVersion": "0.4.0", "name": "perry-node$n", "plugins": [
  {"type": "bridge", "bridge": "cni-perry$n", "isGateway": true, "ipMasq": true,
   "ipam": {"type": "host-local", "dataDir": "$dir/ipam",
            "ranges": [[{"subnet": "10.88.$n.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
CNI
}

start_kubelet() {
  local n=$1 dir="$STATE/node$1"
  mkdir -p "$dir/kubelet" "$dir/pods-log" "$dir/dockershim"
  # Each node's pods under a cgroup of its own, which the kubelet wants to exist.
  for controller in /sys/fs/cgroup/*/; do
    [ -d "$controller" ] && mkdir -p "$controller/perry-node$n" 2>/dev/null || true
  done
  local args=(--kubeconfig "$STATE/kubeconfig" --hostname-override "$(node_name "$n")"
    --address "$(node_ip "$n")" --port "$(node_port "$n")"
    --read-only-port 0 --healthz-port $((10248 + 100 * n)) --healthz-bind-address 127.0.0.1
    --container-runtime docker --docker-endpoint "unix://$dir/docker.sock"
    --container-runtime-endpoint "unix://$dir/dockershim.sock"
    --image-service-endpoint "unix://$dir/dockershim.sock"
    --experimental-dockershim-root-directory "$dir/dockershim"
    --network-plugin cni --cni-bin-dir /usr/lib/cni --cni-conf-dir "$dir/cni"
    --cni-cache-dir "$dir/cni-cache"
    --cgroup-driver cgroupfs --cgroup-root "/perry-node$n" --fail-swap-on=false
    --root-dir "$dir/kubelet" --cert-dir "$dir/kubelet/pki"
    --pod-infra-container-image "$PAUSE_IMAGE" --anonymous-auth=true --authorization-mode AlwaysAllow
    # The nodes share this machine's disk with everything else: a share of it (the kubelet's
    # default, or 1%) means nothing here, and a CI run whose builds left 1% free had a node
    # tainted disk-pressure for the default 5 minutes. Pressure only when the disk is truly full,
    # gone as soon as it is not; and no image is ever collected (there is no registry).
    --eviction-hard 'memory.available<1Mi,nodefs.available<512Mi,imagefs.available<512Mi'
    --eviction-pressure-transition-period 5s
    --image-gc-high-threshold 100 --image-gc-low-threshold 99
    --make-iptables-util-chains=false --resolv-conf /etc/resolv.conf
    --node-status-update-frequency 4s --sync-frequency 5s --v 1)
  if [ "$n" = 1 ]; then
    spawn "node$n-kubelet" "$BIN/kubelet" "${args[@]}"
  else
    # Its own /var/log/pods: the kubelet hard-codes the path and removes what it did not make.
    spawn "node$n-kubelet" unshare --mount --propagation private sh -c \
      'mount --bind "$0" /var/log/pods && exec "$@"' "$dir/pods-log" "$BIN/kubelet" "${args[@]}"
  fi
}

node_ready() {
  kubectl_ get node "$(node_name "$1")" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True
}

up() {
  BIN=$("$HERE/ensure-kubernetes.sh")
  if [ -f "$STATE/kubeconfig" ] && node_ready 1 && node_ready 2; then
    log "already up"
    # A workspace image rebuilt since (make image) reaches the nodes all the same.
    for n in 1 2; do load_image "$n" "$IMAGE"; done
    echo "KUBECONFIG=$STATE/kubeconfig"
    return 0
  fi
  down_quietly
  mkdir -p "$STATE/logs" "$STATE/pids" /var/log/pods
  # What the kubelet changes, put back by `down`.
  for key in "${SYSCTLS[@]}"; do echo "$key=$(sysctl -n "$key")"; done >"$STATE/sysctls"
  iptables -S DOCKER-USER >/dev/null 2>&1 && chain=DOCKER-USER || chain=FORWARD
  echo "$chain" >"$STATE/forward-chain"
  iptables -I "$chain" -s "$POD_RANGE" -j ACCEPT
  iptables -I "$chain" -d "$POD_RANGE" -j ACCEPT
  make_certificates
  start_control_plane
  for n in 1 2; do
    start_node_docker "$n"
    load_pause "$n"
    load_image "$n" "$IMAGE"
    write_cni "$n"
    start_kubelet "$n"
  done
  wait_for "node localhost" 60 node_ready 1
  wait_for "node 127.0.0.2" 60 node_ready 2
  kubectl_ apply -f - >/dev/null <<STORAGE
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: hostpath
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
STORAGE
  log "up: two nodes Ready ($(kubectl_ version --short 2>/dev/null | tail -1))"
  echo "KUBECONFIG=$STATE/kubeconfig"
}

down_quietly() {
  [ -d "$STATE" ] || return 0
  # Never a build here: after an `up` that failed building there is nothing of it to stop.
  BIN=${BIN:-$("$HERE/ensure-kubernetes.sh" --cached || true)}
  # Pods first, while the kubelets can still tear their networks down.
  if [ -n "$BIN" ] && [ -f "$STATE/pids/apiserver.pid" ] \
     && kill -0 "$(cat "$STATE/pids/apiserver.pid")" 2>/dev/null; then
    timeout 60 "$BIN/kubectl" --kubeconfig "$STATE/kubeconfig" delete pods --all -A \
      --grace-period 0 --force --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 60); do
      local left=0
      for n in 1 2; do
        [ -S "$STATE/node$n/docker.sock" ] || continue
        left=$((left + $(node_docker "$n" ps -q 2>/dev/null | wc -l)))
      done
      [ "$left" = 0 ] && break
      sleep 0.5
    done
  fi
  for n in 1 2; do stop_process "node$n-kubelet" 10; done
  for n in 1 2; do
    # Every container, the exited ones too: one left holds its image, which the next load of a
    # new version could then not prune.
    if [ -S "$STATE/node$n/docker.sock" ]; then
      node_docker "$n" ps -aq 2>/dev/null | xargs -r docker -H "unix://$STATE/node$n/docker.sock" rm -f >/dev/null 2>&1 || true
    fi
    stop_process "node$n-dockerd" 30
  done
  stop_process scheduler
  stop_process controller-manager
  stop_process apiserver
  stop_process etcd
  # Mounts left under the state dir (container layers, network namespaces, kubelet volumes) and
  # the nodes' data roots (a dockerd bind-mounts its own, and leaves it when it is killed).
  mount | awk -v state="$STATE/" -v nodes="$NODES_DIR/" \
    'index($3 "/", state) == 1 || index($3 "/", nodes) == 1 {print $3}' | sort -r | while read -r point; do
    umount -l "$point" 2>/dev/null || true
  done
  for n in 1 2; do
    ip link delete "cni-perry$n" 2>/dev/null || true
    ip link delete "perry-nd$n" 2>/dev/null || true
  done
  if [ -f "$STATE/forward-chain" ]; then
    local chain
    chain=$(cat "$STATE/forward-chain")
    iptables -D "$chain" -s "$POD_RANGE" -j ACCEPT 2>/dev/null || true
    iptables -D "$chain" -d "$POD_RANGE" -j ACCEPT 2>/dev/null || true
  fi
  # NAT rules of the bridge plugin whose pods were not torn down.
  iptables -t nat -S POSTROUTING 2>/dev/null | grep -E 'CNI-[0-9a-f]+' | sed 's/^-A/-D/' | while read -r rule; do
    eval "iptables -t nat $rule" 2>/dev/null || true
  done || true
  iptables -t nat -S 2>/dev/null | awk '/^-N CNI-/ {print $2}' | while read -r chain; do
    iptables -t nat -F "$chain" 2>/dev/null; iptables -t nat -X "$chain" 2>/dev/null || true
  done || true
  # The kubelet's canary and firewall chains.
  for table in filter nat mangle; do
    iptables -t "$table" -S 2>/dev/null | grep -E '^-A .* -j KUBE-' | sed 's/^-A/-D/' | while read -r rule; do
      eval "iptables -t $table $rule" 2>/dev/null || true
    done || true
    iptables -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ {print $2}' | while read -r chain; do
      iptables -t "$table" -F "$chain" 2>/dev/null; iptables -t "$table" -X "$chain" 2>/dev/null || true
    done || true
  done
  if [ -f "$STATE/sysctls" ]; then
    while IFS= read -r setting; do sysctl -qw "$setting" || true; done <"$STATE/sysctls"
  fi
  # The cgroups the kubelets made for pods.
  for n in 1 2; do
    find /sys/fs/cgroup -depth -type d -path "*perry-node$n*" -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$HOSTPATH_DIR" "$STATE"
}

down() {
  down_quietly
  log "down"
}

# The agent as `perry agent install --kubernetes` runs it, from this checkout's release build.
agent_image() {
  local root context output
  root="$(cd "$HERE/../.." && pwd)"
  for binary in perry perry-worker; do
    [ -x "$root/target/release/$binary" ] || { log "target/release/$binary is missing: run make build"; exit 1; }
  done
  context=$(mktemp -d)
  cp "$root/target/release/perry" "$root/target/release/perry-worker" "$context/"
  printf 'FROM debian:bookworm\nLABEL dev.perry.test-agent=1\nCOPY perry perry-worker /usr/local/bin/\n' \
    >"$context/Dockerfile"
  # The legacy builder: the machine's dockerd may be too old for BuildKit's API.
  if ! output=$(DOCKER_BUILDKIT=0 docker build -q -t "$AGENT_IMAGE" "$context" 2>&1); then
    echo "$output" >&2
    exit 1
  fi
  rm -rf "$context"
  # The build before this one's image, untagged now (only ours: the label says which).
  docker image prune -f --filter label=dev.perry.test-agent >/dev/null
  for n in 1 2; do load_image "$n" "$AGENT_IMAGE"; done
}

case "${1:-}" in
  up) up ;;
  agent-image) agent_image ;;
  down) down ;;
  stop-node)
    stop_process "node${2:?node number}-kubelet" 2
    ;;
  lose-node)
    stop_process "node${2:?node number}-kubelet" 2
    node_docker "$2" ps -q | xargs -r docker -H "unix://$STATE/node$2/docker.sock" kill >/dev/null
    ;;
  start-node)
    BIN=$("$HERE/ensure-kubernetes.sh")
    pid_file="$STATE/pids/node${2:?node number}-kubelet.pid"
    if ! { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }; then
      start_kubelet "$2"
    fi
    wait_for "node $2" 60 node_ready "$2"
    ;;
  status)
    for pid in "$STATE"/pids/*.pid; do
      [ -e "$pid" ] || continue
      name=$(basename "$pid" .pid)
      if kill -0 "$(cat "$pid")" 2>/dev/null; then echo "$name running"; else echo "$name dead"; fi
    done
    ;;
  *) echo "usage: $0 up|down|status|agent-image|stop-node N|lose-node N|start-node N" >&2; exit 2 ;;
esac
