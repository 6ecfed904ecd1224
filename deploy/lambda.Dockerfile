# The Lambdas' container image (and the pusher's): `pulse` built on Debian 12 needs glibc 2.36, newer than
# the provided.al2023 runtime's 2.34, so the image is Debian-based with `bootstrap` as its entry point —
# `pulse lambda` is the runtime (it speaks the Runtime API itself; no runtime interface client needed).
# PULSE_LAMBDA_HANDLER (bridge | sqs | ingest) picks the function; the pusher runs the same image with
# `pulse pusher` as its command (deploy/template.yaml).
#   docker build -f deploy/lambda.Dockerfile -t pulsetrader-lambda .
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        pkg-config libnghttp2-dev libpq-dev libhiredis-dev libcurl4-openssl-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift Package.resolved ./
RUN swift package resolve
COPY . .
RUN swift build -c release --product pulse --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/pulse" /out/pulse \
    && cp -R "$(swift build -c release --show-bin-path)"/*.resources /out/ 2>/dev/null || true

FROM debian:12-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libnghttp2-14 libpq5 libhiredis0.14 libcurl4 libssl3 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
COPY deploy/bootstrap /var/runtime/bootstrap
# Lambda runs images as an unprivileged user with a read-only file system except /tmp: nothing here writes.
ENTRYPOINT ["/var/runtime/bootstrap"]
