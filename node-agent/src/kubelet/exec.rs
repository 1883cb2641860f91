//! `/exec/{namespace}/{pod}/{container}?command=…`: `kubectl exec` through
//! the API server, as a WebSocket with the channel protocol
//! (`v5.channel.k8s.io`, `v4.channel.k8s.io`): each binary message starts
//! with its channel, 0 stdin, 1 stdout, 2 stderr, 3 the final status as a
//! JSON Status (`ExitCode` cause when non-zero), 255 (v5) closes a stream.
//! The command runs inside the container's mount namespace, as its user.
//!
//! Owns: the protocol. Must not: run anything outside the container's
//! context (crate::exec builds the process).

use std::process::Stdio;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::query::{all, flag, pairs};
use crate::pods::Registry;

/// The subprotocols spoken, best first.
pub const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
const CLOSE: u8 = 255;

/// The handler: checks the request, then upgrades.
pub async fn exec(
    State(reg): State<Registry>,
    Path((ns, pod, container)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let p = pairs(q.as_deref().unwrap_or(""));
    let Ok(ws) = ws else {
        return (StatusCode::BAD_REQUEST, "exec needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io); SPDY is not supported\n")
            .into_response();
    };
    let command = all(&p, "command");
    let Some(entry) = reg.get(&ns, &pod) else {
        return (StatusCode::NOT_FOUND, format!("pod {ns}/{pod} is not on this node\n")).into_response();
    };
    let Some(c) = entry.containers.get(&container).cloned() else {
        return (StatusCode::NOT_FOUND, format!("container {container} not found in pod {ns}/{pod}\n")).into_response();
    };
    let io = Streams {
        stdin: flag(&p, "input") || flag(&p, "stdin"),
        stdout: flag(&p, "output") || flag(&p, "stdout"),
        stderr: flag(&p, "error") || flag(&p, "stderr"),
    };
    tracing::info!(%ns, %pod, %container, ?command, "exec");
    ws.protocols(PROTOCOLS).on_upgrade(move |socket| async move {
        let status = run(socket, c.pid, &c.exec, &command, io).await;
        tracing::debug!(?status, "exec done");
    })
}

/// Which streams the client attached.
#[derive(Debug, Clone, Copy)]
struct Streams {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

/// The final Status message of an exit (`None`: could not start, with why).
pub fn status(code: Result<i32, String>, command: &[String]) -> serde_json::Value {
    match code {
        Ok(0) => json!({"metadata": {}, "status": "Success"}),
        Ok(n) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!("command terminated with non-zero exit code: error executing command {command:?}, exit code {n}"),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": n.to_string()}]},
        }),
        Err(why) => json!({"metadata": {}, "status": "Failure", "message": why, "reason": "InternalError"}),
    }
}

fn framed(channel: u8, data: &[u8]) -> Message {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(channel);
    v.extend_from_slice(data);
    Message::Binary(v.into())
}

async fn run(socket: WebSocket, pid: Option<u32>, ctx: &crate::exec::ExecContext, command: &[String], io: Streams) -> Result<i32, String> {
    let (mut sink, mut source) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Message>(16);
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
        // A normal closure (1000): kubectl reads a close without a code (1005) as an error.
        let _ = sink.send(Message::Close(Some(CloseFrame { code: close_code::NORMAL, reason: "".into() }))).await;
        let _ = sink.close().await;
    });
    let pipe = |on: bool| if on { Stdio::piped() } else { Stdio::null() };
    let started = crate::exec::start(pid, ctx, command, pipe(io.stdin), pipe(io.stdout), pipe(io.stderr));
    let result = match started {
        Err(e) => Err(e.to_string()),
        Ok(mut child) => {
            let mut pumps = Vec::new();
            if let Some(out) = child.stdout.take() {
                pumps.push(tokio::spawn(pump(out, STDOUT, tx.clone())));
            }
            if let Some(err) = child.stderr.take() {
                pumps.push(tokio::spawn(pump(err, STDERR, tx.clone())));
            }
            let mut stdin = child.stdin.take();
            let input = tokio::spawn(async move {
                while let Some(Ok(m)) = source.next().await {
                    let data = match m {
                        Message::Binary(b) => b,
                        Message::Close(_) => break,
                        _ => continue,
                    };
                    match data.first() {
                        Some(&STDIN) => {
                            if let Some(w) = stdin.as_mut() {
                                if w.write_all(&data[1..]).await.is_err() {
                                    stdin = None;
                                }
                            }
                        }
                        Some(&CLOSE) if data.get(1) == Some(&STDIN) => stdin = None,
                        _ => {}
                    }
                }
            });
            let st = child.wait().await.map_err(|e| e.to_string());
            for p in pumps {
                let _ = p.await;
            }
            input.abort();
            st.map(|s| {
                use std::os::unix::process::ExitStatusExt;
                s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
            })
        }
    };
    let _ = tx.send(framed(ERROR, status(result.clone(), command).to_string().as_bytes())).await;
    drop(tx);
    let _ = writer.await;
    result
}

async fn pump(mut from: impl AsyncRead + Unpin, channel: u8, tx: mpsc::Sender<Message>) {
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if tx.send(framed(channel, &buf[..n])).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_kubectl_reads_them() {
        let cmd = vec!["false".to_string()];
        assert_eq!(status(Ok(0), &cmd), json!({"metadata": {}, "status": "Success"}));
        let f = status(Ok(2), &cmd);
        assert_eq!(f["status"], "Failure");
        assert_eq!(f["details"]["causes"][0], json!({"reason": "ExitCode", "message": "2"}));
        assert_eq!(status(Err("no".into()), &cmd)["reason"], "InternalError");
        match framed(STDERR, b"x") {
            Message::Binary(b) => assert_eq!(&b[..], b"\x02x"),
            m => panic!("{m:?}"),
        }
    }
}
