# syntax=docker/dockerfile:1
# One Dockerfile, one image per component (docs/containers.md):
#   docker build --target predictor  -t housing-predictor  .   # KServe kserve-container
#   docker build --target training   -t housing-training   .   # the training Job (housing-train)
#   docker build --target monitoring -t housing-monitoring .   # collector, drift, dashboard
# Each image holds a virtualenv (/opt/venv) installed from its pinned lock file
# (requirements/<component>.lock) with --no-deps, then the project wheel with --no-deps: what runs
# is exactly what the lock says. pip runs from a throwaway venv, so a final image holds the venv and
# nothing else: no pip, no pip cache, no compiler, no source tree. The images run as the numeric
# user 10001 and write only under /tmp, so Kubernetes' readOnlyRootFilesystem with an emptyDir on
# /tmp (charts/housing) just works.
#
# BASE_IMAGE: any Debian-like image whose `python3` is CPython 3.11 with the venv module, e.g. the
# official python:3.11-slim (default) or one made from Debian packages (scripts/container-smoke.sh).
ARG BASE_IMAGE=python:3.11-slim

# -------------------------------------------------------------------------------------------------
# runtime: what every final stage shares (settings for a read-only root FS, the unprivileged user)
FROM ${BASE_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    MPLCONFIGDIR=/tmp/matplotlib
# A passwd entry for 10001 (no useradd: a minimal Debian base has no `passwd` package);
# /mnt/models is where KServe's storage initializer mounts the bundle.
RUN echo 'housing:x:10001:10001:housing:/tmp:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'housing:x:10001:' >> /etc/group \
 && mkdir -p /mnt/models
COPY docker/venv-install /usr/local/bin/venv-install
WORKDIR /tmp

# -------------------------------------------------------------------------------------------------
# wheel: the project itself as a wheel (pure Python; setuptools comes from pip's build isolation)
FROM ${BASE_IMAGE} AS wheel
RUN python3 -m venv /opt/pip
WORKDIR /src
COPY pyproject.toml ./
COPY model ./model
COPY training ./training
COPY predictor ./predictor
COPY monitoring ./monitoring
COPY rollout ./rollout
RUN /opt/pip/bin/pip wheel --no-cache-dir --disable-pip-version-check --no-deps \
      --wheel-dir /wheels .

# -------------------------------------------------------------------------------------------------
# training: the Job `housing-train` (charts/housing/templates/training-job.yaml). matplotlib is here
# (the evaluation plots), not in the predictor or monitoring images.
FROM runtime AS training
# The venv: the lock first (its layer survives code changes), then the project wheel, each with
# docker/venv-install (a throwaway pip). --only-binary: nothing is compiled. No RUN --mount: the
# classic builder, BuildKit and buildah (podman) all build this file.
COPY requirements/training.lock /opt/venv/requirements.lock
RUN venv-install --only-binary=:all: -r /opt/venv/requirements.lock
COPY --from=wheel /wheels/ /opt/venv/wheels/
RUN venv-install --no-index /opt/venv/wheels/*.whl
# The bundle's lineage (manifest code.git_sha): the image has no .git to ask. Declared after the
# installs, so a new commit reuses their layers.
ARG GIT_SHA=""
ENV HOUSING_GIT_SHA=${GIT_SHA}
# OpenMP threads busy-wait at every barrier (libgomp: 300,000 spins by default) and burn the CPU a
# throttled or shared pod needs; 10,000 keeps the idle speed (measurements in the Makefile).
ENV GOMP_SPINCOUNT=10000
USER 10001:10001
ENTRYPOINT ["housing-train"]

# -------------------------------------------------------------------------------------------------
# monitoring: one image, three commands (the chart sets `command:`):
#   housing-collector (default, :8090), housing-drift (CronJob), housing-dashboard (UI, :8000)
FROM runtime AS monitoring
ENV DO_NOT_TRACK=1
COPY requirements/monitoring.lock /opt/venv/requirements.lock
RUN venv-install --only-binary=:all: -r /opt/venv/requirements.lock
COPY --from=wheel /wheels/ /opt/venv/wheels/
RUN venv-install --no-index /opt/venv/wheels/*.whl
USER 10001:10001
EXPOSE 8090 8000
# Healthy while the collector or the dashboard answers (one of them runs per container); a drift run
# is a batch job that needs none. Python's urllib: the image may have no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD \
    python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8090/healthz', None, 3)" \
    2>/dev/null \
    || python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/', None, 3)"
CMD ["housing-collector"]

# -------------------------------------------------------------------------------------------------
# predictor: KServe custom predictor, the InferenceService's `kserve-container`. KServe passes only
# `args` (e.g. --model_name=housing --http_port=8080), which replace CMD and keep the ENTRYPOINT.
# Last stage: a plain `docker build .` gives the predictor.
FROM runtime AS predictor
# HistGradientBoosting's OpenMP threads collapse throughput on shared cores (docs/contracts.md).
ENV OMP_NUM_THREADS=1
COPY requirements/predictor.lock /opt/venv/requirements.lock
RUN venv-install --only-binary=:all: -r /opt/venv/requirements.lock
COPY --from=wheel /wheels/ /opt/venv/wheels/
RUN venv-install --no-index /opt/venv/wheels/*.whl
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", \
         "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/v2/health/live', timeout=3)"]
ENTRYPOINT ["housing-predictor"]
CMD ["--model_dir", "/mnt/models", "--http_port", "8080"]
