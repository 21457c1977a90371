# The Launch Ready service image: `launchready serve` by default, `launchready worker` with
# the command `worker --config /config/app.yaml`. See docs/deploy.md.
#
#   docker build -t launchready .
#   docker run --env-file .env -v "$PWD/app.yaml:/config/app.yaml:ro" -p 3000:3000 launchready
#
# No secret is baked in: the Slack token, the signing secret and the ingest secrets come from
# the environment at run time, and app.yaml is mounted (it names secrets as ${VARS}).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY checks ./checks
COPY handover ./handover
COPY reports ./reports
# Every dependency as a wheel, so the final stage installs without a compiler or a cache.
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[postgres]"

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin launchready
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels "launchready[postgres]" && rm -rf /wheels
USER 10001:10001
WORKDIR /home/launchready
EXPOSE 3000
# /healthz answers 200 while the service is up; python is in the image, curl is not.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["launchready"]
CMD ["serve", "--config", "/config/app.yaml", "--host", "0.0.0.0", "--port", "3000"]
