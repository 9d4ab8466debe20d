# The cxpulse image used by docker-compose.yml and deploy/k8s (worker, simulator).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY cxpulse cxpulse
COPY streams streams
COPY agents agents
COPY schemas schemas
RUN pip install --no-cache-dir .
ENV CXPULSE_METRICS_HOST=0.0.0.0
EXPOSE 9108 6066
ENTRYPOINT ["cxpulse"]
CMD ["worker"]
