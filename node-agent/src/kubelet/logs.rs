//! `GET /containerLogs/{namespace}/{pod}/{container}`: a container's log
//! with the kubelet's parameters `tailLines`, `timestamps`, `sinceSeconds`,
//! `sinceTime`, `limitBytes`, `previous` and `follow` (the file is polled
//! for new lines, and reopened when a restart rotates it, until the client
//! goes or the pod leaves the node).
//!
//! Owns: the reply. Must not: write logs (process::logs captures them).

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::query::{first, flag, pairs};
use crate::pods::Registry;
use crate::process::logs::{parse, render, select, Query};

/// How often a followed log is polled.
const POLL: Duration = Duration::from_millis(250);

/// The handler.
pub async fn container_logs(
    State(reg): State<Registry>,
    Path((ns, pod, container)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = pairs(q.as_deref().unwrap_or(""));
    let Some(entry) = reg.get(&ns, &pod) else {
        return (StatusCode::NOT_FOUND, format!("pod {ns}/{pod} is not on this node\n")).into_response();
    };
    let spec = entry.dirs.root().join("logs").join(&container);
    if !spec.exists() {
        // As the kubelet words it (kubectl shows it as it is).
        return (StatusCode::BAD_REQUEST, format!("container \"{container}\" in pod \"{pod}\" is waiting to start\n")).into_response();
    }
    let previous = flag(&p, "previous");
    let path = if previous { entry.dirs.previous_log(&container) } else { entry.dirs.current_log(&container) };
    let since = first(&p, "sinceTime").and_then(|t| t.parse::<Timestamp>().ok()).or_else(|| {
        let secs: i64 = first(&p, "sinceSeconds")?.parse().ok()?;
        Timestamp::now().checked_sub(SignedDuration::from_secs(secs)).ok()
    });
    let query = Query {
        tail_lines: first(&p, "tailLines").and_then(|v| v.parse().ok()),
        timestamps: flag(&p, "timestamps"),
        since,
        limit_bytes: first(&p, "limitBytes").and_then(|v| v.parse().ok()),
    };
    let text = match tokio::fs::read_to_string(&path).await {
        Ok(t) => t,
        Err(e) if previous => {
            return (StatusCode::BAD_REQUEST, format!("previous terminated container {container} not found: {e}\n")).into_response()
        }
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("reading the log: {e}\n")).into_response(),
    };
    let head = select(&text, &query);
    let plain = [(header::CONTENT_TYPE, "text/plain")];
    if !flag(&p, "follow") || previous {
        return (plain, head).into_response();
    }
    let stream = follow(reg, (ns, pod, entry.uid), path, head, text.len() as u64, query.timestamps);
    (plain, Body::from_stream(stream)).into_response()
}

/// The first chunk, then the lines added after `offset`, as they come.
/// The open file is read to its end even after a restart renamed it, then
/// the new run's file is followed from its start.
fn follow(
    reg: Registry,
    (ns, pod, uid): (String, String, String),
    path: PathBuf,
    head: String,
    offset: u64,
    timestamps: bool,
) -> impl futures::Stream<Item = Result<String, std::io::Error>> {
    let state = (Some(head), None::<(tokio::fs::File, Option<u64>)>, offset, String::new());
    futures::stream::unfold(state, move |(head, mut open, offset, mut partial)| {
        let (reg, ns, pod, uid, path) = (reg.clone(), ns.clone(), pod.clone(), uid.clone(), path.clone());
        async move {
            if let Some(h) = head {
                return Some((Ok(h), (None, open, offset, partial)));
            }
            loop {
                if !reg.holds(&ns, &pod, &uid) {
                    return None;
                }
                if open.is_none() {
                    let mut f = tokio::fs::File::open(&path).await.ok()?;
                    f.seek(std::io::SeekFrom::Start(offset)).await.ok()?;
                    let id = handle_id(&f).await;
                    open = Some((f, id));
                }
                let (file, id) = open.as_mut()?;
                let mut buf = Vec::new();
                let _ = file.read_to_end(&mut buf).await;
                if buf.is_empty() {
                    if file_id(&path) != *id {
                        // Rotated by a restart, and the old file read to its end.
                        let f = tokio::fs::File::open(&path).await.ok()?;
                        let id = handle_id(&f).await;
                        open = Some((f, id));
                        continue;
                    }
                    tokio::time::sleep(POLL).await;
                    continue;
                }
                partial.push_str(&String::from_utf8_lossy(&buf));
                if let Some(cut) = partial.rfind('\n') {
                    let complete: String = partial.drain(..=cut).collect();
                    let out: String = complete.lines().filter_map(parse).map(|l| render(&l, timestamps)).collect();
                    if !out.is_empty() {
                        return Some((Ok(out), (None, open, 0, partial)));
                    }
                }
            }
        }
    })
}

/// The inode of an open file.
async fn handle_id(f: &tokio::fs::File) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    f.metadata().await.ok().map(|m| m.ino())
}

/// The file's inode (a rotation makes a new file).
fn file_id(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}
