# One image for the API and the workers, built from the package as a whole: the wheel carries exactly
# what pyproject.toml declares (every sohoa.* package, templates, static files, migrations), so there is
# no folder list here to forget. .dockerignore keeps the tests, benches and local state out of the context.
FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd \
      qpdf poppler-utils fonts-dejavu-core fonts-liberation2 softhsm2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
ENV SOHOA_DATA_DIR=/var/lib/sohoa
RUN mkdir -p /var/lib/sohoa && chown nobody /var/lib/sohoa
# Nothing of the source tree is in this stage: the service runs from site-packages only.
WORKDIR /var/lib/sohoa
USER nobody
EXPOSE 8000
CMD ["sohoa", "serve", "--host", "0.0.0.0", "--port", "8000"]
