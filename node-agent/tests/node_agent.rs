//! The node agent against the local cluster (`deploy/local/cluster.sh`):
//! a Deployment's pod bound to the agent's Node and run as the real
//! `ironbind` binary on its own 127.0.0.x, Ready by its /readyz probe,
//! answering `dig`; `kubectl logs` and `kubectl exec` through the API
//! server; a killed process restarted (restartCount); the pod's process
//! gone with the Deployment, its claim's directory kept. A second test:
//! an unmapped image waits with ErrImageNeverPull, a readiness gate holds
//! Ready back until its condition is True, an init container runs first,
//! env comes from a ConfigMap key, `kubectl exec -i` passes stdin, a
//! failing liveness probe restarts its container, a changed ConfigMap
//! reaches its volume, and a restarted agent takes its pods again.
//!
//! Skips where no cluster can be built (fails under `CI=true`, as
//! `Cluster::start` does) and when not root (mount namespaces need it).
//! Every process started is stopped by PID.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ironbind_test_support::{binary, pods_can_run, tempdir, Cluster, Proc};

fn eventually<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The agent for `cluster`, registered as `node`, giving pods addresses
/// of `subnet` (the tests run side by side: each agent its own), ready.
fn agent(c: &Cluster, node: &str, subnet: &str, state: &Path) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ironbind-node-agent"));
    cmd.arg("--kubeconfig")
        .arg(c.kubeconfig())
        .args(["--node-name", node, "--pod-subnet", subnet, "--port", "0", "--heartbeat", "2", "--volume-refresh", "1"])
        .arg("--state-dir")
        .arg(state)
        .arg("--image-binary")
        .arg(format!("ironbind={}", binary().display()));
    let p = Proc::spawn(node, cmd);
    p.expect(0, &["node agent ready"], Duration::from_secs(60));
    p
}

fn jsonpath(c: &Cluster, args: &[&str], path: &str) -> String {
    let out = c.kubectl(&[args, &["-o", &format!("jsonpath={path}")]].concat());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn apply(c: &Cluster, dir: &Path, name: &str, yaml: &str) {
    let f = dir.join(name);
    std::fs::write(&f, yaml).unwrap();
    c.kubectl_ok(&["apply", "-f", f.to_str().unwrap()]);
}

const DNS: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: na-dns-config, namespace: default}
data: {hello.txt: "from the configmap\n"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: na-dns-data, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: na-dns, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: na-dns}}
  template:
    metadata: {labels: {app: na-dns, instance: na-dns}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: ironbind
        image: ironbind:dev
        args: [--example, --listen, "$(POD_IP):5353", --control-listen, "$(POD_IP):8053", --data-dir, /var/lib/bind]
        env:
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        readinessProbe:
          httpGet: {path: /readyz, port: 8053}
          periodSeconds: 1
        livenessProbe:
          httpGet: {path: /healthz, port: 8053}
          periodSeconds: 2
        volumeMounts:
        - {name: config, mountPath: /etc/ironbind}
        - {name: data, mountPath: /var/lib/bind}
        - {name: scratch, mountPath: /tmp/ironbind-node-scratch}
      volumes:
      - {name: config, configMap: {name: na-dns-config}}
      - {name: data, persistentVolumeClaim: {claimName: na-dns-data}}
      - {name: scratch, emptyDir: {}}
"#;

fn pod_name(c: &Cluster, selector: &str) -> Option<String> {
    Some(jsonpath(c, &["get", "pods", "-l", selector], "{.items[0].metadata.name}")).filter(|s| !s.is_empty())
}

fn dig(ip: &str) -> String {
    let out =
        Command::new("dig").args([&format!("@{ip}"), "-p", "5353", "www.example.com", "A", "+short", "+time=2", "+tries=2"]).output().expect("dig");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The PID in a containerID `ironbind-node://PID`.
fn container_pid(c: &Cluster, pod: &str) -> u32 {
    let id = jsonpath(c, &["get", "pod", pod], "{.status.containerStatuses[0].containerID}");
    id.strip_prefix("ironbind-node://").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("containerID {id:?}"))
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists() && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[test]
fn a_deployment_runs_on_the_node_agent() {
    if !pods_can_run() {
        return;
    }
    let Some(c) = Cluster::start() else { return };
    let dir = tempdir("node-agent");
    let state: PathBuf = dir.join("state");
    let mut a = agent(&c, "na-node", "127.0.0.0/24", &state);

    // The Node: Ready, only InternalIP 127.0.0.1, the kubelet's port.
    let ready = eventually("the node Ready", Duration::from_secs(30), || {
        Some(jsonpath(&c, &["get", "node", "na-node"], r#"{.status.conditions[?(@.type=="Ready")].status}"#)).filter(|s| s == "True")
    });
    assert_eq!(ready, "True");
    assert_eq!(jsonpath(&c, &["get", "node", "na-node"], "{.status.addresses[*].address}"), "127.0.0.1");
    assert_ne!(jsonpath(&c, &["get", "node", "na-node"], "{.status.daemonEndpoints.kubeletEndpoint.Port}"), "0");
    assert_eq!(jsonpath(&c, &["get", "lease", "-n", "kube-node-lease", "na-node"], "{.spec.holderIdentity}"), "na-node");

    // The pod: bound here, Running on 127.0.0.x, Ready by its /readyz probe.
    apply(&c, &dir, "dns.yaml", DNS);
    let pod = eventually("a pod of the deployment", Duration::from_secs(60), || pod_name(&c, "app=na-dns"));
    let ip = eventually("the pod Ready", Duration::from_secs(60), || {
        let ready = jsonpath(&c, &["get", "pod", &pod], r#"{.status.conditions[?(@.type=="Ready")].status}"#);
        (ready == "True").then(|| jsonpath(&c, &["get", "pod", &pod], "{.status.podIP}"))
    });
    assert!(ip.starts_with("127.0.0.") && ip != "127.0.0.1", "pod IP {ip}");
    assert_eq!(jsonpath(&c, &["get", "pod", &pod], "{.spec.nodeName}"), "na-node");
    assert_eq!(jsonpath(&c, &["get", "pod", &pod], "{.status.phase}"), "Running");
    assert_eq!(jsonpath(&c, &["get", "pod", &pod], "{.status.hostIP}"), "127.0.0.1");

    // Events as the scheduler and kubelet record them (kubectl describe shows them).
    let events = eventually("the pod's events", Duration::from_secs(20), || {
        let out = c.kubectl_ok(&["get", "events", "--field-selector", &format!("involvedObject.name={pod}"), "-o", "jsonpath={.items[*].reason}"]);
        Some(out).filter(|e| e.contains("Scheduled") && e.contains("Started"))
    });
    assert!(events.contains("Started"), "{events}");

    // It answers on its own address.
    let answer = eventually("an answer from the pod", Duration::from_secs(20), || Some(dig(&ip)).filter(|a| !a.is_empty()));
    assert!(answer.parse::<std::net::Ipv4Addr>().is_ok(), "dig answered {answer:?}");

    // kubectl logs through the API server to the agent's endpoint.
    let logs = eventually("the server's log via kubectl logs", Duration::from_secs(20), || {
        let out = c.kubectl(&["logs", "-l", "app=na-dns", "--tail=50"]);
        Some(String::from_utf8_lossy(&out.stdout).into_owned()).filter(|l| l.contains("listening"))
    });
    assert!(logs.contains(&format!("{ip}:5353")), "{logs}");
    let tail = c.kubectl_ok(&["logs", &pod, "--tail=1", "--timestamps"]);
    assert_eq!(tail.lines().count(), 1, "{tail}");

    // kubectl exec runs inside the pod's mount namespace: its volumes at their mount paths.
    let ls = c.kubectl_ok(&["exec", "deployment/na-dns", "--", "ls", "-la", "/var/lib/bind/"]);
    assert!(ls.contains("zones"), "the data dir of the pod: {ls}");
    let cat = c.kubectl_ok(&["exec", &pod, "--", "cat", "/etc/ironbind/hello.txt"]);
    assert_eq!(cat, "from the configmap\n");
    let failed = c.kubectl(&["exec", &pod, "--", "sh", "-c", "exit 3"]);
    assert_eq!(failed.status.code(), Some(3), "{}", String::from_utf8_lossy(&failed.stderr));
    // Nothing leaked to the host's mounts.
    assert!(!Path::new("/etc/ironbind/hello.txt").exists(), "the ConfigMap's mount leaked to the host");
    let claim = state.join("claims/default/na-dns-data");
    assert!(claim.join("zones").is_dir(), "the claim's directory holds the data dir");

    // A killed process is restarted, counted in restartCount; `kubectl logs -f`
    // follows the log from the old run into the new one.
    let mut follow = Command::new("kubectl");
    follow.args(["logs", "-f", "--tail=1", &pod]).env("KUBECONFIG", c.kubeconfig());
    let follow = Proc::spawn("logs-f", follow);
    // Its last line (the control API's) says it is following.
    follow.expect(0, &["8053"], Duration::from_secs(20));
    let followed = follow.log_len();
    let pid = container_pid(&c, &pod);
    // SAFETY: kill(2) of the container process the agent started for this test's pod.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    eventually("restartCount 1", Duration::from_secs(30), || {
        Some(()).filter(|_| jsonpath(&c, &["get", "pod", &pod], "{.status.containerStatuses[0].restartCount}") == "1")
    });
    let pid2 = eventually("the pod Ready again", Duration::from_secs(30), || {
        let ready = jsonpath(&c, &["get", "pod", &pod], r#"{.status.conditions[?(@.type=="Ready")].status}"#);
        (ready == "True").then(|| container_pid(&c, &pod))
    });
    assert_ne!(pid, pid2);
    let last = jsonpath(&c, &["get", "pod", &pod], "{.status.containerStatuses[0].lastState.terminated.exitCode}");
    assert_eq!(last, "137");
    eventually("answers after the restart", Duration::from_secs(20), || Some(()).filter(|_| !dig(&ip).is_empty()));
    follow.expect(followed, &["listening", "5353"], Duration::from_secs(20));
    drop(follow);

    // Deleting the Deployment stops the process and removes the pod; the claim stays.
    c.kubectl_ok(&["delete", "deployment", "na-dns"]);
    eventually("the pod gone", Duration::from_secs(60), || Some(()).filter(|_| pod_name(&c, "app=na-dns").is_none()));
    eventually("the process gone", Duration::from_secs(10), || Some(()).filter(|_| !alive(pid2)));
    assert!(claim.join("zones").is_dir(), "a claim's directory outlives the pod");
    let pods_dir = std::fs::read_dir(state.join("pods")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(pods_dir, 0, "the pod's own directory (emptyDir, logs) is removed");

    a.stop();
    assert!(!a.lines_with(0, &["stopped"]).is_empty(), "a clean shutdown:\n{}", a.log());
    let _ = std::fs::remove_dir_all(dir);
}

const GATED: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: na-env, namespace: default}
data: {LEVEL: debug}
---
apiVersion: v1
kind: Pod
metadata: {name: na-gated, namespace: default, labels: {app: na-gated}}
spec:
  terminationGracePeriodSeconds: 2
  readinessGates: [{conditionType: ironbind.dev/zones-loaded}]
  initContainers:
  - name: setup
    image: ironbind
    command: [sh, -c, "echo initialised on $(POD_IP) > /data/init.txt"]
    env:
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    volumeMounts: [{name: data, mountPath: /data}]
  containers:
  - name: ironbind
    image: ironbind
    args: [--example, --listen, "$(POD_IP):5353"]
    env:
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: LEVEL
      valueFrom: {configMapKeyRef: {name: na-env, key: LEVEL}}
    volumeMounts: [{name: data, mountPath: /data}, {name: env, mountPath: /etc/na-env}]
  volumes: [{name: data, emptyDir: {}}, {name: env, configMap: {name: na-env}}]
---
apiVersion: v1
kind: Pod
metadata: {name: na-unmapped, namespace: default}
spec:
  containers: [{name: web, image: "nginx:1.25"}]
---
apiVersion: v1
kind: Pod
metadata: {name: na-unlive, namespace: default}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: ironbind
    image: ironbind
    args: [--example, --listen, "$(POD_IP):5353"]
    env:
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    livenessProbe:
      httpGet: {path: /healthz, port: 8053}
      periodSeconds: 1
      failureThreshold: 2
"#;

#[test]
fn unmapped_images_wait_and_readiness_gates_hold_ready() {
    if !pods_can_run() {
        return;
    }
    let Some(c) = Cluster::start() else { return };
    let dir = tempdir("node-agent-gates");
    let mut a = agent(&c, "na-gates", "127.0.9.0/24", &dir.join("state"));
    apply(&c, &dir, "pods.yaml", GATED);

    let reason = eventually("the unmapped image's Waiting reason", Duration::from_secs(60), || {
        Some(jsonpath(&c, &["get", "pod", "na-unmapped"], "{.status.containerStatuses[0].state.waiting.reason}"))
            .filter(|r| !r.is_empty() && r != "ContainerCreating")
    });
    assert_eq!(reason, "ErrImageNeverPull");
    let message = jsonpath(&c, &["get", "pod", "na-unmapped"], "{.status.containerStatuses[0].state.waiting.message}");
    assert!(message.contains("nginx:1.25"), "{message}");
    assert_eq!(jsonpath(&c, &["get", "pod", "na-unmapped"], "{.status.phase}"), "Pending");
    let logs = c.kubectl(&["logs", "na-unmapped"]);
    assert!(String::from_utf8_lossy(&logs.stderr).contains("is waiting to start"), "{logs:?}");

    // Containers ready, the gate's condition missing: not Ready.
    eventually("ContainersReady", Duration::from_secs(60), || {
        Some(()).filter(|_| jsonpath(&c, &["get", "pod", "na-gated"], r#"{.status.conditions[?(@.type=="ContainersReady")].status}"#) == "True")
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(jsonpath(&c, &["get", "pod", "na-gated"], r#"{.status.conditions[?(@.type=="Ready")].status}"#), "False");
    // The operator's part: the gate's condition True through /status.
    let patch = r#"{"status":{"conditions":[{"type":"ironbind.dev/zones-loaded","status":"True"}]}}"#;
    c.kubectl_ok(&["patch", "pod", "na-gated", "--subresource=status", "--type=strategic", "-p", patch]);
    eventually("Ready once the gate is True", Duration::from_secs(30), || {
        Some(()).filter(|_| jsonpath(&c, &["get", "pod", "na-gated"], r#"{.status.conditions[?(@.type=="Ready")].status}"#) == "True")
    });
    let gate = jsonpath(&c, &["get", "pod", "na-gated"], r#"{.status.conditions[?(@.type=="ironbind.dev/zones-loaded")].status}"#);
    assert_eq!(gate, "True", "the agent's status updates keep the gate's condition");

    // The init container ran first, in the same volume; env from a ConfigMap key.
    assert_eq!(jsonpath(&c, &["get", "pod", "na-gated"], "{.status.initContainerStatuses[0].state.terminated.reason}"), "Completed");
    let ip = jsonpath(&c, &["get", "pod", "na-gated"], "{.status.podIP}");
    assert!(ip.starts_with("127.0.9."), "the agent's --pod-subnet: {ip}");
    assert_eq!(c.kubectl_ok(&["exec", "na-gated", "--", "cat", "/data/init.txt"]), format!("initialised on {ip}\n"));
    assert_eq!(c.kubectl_ok(&["exec", "na-gated", "--", "sh", "-c", "echo $LEVEL"]), "debug\n");
    // kubectl exec -i: stdin reaches the command.
    let mut cat = Command::new("kubectl")
        .args(["exec", "-i", "na-gated", "--", "tr", "a-z", "A-Z"])
        .env("KUBECONFIG", c.kubeconfig())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl exec -i");
    std::io::Write::write_all(&mut cat.stdin.take().unwrap(), b"through stdin\n").unwrap();
    let out = cat.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "THROUGH STDIN\n");

    // A failing liveness probe restarts the container, saying why.
    eventually("a liveness restart", Duration::from_secs(60), || {
        Some(()).filter(|_| {
            jsonpath(&c, &["get", "pod", "na-unlive"], "{.status.containerStatuses[0].restartCount}").parse::<u32>().is_ok_and(|n| n >= 1)
        })
    });
    let why = jsonpath(&c, &["get", "pod", "na-unlive"], "{.status.containerStatuses[0].lastState.terminated.message}");
    assert!(why.contains("Liveness probe failed"), "{why}");
    let events = c.kubectl_ok(&["get", "events", "--field-selector", "involvedObject.name=na-unlive", "-o", "jsonpath={.items[*].reason}"]);
    assert!(events.contains("Unhealthy") && events.contains("Killing"), "{events}");

    // A changed ConfigMap reaches the mounted volume of a running pod.
    assert_eq!(c.kubectl_ok(&["exec", "na-gated", "--", "cat", "/etc/na-env/LEVEL"]), "debug");
    c.kubectl_ok(&["patch", "configmap", "na-env", "--type=merge", "-p", r#"{"data":{"LEVEL":"trace"}}"#]);
    eventually("the new ConfigMap value in the volume", Duration::from_secs(30), || {
        Some(()).filter(|_| c.kubectl(&["exec", "na-gated", "--", "cat", "/etc/na-env/LEVEL"]).stdout == b"trace")
    });

    // The agent restarted: it stops its processes, and the new one takes its pods again,
    // on the same addresses, counting the restart.
    let pid = container_pid(&c, "na-gated");
    a.stop();
    assert!(!alive(pid), "the agent's SIGTERM stops its pods' processes");
    a = agent(&c, "na-gates", "127.0.9.0/24", &dir.join("state"));
    eventually("Ready again under the new agent", Duration::from_secs(60), || {
        let s = jsonpath(
            &c,
            &["get", "pod", "na-gated"],
            r#"{.status.conditions[?(@.type=="Ready")].status} {.status.containerStatuses[0].restartCount}"#,
        );
        Some(()).filter(|_| s == "True 1")
    });
    assert_eq!(jsonpath(&c, &["get", "pod", "na-gated"], "{.status.podIP}"), ip);
    assert_ne!(container_pid(&c, "na-gated"), pid);

    c.kubectl_ok(&["delete", "pod", "na-gated", "na-unmapped", "na-unlive", "--wait=true", "--timeout=60s"]);
    a.stop();
    let _ = std::fs::remove_dir_all(dir);
}
