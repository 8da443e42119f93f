# One image for the API and the workers.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd \
      qpdf poppler-utils fonts-dejavu-core fonts-liberation2 softhsm2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY ingest ingest
COPY signing signing
COPY storage storage
COPY pipeline pipeline
COPY api api
COPY cli cli
RUN pip install --no-cache-dir .
ENV SOHOA_DATA_DIR=/var/lib/sohoa
USER nobody
EXPOSE 8000
CMD ["sohoa", "serve", "--host", "0.0.0.0", "--port", "8000"]
