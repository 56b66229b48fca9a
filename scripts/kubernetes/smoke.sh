#!/usr/bin/env bash
# Checks by hand that the test cluster (cluster.sh up) runs a workspace the way the Kubernetes
# engine will: a workspace-base pod with two claims (home and the inner Docker's data), the
# inner dockerd answering, a nested `docker run`, and the home claim surviving the pod being
# deleted and made again on the other node. Prints timings; removes all it made (its own
# namespace) on the way out, whatever happened.
#
#   scripts/kubernetes/cluster.sh up && scripts/kubernetes/smoke.sh
#
# The inner dockerd has no images and there is no registry, so the nested container's image is
# busybox-static's one binary, `docker import`ed from a tar sent over exec stdin.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
STATE="${PERRY_K8S_STATE:-/tmp/perry-k8s}"
IMAGE="${PERRY_K8S_IMAGE:-workspace-base:latest}"
NS=perry-smoke
BIN=$("$HERE/ensure-kubernetes.sh")
export KUBECONFIG="$STATE/kubeconfig"
k() { "$BIN/kubectl" -n "$NS" "$@"; }
log() { echo "smoke: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ -f "$KUBECONFIG" ] || { log "no cluster: run scripts/kubernetes/cluster.sh up first"; exit 1; }
if [ ! -x /bin/busybox ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >&2
fi

cleanup() {
  "$BIN/kubectl" delete namespace "$NS" --wait=true --timeout=90s >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
"$BIN/kubectl" create namespace "$NS" >/dev/null

k apply -f - >/dev/null <<CLAIMS
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: home}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: docker}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
CLAIMS

# pod_manifest PRIVILEGED [NODE]: the workspace pod. Without privileged, the capabilities and
# unconfined seccomp/AppArmor that ENVIRONMENT.md found the inner dockerd needs (SYS_RESOURCE
# dropped: this VM refuses it).
pod_manifest() {
  local privileged=$1 node=${2:-} security selector=""
  [ -z "$node" ] || selector="nodeSelector: {kubernetes.io/hostname: \"$node\"}"
  if [ "$privileged" = true ]; then
    security='{privileged: true}'
  else
    security='{privileged: false, allowPrivilegeEscalation: true,
                capabilities: {add: [ALL], drop: [SYS_RESOURCE]},
                seccompProfile: {type: Unconfined}}'
  fi
  cat <<POD
apiVersion: v1
kind: Pod
metadata:
  name: workspace
  annotations: {container.apparmor.security.beta.kubernetes.io/workspace: unconfined}
spec:
  dnsPolicy: Default
  terminationGracePeriodSeconds: 10
  $selector
  containers:
  - name: workspace
    image: $IMAGE
    imagePullPolicy: Never
    securityContext: $security
    # Ready means the inner dockerd has made its socket (as the engine waits for it).
    readinessProbe:
      exec: {command: [test, -S, /var/run/docker.sock]}
      periodSeconds: 1
    volumeMounts:
    - {name: home, mountPath: /home/workspace}
    - {name: docker, mountPath: /var/lib/docker}
  volumes:
  - {name: home, persistentVolumeClaim: {claimName: home}}
  - {name: docker, persistentVolumeClaim: {claimName: docker}}
POD
}

# start_pod PRIVILEGED [NODE]: makes the pod and waits until it is Ready (0) or its container
# cannot start (1).
start_pod() {
  local started
  started=$(now)
  # A manifest the server rejects ends the script, not just this attempt.
  pod_manifest "$@" | k apply -f - >/dev/null || exit 1
  for _ in $(seq 240); do
    if [ "$(k get pod workspace -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; then
      log "pod Ready on $(k get pod workspace -o jsonpath='{.spec.nodeName}') in $(since "$started") s"
      return 0
    fi
    local reason
    reason=$(k get pod workspace -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}{.status.containerStatuses[0].state.terminated.reason}' 2>/dev/null)
    case "$reason" in
      RunContainerError|CreateContainerError|CrashLoopBackOff|Error|StartError|ContainerCannotRun)
        log "container cannot start ($reason): $(k get pod workspace -o jsonpath='{.status.containerStatuses[0].state.*.message}' | head -c 300)"
        return 1 ;;
    esac
    sleep 0.25
  done
  log "pod not Ready in 60 s"; k describe pod workspace >&2; return 1
}

delete_pod() { k delete pod workspace --grace-period 10 --wait=true >/dev/null; }

inner_docker() {
  local started
  started=$(now)
  for _ in $(seq 120); do
    k exec workspace -- docker version >/dev/null 2>&1 && { log "inner dockerd answers in $(since "$started") s after Ready"; return 0; }
    sleep 0.25
  done
  log "inner dockerd does not answer"; k exec workspace -- tail -20 /var/log/dockerd.log >&2; return 1
}

log "trying privileged: true"
if start_pod true; then
  privileged=true
else
  log "privileged: true refused; falling back to added capabilities"
  delete_pod
  privileged=false
  start_pod false
fi
inner_docker
first_node=$(k get pod workspace -o jsonpath='{.spec.nodeName}')
# The image's entrypoint says when a step of its setup failed (cgroups, sshd, dockerd).
complaints=$(k logs workspace | grep -Ei 'cannot|failed|invalid|exited' || true)
[ -z "$complaints" ] || log "entrypoint complained: $complaints"
log "cgroup mounts in the pod: $(k exec workspace -- sh -c "grep -c ' - cgroup .* rw' /proc/self/mountinfo; grep ' /sys/fs/cgroup/' /proc/self/mountinfo | grep -c ' ro,' || true" | paste -sd' ') (rw, ro)"

# A one-binary image: busybox-static as /bin/busybox and /bin/sh.
tiny=$(mktemp -d)
mkdir "$tiny/bin"
cp /bin/busybox "$tiny/bin/busybox"
ln -s busybox "$tiny/bin/sh"
tar -C "$tiny" -c bin | k exec -i workspace -- docker import - smoke/tiny:1 >/dev/null
rm -rf "$tiny"
started=$(now)
out=$(k exec workspace -- docker run --rm --network none smoke/tiny:1 /bin/busybox echo ok)
[ "$out" = ok ] || { log "nested docker run printed: $out"; exit 1; }
log "nested docker run printed '$out' in $(since "$started") s"
k exec workspace -- sh -c 'echo kept >/home/workspace/smoke-file'

# Delete the pod and make it again on the other node, with the same claims.
other_node=$("$BIN/kubectl" get nodes -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | grep -vx "$first_node" | head -1)
started=$(now)
delete_pod
log "pod deleted in $(since "$started") s; recreating on $other_node"
start_pod "$privileged" "$other_node"
[ "$(k get pod workspace -o jsonpath='{.spec.nodeName}')" = "$other_node" ]
inner_docker
[ "$(k exec workspace -- cat /home/workspace/smoke-file)" = kept ]
log "home file survived the move from $first_node to $other_node"
out=$(k exec workspace -- docker run --rm --network none smoke/tiny:1 /bin/busybox echo ok)
[ "$out" = ok ] && log "inner image survived too (nested docker run printed '$out')"
log "ok (privileged: $privileged)"
