//! The manifests that run the agent inside a cluster (`perry agent install --kubernetes`): a
//! ServiceAccount whose Role allows exactly what this engine asks of the API, in one namespace,
//! and the agent as a Deployment of one with its config dir on a claim.

/// What the engine does with each resource; the Role grants these and nothing else.
pub const ROLE_RULES: &[(&str, &str, &[&str])] = &[
    (
        "apps",
        "statefulsets",
        &["get", "list", "watch", "create", "patch", "delete"],
    ),
    ("", "pods", &["get", "list", "watch", "create", "delete"]),
    ("", "pods/exec", &["create", "get"]),
    ("", "pods/portforward", &["create", "get"]),
    ("", "pods/log", &["get"]),
    // Why a StatefulSet could not make its pod (a quota, a policy) is only in its events.
    ("", "events", &["list"]),
    (
        "",
        "persistentvolumeclaims",
        &["get", "list", "create", "delete"],
    ),
];

/// The manifests, as one YAML stream, for the agent in `namespace` running `image`.
pub fn agent_manifests(namespace: &str, image: &str) -> String {
    let rules: String = ROLE_RULES
        .iter()
        .map(|(group, resource, verbs)| {
            format!(
                "  - apiGroups: [\"{group}\"]\n    resources: [\"{resource}\"]\n    verbs: [{}]\n",
                verbs
                    .iter()
                    .map(|verb| format!("\"{verb}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    format!(
        r#"# The Perry agent inside a cluster: its workspaces are pods in namespace {namespace}, made
# with a ServiceAccount limited to that namespace. Apply with `kubectl apply -f -`; the agent
# answers on the Service perry-agent, port 7391 (e.g. `kubectl -n {namespace} port-forward
# svc/perry-agent 7391`). Its token is in config.json on the claim perry-agent-config:
#   kubectl -n {namespace} exec deploy/perry-agent -- cat /root/.config/perry/config.json
apiVersion: v1
kind: Namespace
metadata:
  name: {namespace}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: perry-agent
  namespace: {namespace}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: perry-agent
  namespace: {namespace}
rules:
{rules}---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: perry-agent
  namespace: {namespace}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: perry-agent
subjects:
  - kind: ServiceAccount
    name: perry-agent
    namespace: {namespace}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: perry-agent
  namespace: {namespace}
data:
  config.json: |
    {{"engine": {{"kind": "kubernetes", "namespace": "{namespace}"}}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: perry-agent-config
  namespace: {namespace}
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 100Mi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: perry-agent
  namespace: {namespace}
  labels: {{app.kubernetes.io/name: perry-agent}}
spec:
  replicas: 1
  strategy: {{type: Recreate}}
  selector:
    matchLabels: {{app.kubernetes.io/name: perry-agent}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: perry-agent}}
    spec:
      serviceAccountName: perry-agent
      initContainers:
        # config.json starts as the ConfigMap's; the agent adds its token, and a person's edits stay.
        - name: config
          image: {image}
          command: ["/bin/sh", "-c", "cp -n /etc/perry/config.json /root/.config/perry/config.json"]
          volumeMounts:
            - {{name: config, mountPath: /root/.config/perry}}
            - {{name: initial, mountPath: /etc/perry}}
      containers:
        - name: agent
          image: {image}
          command: ["perry", "agent", "run", "--host", "0.0.0.0"]
          ports: [{{name: http, containerPort: 7391}}]
          volumeMounts:
            - {{name: config, mountPath: /root/.config/perry}}
      volumes:
        - {{name: config, persistentVolumeClaim: {{claimName: perry-agent-config}}}}
        - {{name: initial, configMap: {{name: perry-agent}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: perry-agent
  namespace: {namespace}
spec:
  selector: {{app.kubernetes.io/name: perry-agent}}
  ports: [{{name: http, port: 7391, targetPort: http}}]
"#
    )
}
