//! The Kubernetes engine's figures on the test cluster (`KUBECONFIG`, e.g. from
//! `scripts/kubernetes/cluster.sh up`):
//! - create → ready through the agent, next to `kubectl apply` of the same objects (the claims
//!   and the StatefulSet the agent made, renamed) waited for by hand until the inner dockerd
//!   answers `kubectl exec … docker version` (goal ≤ 1.3×);
//! - workspaces.list p50 with 100 workspaces, from the watch-fed view (goal ≤ 0.3 ms);
//! - keystroke echo through `/terminal` (the exec API) next to `kubectl exec -it` (goal ≤ 1.2×).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use perry_api::procedures::{Void, WorkspacesList};
use serde_json::{Value, json};

use crate::terminal::{PtyProcess, echo_round_trips, open_perry, settle};
use crate::{Agent, median, percentile};

fn kubeconfig() -> anyhow::Result<String> {
    std::env::var("KUBECONFIG")
        .context("set KUBECONFIG to the test cluster's (bench/run.sh kubernetes starts it)")
}

/// The test cluster's kubectl; its output, or what it said on failure.
fn kubectl(args: &[&str], input: Option<&str>) -> anyhow::Result<String> {
    let output = perry_test_support::kubectl(&kubeconfig()?, args, input)?;
    if !output.success {
        bail!("kubectl {args:?}: {}", output.stderr);
    }
    Ok(output.stdout)
}

/// An object as `kubectl get -o json` gives it, made ready to apply under `name`.
fn renamed(mut object: Value, from: &str, to: &str) -> Value {
    let metadata = object["metadata"].as_object_mut().expect("metadata");
    for key in [
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "managedFields",
        "generation",
        "selfLink",
    ] {
        metadata.remove(key);
    }
    if let Some(annotations) = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        annotations.remove("pv.kubernetes.io/bind-completed");
        annotations.remove("pv.kubernetes.io/bound-by-controller");
        annotations.remove("volume.beta.kubernetes.io/storage-provisioner");
    }
    object.as_object_mut().expect("object").remove("status");
    if let Some(spec) = object["spec"].as_object_mut() {
        spec.remove("volumeName");
    }
    let text = object.to_string().replace(from, to);
    serde_json::from_str(&text).expect("still JSON")
}

pub async fn bench_kubernetes(runs: usize) -> anyhow::Result<()> {
    let kubeconfig = kubeconfig()?;
    let client = {
        let config = kube::config::Kubeconfig::read_from(&kubeconfig)?;
        kube::Client::try_from(
            kube::Config::from_custom_kubeconfig(config, &Default::default()).await?,
        )?
    };
    let namespace = format!("perry-bench-{}", std::process::id());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": namespace}}))?,
        )
        .await?;
    let result = measure(&client, &kubeconfig, &namespace, runs).await;
    let _ = namespaces
        .delete(&namespace, &DeleteParams::default())
        .await;
    result
}

async fn measure(
    client: &kube::Client,
    kubeconfig: &str,
    namespace: &str,
    runs: usize,
) -> anyhow::Result<()> {
    let engine = json!({"engine": {"kind": "kubernetes", "kubeconfig": kubeconfig,
        "namespace": namespace, "imagePullPolicy": "Never", "volumeSize": "1Gi"}});
    let agent = Agent::start_with("k8s", None, engine)?;
    let http = reqwest::Client::new();
    let kube = ["-n", namespace];

    // Create → ready, interleaved with the same objects applied by hand.
    let (mut perry, mut by_hand) = (Vec::new(), Vec::new());
    // A first workspace finds the Docker-in-Docker mode (a probe pod): not part of the figure.
    agent.create_workspace(&http, "warm".to_owned()).await?;
    let set_name = format!("{}warm", agent.prefix);
    let set = kubectl(
        &[&kube[..], &["get", "statefulset", &set_name, "-o", "json"]].concat(),
        None,
    )?;
    let home = kubectl(
        &[
            &kube[..],
            &["get", "pvc", &format!("{set_name}-home"), "-o", "json"],
        ]
        .concat(),
        None,
    )?;
    let docker = kubectl(
        &[
            &kube[..],
            &["get", "pvc", &format!("{set_name}-docker"), "-o", "json"],
        ]
        .concat(),
        None,
    )?;
    for run in 0..runs {
        let started = Instant::now();
        agent.create_workspace(&http, format!("run{run}")).await?;
        perry.push(started.elapsed().as_secs_f64());

        let name = format!("hand{run}");
        let objects: Vec<Value> = [&home, &docker, &set]
            .iter()
            .map(|text| serde_json::from_str(text).map(|object| renamed(object, &set_name, &name)))
            .collect::<Result<_, _>>()?;
        let mut set_object = objects[2].clone();
        set_object["spec"]["replicas"] = json!(1);
        let list = json!({"apiVersion": "v1", "kind": "List", "items": [objects[0], objects[1], set_object]});
        let started = Instant::now();
        kubectl(
            &[&kube[..], &["apply", "-f", "-"]].concat(),
            Some(&list.to_string()),
        )?;
        let pod = format!("{name}-0");
        loop {
            let answered = kubectl(
                &[
                    &kube[..],
                    &[
                        "exec",
                        &pod,
                        "--",
                        "docker",
                        "version",
                        "--format",
                        "{{.Server.Version}}",
                    ],
                ]
                .concat(),
                None,
            );
            if answered.is_ok() {
                break;
            }
            if started.elapsed() > Duration::from_secs(180) {
                bail!("the hand-made pod did not get ready");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        by_hand.push(started.elapsed().as_secs_f64());
    }
    let (perry_median, hand_median) = (median(&mut perry), median(&mut by_hand));
    // Each run's own pair too: the by-hand wait is a `kubectl exec` per attempt, so its time
    // is the pod's readiness plus up to one attempt, and varies from run to run.
    let seconds = |values: &[f64]| {
        values
            .iter()
            .map(|value| format!("{value:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "kubernetes create → ready, {runs} runs: perry {:.2} s (median; sorted {}), kubectl apply + wait by hand {:.2} s (sorted {}); ratio {:.2}× (goal ≤ 1.3×)",
        perry_median,
        seconds(&perry),
        hand_median,
        seconds(&by_hand),
        perry_median / hand_median
    );

    // Keystroke echo: the agent's /terminal (the exec API) next to `kubectl exec -it`.
    let mut terminal = open_perry(&agent, "warm").await?;
    settle(&mut terminal).await?;
    let pod = format!("{set_name}-0");
    let mut kubectl_tty = PtyProcess::spawn(
        &perry_test_support::kubectl_binary()?,
        &[
            &["--kubeconfig", kubeconfig],
            &kube[..],
            &[
                "exec",
                "-it",
                &pod,
                "--",
                "/usr/sbin/runuser",
                "-u",
                "workspace",
                "--",
                "/usr/bin/env",
                "-C",
                "/home/workspace",
                "TERM=xterm-256color",
                "bash",
                "-l",
            ],
        ]
        .concat(),
        &[],
    )?;
    settle(&mut kubectl_tty).await?;
    let (mut through_perry, mut through_kubectl) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        through_perry.extend(echo_round_trips(&mut terminal).await?);
        through_kubectl.extend(echo_round_trips(&mut kubectl_tty).await?);
    }
    through_perry.sort_by(f64::total_cmp);
    through_kubectl.sort_by(f64::total_cmp);
    let (perry_p50, kubectl_p50) = (
        percentile(&through_perry, 0.5),
        percentile(&through_kubectl, 0.5),
    );
    println!(
        "kubernetes keystroke echo, {} keystrokes each: /terminal p50 {perry_p50:.2} ms p95 {:.2} ms; kubectl exec -it p50 {kubectl_p50:.2} ms p95 {:.2} ms; ratio {:.2}× (goal ≤ 1.2×)",
        through_perry.len(),
        percentile(&through_perry, 0.95),
        percentile(&through_kubectl, 0.95),
        perry_p50 / kubectl_p50
    );
    drop(terminal);
    drop(kubectl_tty);

    // List with 100 workspaces: stopped StatefulSets with the agent's labels, which it adopts.
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), namespace);
    let template: Value = serde_json::from_str(&set)?;
    let existing = agent.call::<WorkspacesList>(&http, &Void).await?.len();
    for index in existing..100 {
        let name = format!("list{index:03}");
        let mut object = renamed(
            template.clone(),
            &set_name,
            &format!("{}{name}", agent.prefix),
        );
        object["spec"]["replicas"] = json!(0);
        object["metadata"]["annotations"]["dev.perry.workspace"] = json!(name);
        object["metadata"]["labels"]["dev.perry.workspace"] = json!(name);
        object["metadata"]["annotations"]["dev.perry.ssh-port"] =
            json!((34100 + index).to_string());
        sets.create(&PostParams::default(), &serde_json::from_value(object)?)
            .await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = agent.call::<WorkspacesList>(&http, &Void).await?;
        if listed.len() >= 100 {
            break;
        }
        if Instant::now() > deadline {
            bail!("the agent lists {} workspaces, not 100", listed.len());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for _ in 0..50 {
        agent.call::<WorkspacesList>(&http, &Void).await?;
    }
    let mut millis = Vec::new();
    for _ in 0..1000 {
        let started = Instant::now();
        agent.call::<WorkspacesList>(&http, &Void).await?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    println!(
        "kubernetes workspaces.list with 100 workspaces, 1000 calls over HTTP keep-alive: p50 {:.3} ms, p95 {:.3} ms (goal p50 ≤ 0.3 ms)",
        percentile(&millis, 0.5),
        percentile(&millis, 0.95)
    );
    let _ = claims
        .delete_collection(&DeleteParams::default(), &ListParams::default())
        .await;
    Ok(())
}
