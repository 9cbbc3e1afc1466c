# Stand-in for the nats image where no image registry is reachable: Debian's nats-server on a
# local Debian root. Same entrypoint contract (flags after the image name go to nats-server) and
# wget for the compose health check on the monitoring port.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nats-server wget \
  && rm -rf /var/lib/apt/lists/* && mkdir /data && chown nats /data
USER nats
EXPOSE 4222 6222 8222
ENTRYPOINT ["nats-server"]
