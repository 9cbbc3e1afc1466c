# Stand-in for the postgres image where no image registry is reachable: Debian's PostgreSQL on a
# local Debian root, initialised from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB on first
# start like the upstream image, with pg_isready for the compose health check.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15 \
  && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 \
  && chown postgres:postgres /var/lib/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
# PostgreSQL's fast shutdown, as upstream.
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
