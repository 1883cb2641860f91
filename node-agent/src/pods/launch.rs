//! What a container runs: its image mapped to a local binary, its argv
//! (command and args with `$(VAR)` references expanded, as the kubelet
//! does) and its environment (envFrom, plain values, the downward API's
//! fieldRef, ConfigMap and Secret keys), user and group.
//!
//! Owns: the rules from a Container to a process [`Spec`]. Must not: start
//! anything, read the API or pick the mount namespace (the supervisor adds
//! the sandbox).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Container, EnvVar, Pod};

use super::envsrc::EnvObjects;
use crate::cli::ImageMap;
use crate::process::spawn::DEFAULT_PATH;
use crate::process::{Identity, Sandbox, Spec};

/// Why a container cannot be started (its Waiting reason and message).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LaunchError {
    /// No `--image-binary` maps the image.
    #[error("image {0:?} is not mapped to a local binary on this node (--image-binary PREFIX=PATH) and is never pulled")]
    NotMapped(String),
    /// An env var this node cannot fill.
    #[error("env {name}: {why}")]
    Env {
        /// The variable.
        name: String,
        /// What is missing or unsupported.
        why: String,
    },
}

impl LaunchError {
    /// The container status's Waiting reason, as the kubelet names it.
    pub fn reason(&self) -> &'static str {
        match self {
            LaunchError::NotMapped(_) => "ErrImageNeverPull",
            LaunchError::Env { .. } => "CreateContainerConfigError",
        }
    }
}

/// What the downward API can say about the pod, and the objects its
/// environment refers to.
#[derive(Debug, Clone)]
pub struct PodFacts {
    /// ConfigMaps and Secrets read for env and envFrom.
    pub objects: EnvObjects,
    /// The pod's address.
    pub pod_ip: Ipv4Addr,
    /// The node's address.
    pub host_ip: Ipv4Addr,
    /// The node's name.
    pub node_name: String,
}

/// The process of `c` in `pod` (its sandbox still [`Sandbox::Host`]).
pub fn launch(images: &ImageMap, pod: &Pod, c: &Container, facts: &PodFacts) -> Result<Spec, LaunchError> {
    let image = c.image.clone().unwrap_or_default();
    let binary = images.binary(&image).ok_or_else(|| LaunchError::NotMapped(image.clone()))?;
    let env = environment(pod, c, facts)?;
    let vars: HashMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let expand = |v: &Vec<String>| v.iter().map(|s| expand(s, &vars)).collect::<Vec<_>>();
    let command = c.command.as_ref().map(expand).unwrap_or_default();
    let args = c.args.as_ref().map(expand).unwrap_or_default();
    let (program, mut argv) = argv(binary, command);
    argv.extend(args);
    Ok(Spec { program, args: argv, env, cwd: c.working_dir.as_ref().map(PathBuf::from), sandbox: Sandbox::Host, identity: identity(pod, c) })
}

/// The program and its leading arguments. No command: the image's binary
/// (its entrypoint). A command whose first word names the binary (by its
/// file name, e.g. `/usr/local/bin/ironbind`): the mapped binary with the
/// rest. Any other command (`sh -c …`) runs as it is, from the host's PATH.
fn argv(binary: &Path, command: Vec<String>) -> (PathBuf, Vec<String>) {
    let Some((first, rest)) = command.split_first() else { return (binary.to_path_buf(), Vec::new()) };
    let named = Path::new(first).file_name();
    if named.is_some() && named == binary.file_name() {
        (binary.to_path_buf(), rest.to_vec())
    } else {
        (PathBuf::from(first), rest.to_vec())
    }
}

/// The user and groups from the container's securityContext, else the pod's.
pub fn identity(pod: &Pod, c: &Container) -> Identity {
    let psc = pod.spec.as_ref().and_then(|s| s.security_context.as_ref());
    let csc = c.security_context.as_ref();
    let id = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
    let user = id(csc.and_then(|s| s.run_as_user)).or(id(psc.and_then(|s| s.run_as_user)));
    let group = id(csc.and_then(|s| s.run_as_group)).or(id(psc.and_then(|s| s.run_as_group)));
    let mut groups: Vec<u32> = psc.and_then(|s| s.supplemental_groups.clone()).unwrap_or_default().into_iter().filter_map(|g| id(Some(g))).collect();
    if let Some(fs) = id(psc.and_then(|s| s.fs_group)) {
        groups.push(fs);
    }
    Identity { user, group, groups }
}

/// PATH and HOSTNAME, then envFrom's keys, then the container's env in
/// order (a later entry may refer to an earlier one with `$(NAME)`).
pub fn environment(pod: &Pod, c: &Container, facts: &PodFacts) -> Result<Vec<(String, String)>, LaunchError> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mut env: Vec<(String, String)> = vec![("PATH".into(), DEFAULT_PATH.into()), ("HOSTNAME".into(), name)];
    for f in c.env_from.iter().flatten() {
        let prefix = f.prefix.clone().unwrap_or_default();
        let (kind, name, optional, found) = match (&f.config_map_ref, &f.secret_ref) {
            (Some(r), _) => ("ConfigMap", r.name.clone(), r.optional, facts.objects.config_maps.get(&r.name)),
            (None, Some(r)) => ("Secret", r.name.clone(), r.optional, facts.objects.secrets.get(&r.name)),
            (None, None) => continue,
        };
        match found {
            Some(kv) => {
                for (k, v) in kv {
                    let key = format!("{prefix}{k}");
                    env.retain(|(n, _)| n != &key);
                    env.push((key, v.clone()));
                }
            }
            None if optional.unwrap_or(false) => {}
            None => return Err(LaunchError::Env { name: format!("envFrom {kind} {name}"), why: format!("{kind} {name} not found") }),
        }
    }
    for e in c.env.iter().flatten() {
        let Some(value) = value(pod, e, facts)? else { continue };
        let value = {
            let vars: HashMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            expand(&value, &vars)
        };
        env.retain(|(k, _)| k != &e.name);
        env.push((e.name.clone(), value));
    }
    Ok(env)
}

/// The value of one env entry (`None`: an optional reference to nothing, left out).
fn value(pod: &Pod, e: &EnvVar, facts: &PodFacts) -> Result<Option<String>, LaunchError> {
    let Some(from) = &e.value_from else { return Ok(Some(e.value.clone().unwrap_or_default())) };
    let err = |why: String| LaunchError::Env { name: e.name.clone(), why };
    let key_ref =
        |kind: &str, objects: &HashMap<String, std::collections::BTreeMap<String, String>>, name: &str, key: &str, optional: Option<bool>| {
            match objects.get(name).and_then(|kv| kv.get(key)) {
                Some(v) => Ok(Some(v.clone())),
                None if optional.unwrap_or(false) => Ok(None),
                None if objects.contains_key(name) => Err(err(format!("key {key} not in {kind} {name}"))),
                None => Err(err(format!("{kind} {name} not found"))),
            }
        };
    if let Some(r) = &from.config_map_key_ref {
        return key_ref("ConfigMap", &facts.objects.config_maps, &r.name, &r.key, r.optional);
    }
    if let Some(r) = &from.secret_key_ref {
        return key_ref("Secret", &facts.objects.secrets, &r.name, &r.key, r.optional);
    }
    let Some(f) = &from.field_ref else {
        return Err(err("resourceFieldRef is not supported on this node".into()));
    };
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let path = f.field_path.as_str();
    let got = match path {
        "metadata.name" => meta.name.clone(),
        "metadata.namespace" => meta.namespace.clone(),
        "metadata.uid" => meta.uid.clone(),
        "spec.nodeName" => Some(facts.node_name.clone()),
        "spec.serviceAccountName" => spec.and_then(|s| s.service_account_name.clone()),
        "status.podIP" => Some(facts.pod_ip.to_string()),
        "status.podIPs" => Some(facts.pod_ip.to_string()),
        "status.hostIP" => Some(facts.host_ip.to_string()),
        _ => {
            let key = |prefix: &str| path.strip_prefix(prefix).and_then(|r| r.strip_suffix("']")).map(str::to_string);
            if let Some(k) = key("metadata.labels['") {
                Some(meta.labels.as_ref().and_then(|l| l.get(&k).cloned()).unwrap_or_default())
            } else if let Some(k) = key("metadata.annotations['") {
                Some(meta.annotations.as_ref().and_then(|l| l.get(&k).cloned()).unwrap_or_default())
            } else {
                return Err(err(format!("unsupported fieldRef {path}")));
            }
        }
    };
    Ok(Some(got.unwrap_or_default()))
}

/// `$(NAME)` replaced by the variable's value when it is defined (left as
/// it is otherwise); `$$` is a literal `$`.
pub fn expand(s: &str, vars: &HashMap<&str, &str>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('(') {
            match body.find(')') {
                Some(j) if vars.contains_key(&body[..j]) => {
                    out.push_str(vars[&body[..j]]);
                    rest = &body[j + 1..];
                }
                Some(j) => {
                    out.push_str(&rest[i..i + 2 + j + 1]);
                    rest = &body[j + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{EnvVarSource, ObjectFieldSelector, PodSecurityContext, PodSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn facts() -> PodFacts {
        let mut objects = EnvObjects::default();
        objects.config_maps.insert("cm".into(), [("LEVEL".to_string(), "debug".to_string()), ("ZONE".to_string(), "example.com".to_string())].into());
        objects.secrets.insert("s".into(), [("token".to_string(), "sekrit".to_string())].into());
        PodFacts { objects, pod_ip: Ipv4Addr::new(127, 0, 0, 5), host_ip: Ipv4Addr::LOCALHOST, node_name: "n1".into() }
    }

    fn images() -> ImageMap {
        ImageMap::parse(&["ironbind=/opt/bin/ironbind".to_string()]).unwrap()
    }

    fn pod() -> Pod {
        Pod {
            metadata: ObjectMeta { name: Some("p1".into()), namespace: Some("ns".into()), ..Default::default() },
            spec: Some(PodSpec {
                security_context: Some(PodSecurityContext {
                    run_as_user: Some(101),
                    run_as_group: Some(102),
                    fs_group: Some(103),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn field(name: &str, path: &str) -> EnvVar {
        EnvVar {
            name: name.into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector { field_path: path.into(), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn expansion_as_the_kubelet() {
        let vars: HashMap<&str, &str> = [("IP", "127.0.0.5"), ("P", "53")].into();
        assert_eq!(expand("$(IP):$(P)", &vars), "127.0.0.5:53");
        assert_eq!(expand("$(NOPE) $$(IP) $x $(unclosed", &vars), "$(NOPE) $(IP) $x $(unclosed");
    }

    #[test]
    fn the_image_binary_with_expanded_args_and_env() {
        let c = Container {
            name: "dns".into(),
            image: Some("ironbind:dev".into()),
            args: Some(vec!["--example".into(), "--listen".into(), "$(POD_IP):5353".into()]),
            env: Some(vec![
                field("POD_IP", "status.podIP"),
                field("NS", "metadata.namespace"),
                EnvVar { name: "X".into(), value: Some("at $(POD_IP)".into()), ..Default::default() },
            ]),
            ..Default::default()
        };
        let s = launch(&images(), &pod(), &c, &facts()).unwrap();
        assert_eq!(s.program, Path::new("/opt/bin/ironbind"));
        assert_eq!(s.args, ["--example", "--listen", "127.0.0.5:5353"]);
        let env: HashMap<_, _> = s.env.iter().cloned().collect();
        assert_eq!(env["NS"], "ns");
        assert_eq!(env["X"], "at 127.0.0.5");
        assert_eq!(env["HOSTNAME"], "p1");
        assert_eq!(s.identity, Identity { user: Some(101), group: Some(102), groups: vec![103] });
    }

    #[test]
    fn config_map_and_secret_references() {
        use k8s_openapi::api::core::v1::{ConfigMapEnvSource, ConfigMapKeySelector, EnvFromSource, SecretKeySelector};
        let key = |name: &str, cm: &str, k: &str, optional: bool| EnvVar {
            name: name.into(),
            value_from: Some(EnvVarSource {
                config_map_key_ref: Some(ConfigMapKeySelector { name: cm.into(), key: k.into(), optional: Some(optional) }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let secret = EnvVar {
            name: "TOKEN".into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector { name: "s".into(), key: "token".into(), optional: None }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let c = Container {
            name: "c".into(),
            env_from: Some(vec![EnvFromSource {
                prefix: Some("CM_".into()),
                config_map_ref: Some(ConfigMapEnvSource { name: "cm".into(), optional: None }),
                ..Default::default()
            }]),
            env: Some(vec![key("L", "cm", "LEVEL", false), key("GONE", "nope", "x", true), secret]),
            ..Default::default()
        };
        let env: HashMap<_, _> = environment(&pod(), &c, &facts()).unwrap().into_iter().collect();
        assert_eq!(
            (env["CM_LEVEL"].as_str(), env["CM_ZONE"].as_str(), env["L"].as_str(), env["TOKEN"].as_str()),
            ("debug", "example.com", "debug", "sekrit")
        );
        assert!(!env.contains_key("GONE"), "an optional reference to nothing is left out");
        let missing = Container { name: "c".into(), env: Some(vec![key("X", "nope", "x", false)]), ..Default::default() };
        let e = environment(&pod(), &missing, &facts()).unwrap_err();
        assert_eq!(e.reason(), "CreateContainerConfigError");
        assert!(e.to_string().contains("ConfigMap nope not found"), "{e}");
        let no_key = Container { name: "c".into(), env: Some(vec![key("X", "cm", "nokey", false)]), ..Default::default() };
        assert!(environment(&pod(), &no_key, &facts()).unwrap_err().to_string().contains("key nokey not in ConfigMap cm"));
    }

    #[test]
    fn commands_naming_the_binary_or_not() {
        let bin = Path::new("/opt/bin/ironbind");
        assert_eq!(argv(bin, vec![]), (bin.to_path_buf(), vec![]));
        assert_eq!(argv(bin, vec!["/usr/local/bin/ironbind".into(), "-x".into()]), (bin.to_path_buf(), vec!["-x".to_string()]));
        assert_eq!(argv(bin, vec!["sh".into(), "-c".into()]), (PathBuf::from("sh"), vec!["-c".to_string()]));
    }

    #[test]
    fn an_unmapped_image_is_never_pulled() {
        let c = Container { name: "x".into(), image: Some("nginx:1".into()), ..Default::default() };
        let e = launch(&images(), &pod(), &c, &facts()).unwrap_err();
        assert_eq!(e.reason(), "ErrImageNeverPull");
        assert!(e.to_string().contains("\"nginx:1\""), "{e}");
    }
}
