# The operator image (`ironbind-operator:latest`, deploy/operator/deployment.yaml).
#
#   docker build -f deploy/docker/operator.Dockerfile -t ironbind-operator:latest .
#
# Stage 1 builds the binary with the committed Cargo.lock (--locked). Stage 2 is a
# distroless "cc" image made from scratch: the binary, exactly the shared libraries it
# links (glibc, libgcc_s, found with ldd), CA certificates, /etc/passwd with `nonroot`
# (uid 65532) and a /tmp; no shell, no package manager. Base images are named without a
# registry host; RUNTIME_BASE=<a distroless/cc nonroot image> puts the same files on that
# base instead of scratch.
ARG RUST_VERSION=1.95
ARG RUNTIME_BASE=scratch

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p ironbind-operator --bin ironbind-operator \
    && install -D -m 0755 target/release/ironbind-operator /out/usr/local/bin/ironbind-operator
# The runtime tree: the libraries the binary links, users, certificates, /tmp.
RUN set -eu; \
    for lib in $(ldd /out/usr/local/bin/ironbind-operator | grep -o '/[^ ]*'); do cp --parents -L "$lib" /out; done; \
    mkdir -p /out/etc/ssl/certs /out/tmp /out/home/nonroot; \
    cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/etc/passwd; \
    printf 'root:x:0:\nnonroot:x:65532:\n' > /out/etc/group; \
    chmod 1777 /out/tmp; chown 65532:65532 /out/home/nonroot

FROM ${RUNTIME_BASE}
COPY --from=build /out/ /
USER 65532:65532
# Metrics and /healthz (--metrics-addr 0.0.0.0:8080 in deploy/operator/deployment.yaml).
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ironbind-operator"]
