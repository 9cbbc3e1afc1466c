# Stand-in for the denoland/deno image where no image registry is reachable: Deno from the npm
# registry on a local Debian root. Same layout as upstream: deno on PATH, a `deno` user (uid 1993),
# DENO_DIR=/deno-dir. The machine's CA bundle is trusted, by npm here and by Deno in the images
# built on this one (deno install), since the registry is reached through it.
ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS npm
ARG DENO_VERSION
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
# After apt-get: the ca-certificates package it brings rewrites the bundle.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  npm install -g --silent --no-fund --no-audit "deno@${DENO_VERSION}" \
  && /usr/local/lib/node_modules/deno/deno --version

FROM ${BASE_IMAGE}
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=npm /usr/local/lib/node_modules/deno/deno /usr/bin/deno
RUN useradd --uid 1993 --user-group deno && mkdir /deno-dir && chown deno:deno /deno-dir
ENV DENO_DIR=/deno-dir DENO_CERT=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["deno"]
CMD ["repl"]
