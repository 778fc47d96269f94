# Centrale's image, used by compose.yaml (one container per store, plus the one-shot hq init).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE hatch_build.py ./
COPY centrale ./centrale
COPY cdc ./cdc
COPY applier ./applier
COPY jobs ./jobs
COPY schema ./schema
COPY sandbox ./sandbox
RUN pip install --no-cache-dir . && useradd --create-home centrale && mkdir -p /var/lib/centrale \
    && chown centrale /var/lib/centrale
USER centrale
ENV PYTHONPATH=/app
ENTRYPOINT ["centrale"]
CMD ["--help"]
