# serving-reconciler as a container image: `reconciler` is the entrypoint, so
#   docker run --rm -v "$PWD:/work" -e PROD_DATABRICKS_TOKEN serving-reconciler plan -t prod
# runs a command on the project mounted at /work. Recipes (Kubernetes CronJob and Deployment,
# Databricks job, CI matrix) are in docs/deploy.md; tests/deploy/test_recipes.py checks this
# file's install and user.
#
# Build: docker build -t serving-reconciler:0.1.0 .
# Pin the base image by digest in your registry mirror (python:3.11-slim@sha256:...).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The lock first (its layer is reused while only the code changes): exact versions, hashes.
COPY requirements/ci.txt requirements/ci.txt
RUN python -m venv /opt/reconciler \
 && /opt/reconciler/bin/pip install --require-hashes -r requirements/ci.txt
COPY pyproject.toml README.md LICENSE ./
COPY reconciler/ reconciler/
# No dependency resolution here: everything came from the lock above.
RUN /opt/reconciler/bin/pip install --no-deps --no-build-isolation . \
 && /opt/reconciler/bin/reconciler --version

FROM python:3.11-slim
COPY --from=build /opt/reconciler /opt/reconciler
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/reconciler \
        --shell /usr/sbin/nologin reconciler \
 && mkdir /work && chown reconciler:reconciler /work
ENV PATH=/opt/reconciler/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["reconciler"]
CMD ["--help"]
