#!/bin/sh
# The image's ENTRYPOINT: one image, two services.
#   SageMaker runs `docker run IMAGE serve`: serve /ping and /invocations on port 8080 (lambda_app/serve.py).
#   Lambda runs ENTRYPOINT + CMD (the handler): hand over to the base image's /lambda-entrypoint.sh unchanged.
# `exec` in both branches, so the server or the runtime receives SIGTERM directly (SageMaker and Lambda need it).
if [ "$1" = "serve" ]; then
  shift
  cd "${LAMBDA_TASK_ROOT:-/var/task}" || exit 1
  export PYTHONPATH="${LAMBDA_TASK_ROOT:-/var/task}${PYTHONPATH:+:$PYTHONPATH}"
  exec python3 -m lambda_app.serve serve "$@"
fi
exec /lambda-entrypoint.sh "$@"
